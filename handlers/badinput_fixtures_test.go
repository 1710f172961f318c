package handlers_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/models"
)

// badInputFixtures are what the rows name in braces: credentials of every
// kind (good, of the wrong role or scope, forged, expired), link tokens
// (live, used, expired, forged), and the ids of things to act on.
type badInputFixtures map[string]string

// fill replaces each {name} of the fixtures in s.
func (fx badInputFixtures) fill(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	pairs := make([]string, 0, 2*len(fx))
	for k, v := range fx {
		pairs = append(pairs, "{"+k+"}", v)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// badInputCSRF is the double-submit token the rows send as cookie and as
// form field alike: echo's CSRF check compares the two, so any value the
// client holds in both places is a valid token, and a missing or different
// one is not.
const badInputCSRF = "badinputcsrftoken0123456789abcdef"

// newBadInputFixtures builds the fixtures. The past ones come first, with
// the clock set back: a verification link 100 days old is expired, as is a
// status link or a consent-center link (90 days), and a staff JWT issued two
// hours ago (one hour).
func newBadInputFixtures(t *testing.T, app *apptest.App) badInputFixtures {
	t.Helper()
	ctx := context.Background()
	now := app.Clock.Now()
	fx := badInputFixtures{"csrf": badInputCSRF, "forged_token": strings.Repeat("A", 26)}
	users := map[string]string{}
	for _, role := range []string{models.RoleAdmin, models.RoleAgent, models.RoleAuditor} {
		u, err := app.Staff.CreateUser(ctx, role+"@example.com", role, "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		users[role] = u.ID
	}

	app.Clock.Set(now.Add(-100 * 24 * time.Hour))
	fx["expired_verify_token"] = submitForToken(t, app, "old-pending@example.com")
	verifyWith(t, app, submitForToken(t, app, "old-open@example.com"))
	_, fx["expired_status_token"] = apptest.LinkIn(t, app.LastEmail("r").Text, "r")
	fx["expired_consent_token"] = askCenterToken(t, app, "old-subject@example.com")
	app.Clock.Set(now.Add(-2 * time.Hour))
	fx["jwt_expired"] = app.Login("agent@example.com")
	app.Clock.Set(now)

	fx["admin"] = app.Login("admin@example.com")
	fx["agent"] = app.Login("agent@example.com")
	fx["auditor"] = app.Login("auditor@example.com")
	fx["jwt_wrong_key"] = signJWT(t, []byte("another server's secret of 32 bytes or more"), users[models.RoleAdmin], models.RoleAdmin, now)
	fx["jwt_alg_none"] = unsignedJWT(users[models.RoleAdmin], models.RoleAdmin, now)
	fx["jwt_tampered"] = tamperJWT(t, fx["agent"], users[models.RoleAdmin], models.RoleAdmin)

	keys := map[string][]string{
		"key_requests_read": {models.ScopeRequestsRead}, "key_requests_write": {models.ScopeRequestsRead, models.ScopeRequestsWrite},
		"key_consents_read": {models.ScopeConsentsRead}, "key_consents_write": {models.ScopeConsentsWrite},
		"key_systems": {models.ScopeSystems}, "key_revoked": {models.ScopeRequestsRead, models.ScopeRequestsWrite},
	}
	for name, scopes := range keys {
		key, k, err := app.Staff.CreateAPIKey(ctx, name, scopes, "admin@example.com")
		if err != nil {
			t.Fatal(err)
		}
		fx[name] = key
		if name == "key_revoked" {
			if _, err := app.Staff.RevokeAPIKey(ctx, k.ID); err != nil {
				t.Fatal(err)
			}
			continue
		}
		// A key's first use records when it was last used (then at most
		// once a minute): use it now, so that a row using it writes nothing.
		if _, err := app.Staff.APIKey(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	fx["forged_key"] = "rdk_" + strings.Repeat("A", 43)

	pending := submitForToken(t, app, "pending@example.com")
	fx["verify_token"] = pending
	fx["pending_id"] = requestIDOf(t, app, "pending@example.com")
	fx["used_verify_token"] = submitForToken(t, app, "open@example.com")
	verifyWith(t, app, fx["used_verify_token"])
	_, fx["status_token"] = apptest.LinkIn(t, app.LastEmail("r").Text, "r")
	fx["open_id"] = requestIDOf(t, app, "open@example.com")

	crm := app.Do("POST", "/api/v1/systems", map[string]any{"name": "CRM", "request_types": []string{"access"},
		"webhook_url": "http://127.0.0.1:9/jobs"}, fx["admin"])
	billing := app.Do("POST", "/api/v1/systems", map[string]any{"name": "Billing", "request_types": []string{"deletion"},
		"manual": true}, fx["admin"])
	if crm.Status != 201 || billing.Status != 201 {
		t.Fatalf("systems: %d %s / %d %s", crm.Status, crm.Body, billing.Status, billing.Body)
	}
	fx["system_id"], fx["system_key"] = crm.Map(t)["id"].(string), crm.Map(t)["key"].(string)
	fx["other_system_key"] = billing.Map(t)["key"].(string)
	fx["forged_system_key"] = "rds_" + strings.Repeat("A", 43)

	intake := app.Do("POST", "/api/v1/requests/intake", map[string]any{"type": "access", "email": "tasked@example.com",
		"received_at": now.Add(-time.Hour).Format(time.RFC3339), "verified": true}, fx["admin"])
	if intake.Status != 201 {
		t.Fatalf("intake: %d %s", intake.Status, intake.Body)
	}
	fx["task_request_id"] = intake.Map(t)["id"].(string)
	started := app.Do("POST", "/api/v1/requests/"+fx["task_request_id"]+"/actions", map[string]any{"action": "start"}, fx["admin"])
	var detail struct{ Tasks []struct{ ID string } }
	started.JSON(t, &detail)
	if started.Status != 200 || len(detail.Tasks) != 1 {
		t.Fatalf("start: %d %s", started.Status, started.Body)
	}
	fx["task_id"] = detail.Tasks[0].ID

	consent := app.Do("POST", "/api/v1/consents", map[string]any{"email": "subject@example.com", "purpose": "marketing",
		"action": "withdraw", "source": "api"}, fx["key_consents_write"])
	if consent.Status != 201 {
		t.Fatalf("consent: %d %s", consent.Status, consent.Body)
	}
	fx["event_id"] = consent.Map(t)["id"].(string)
	other := app.Do("POST", "/api/v1/consents", map[string]any{"email": "other@example.com", "purpose": "marketing",
		"action": "withdraw", "source": "api"}, fx["key_consents_write"])
	if other.Status != 201 {
		t.Fatalf("consent: %d %s", other.Status, other.Body)
	}
	fx["other_event_id"] = other.Map(t)["id"].(string)
	fx["consent_token"] = askCenterToken(t, app, "subject@example.com")

	hook := app.Do("POST", "/api/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/hook"}, fx["admin"])
	if hook.Status != 201 {
		t.Fatalf("webhook: %d %s", hook.Status, hook.Body)
	}
	fx["webhook_id"] = hook.Map(t)["id"].(string)
	// Every email is sent before the rows run: the outbox is then still.
	app.Deliver()
	return fx
}

// submitForToken makes an access request for email and returns the token
// of its verification link.
func submitForToken(t *testing.T, app *apptest.App, email string) string {
	t.Helper()
	r := app.Do("POST", "/api/v1/requests", map[string]any{"type": "access", "email": email, "country": "FR"}, "")
	if r.Status != 202 {
		t.Fatalf("submit %s: %d %s", email, r.Status, r.Body)
	}
	app.Deliver()
	for _, e := range app.Resend.Emails() {
		if len(e.To) == 1 && e.To[0] == email {
			if _, tok := apptest.LinkIn(t, e.Text, "verify"); tok != "" {
				return tok
			}
		}
	}
	t.Fatalf("no verification email to %s", email)
	return ""
}

func verifyWith(t *testing.T, app *apptest.App, token string) {
	t.Helper()
	if r := app.Do("POST", "/api/v1/verifications", map[string]string{"token": token}, ""); r.Status != 200 {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	app.Deliver()
}

// askCenterToken asks for a consent-center link for email and returns its token.
func askCenterToken(t *testing.T, app *apptest.App, email string) string {
	t.Helper()
	if err := app.Consents.SendCenterLink(context.Background(), email); err != nil {
		t.Fatal(err)
	}
	app.Deliver()
	emails := app.Resend.Emails()
	_, tok := apptest.LinkIn(t, emails[len(emails)-1].Text, "consents")
	return tok
}

func requestIDOf(t *testing.T, app *apptest.App, email string) string {
	t.Helper()
	admin := app.Login("admin@example.com")
	var page struct{ Items []struct{ ID, Email string } }
	app.Do("GET", "/api/v1/requests?q="+email, nil, admin).JSON(t, &page)
	if len(page.Items) != 1 {
		t.Fatalf("requests of %s: %+v", email, page.Items)
	}
	return page.Items[0].ID
}

// JWTs as an attacker would make them: signed with another key, unsigned
// (alg none), and a real token whose payload was edited.

func jwtClaims(sub, role string, now time.Time) map[string]any {
	return map[string]any{"role": role, "iss": "rightsdesk", "sub": sub, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
}

func signJWT(t *testing.T, key []byte, sub, role string, now time.Time) string {
	t.Helper()
	unsigned := b64JSON(map[string]string{"alg": "HS256", "typ": "JWT"}) + "." + b64JSON(jwtClaims(sub, role, now))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(unsigned))
	return unsigned + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func unsignedJWT(sub, role string, now time.Time) string {
	return b64JSON(map[string]string{"alg": "none", "typ": "JWT"}) + "." + b64JSON(jwtClaims(sub, role, now)) + "."
}

// tamperJWT rewrites a real token's subject and role, keeping its header
// and signature.
func tamperJWT(t *testing.T, token, sub, role string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	claims["sub"], claims["role"] = sub, role
	parts[1] = b64JSON(claims)
	return strings.Join(parts, ".")
}

func b64JSON(v any) string {
	raw, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(raw)
}
