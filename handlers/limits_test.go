package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/limits"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/models"
)

// countRequests is how many requests the database holds for an email.
func countRequests(t *testing.T, app *apptest.App, email string) int64 {
	t.Helper()
	db, err := app.Store.SQL()
	if err != nil {
		t.Fatal(err)
	}
	q := "SELECT COUNT(*) FROM requests WHERE lower(email) = ?"
	if app.Store.Dialect() == "postgres" {
		q = "SELECT COUNT(*) FROM requests WHERE lower(email) = $1"
	}
	var n int64
	if err := db.QueryRowContext(context.Background(), q, email).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// errCode is the code of an error envelope.
func errCode(t *testing.T, r *apptest.Response) string {
	t.Helper()
	var env struct{ Error struct{ Code string } }
	r.JSON(t, &env)
	return env.Error.Code
}

// One email may be submitted N times per period whatever the channel (the
// API, the form, the consent center's link), so that rightsdesk cannot be
// used to flood someone's inbox; other emails are not affected, and a
// refused submission writes nothing.
func TestSubmissionsAreLimitedPerEmail(t *testing.T) {
	app := apptest.New(t, apptest.Options{Limits: &limits.Config{Email: limits.Rate{N: 3, Per: time.Hour}}})
	victim := "victim@example.com"
	for i := range 2 {
		if r := app.Do("POST", "/api/v1/requests", map[string]any{"type": "access", "email": victim}, ""); r.Status != 202 {
			t.Fatalf("submission %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	// The third, through the form, with the address written differently.
	b := newFormClient(t, app)
	b.submitForm("access", url.Values{"email": {" Victim@Example.com "}}).want(200)
	if n := countRequests(t, app, victim); n != 3 {
		t.Fatalf("%d requests stored, want 3", n)
	}

	r := app.Do("POST", "/api/v1/requests", map[string]any{"type": "deletion", "email": "VICTIM@example.com"}, "")
	if r.Status != 429 || r.Header.Get("Retry-After") != "1200" {
		t.Fatalf("fourth submission: %d Retry-After %q %s", r.Status, r.Header.Get("Retry-After"), r.Body)
	}
	if code := errCode(t, r); code != "rate_limited" {
		t.Fatalf("code %q", code)
	}
	if p := b.submitForm("access", url.Values{"email": {victim}}); p.Status != 429 || !strings.Contains(p.text("main"), "too many requests for this email") {
		t.Fatalf("form after the limit: %d %s", p.Status, p.Body)
	}
	if p := b.post("/consents", b.get("/consents").want(200).form("#consent-link-form"), nil); p.Status == 429 {
		t.Fatal("an empty consent-center email was counted against someone") // sanity: the next check must be about the address
	}
	form := b.get("/consents").want(200).form("#consent-link-form")
	form.Set("email", victim)
	if p := b.post("/consents", form, nil); p.Status != 429 {
		t.Fatalf("consent-center link after the limit: %d", p.Status)
	}
	if n := countRequests(t, app, victim); n != 3 {
		t.Fatalf("a refused submission was stored: %d requests", n)
	}
	if r := app.Do("POST", "/api/v1/requests", map[string]any{"type": "access", "email": "someone.else@example.com"}, ""); r.Status != 202 {
		t.Fatalf("another email: %d", r.Status)
	}
	// A token comes back every 20 minutes.
	app.Clock.Add(20 * time.Minute)
	if r := app.Do("POST", "/api/v1/requests", map[string]any{"type": "access", "email": victim}, ""); r.Status != 202 {
		t.Fatalf("after 20 minutes: %d", r.Status)
	}
}

// The API's sign-in is throttled per account and per address, and shares
// its counts with the console's.
func TestAPISignInIsThrottled(t *testing.T) {
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
	app.StaffToken("agent@example.com", models.RoleAgent)
	wrong := map[string]string{"email": "agent@example.com", "password": "wrong horse battery"}
	for i := 1; i <= 4; i++ {
		if r := app.Do("POST", "/api/v1/auth/login", wrong, ""); r.Status != 401 {
			t.Fatalf("failure %d: %d", i, r.Status)
		}
	}
	// The fifth failure is made in the console.
	cc := newConsoleClient(t, app)
	if p := cc.post("/admin/login", url.Values{"email": {"agent@example.com"}, "password": {"wrong horse battery"}}); p.Status != 401 {
		t.Fatalf("console failure: %d", p.Status)
	}
	right := map[string]string{"email": "agent@example.com", "password": "correct horse battery"}
	r := app.Do("POST", "/api/v1/auth/login", right, "")
	if r.Status != 429 || r.Header.Get("Retry-After") != "900" || errCode(t, r) != "rate_limited" {
		t.Fatalf("sixth attempt, right password: %d Retry-After %q %s", r.Status, r.Header.Get("Retry-After"), r.Body)
	}
	app.Clock.Add(15 * time.Minute)
	if r := app.Do("POST", "/api/v1/auth/login", right, ""); r.Status != 200 {
		t.Fatalf("after the lock: %d %s", r.Status, r.Body)
	}
}

// Wrong link tokens, keys and JWTs from one address lock that address out
// of every guarded route, even with a right token, for the period.
func TestWrongTokensLockTheAddress(t *testing.T) {
	app := apptest.New(t, apptest.Options{Limits: &limits.Config{Tokens: limits.Rate{N: 4, Per: 10 * time.Minute}}})
	b := newFormClient(t, app)
	_, status := b.openStatusPage("access", url.Values{"email": {"ana@example.com"}})
	b.get(status).want(200)

	const forged = "AAAAAAAAAAAAAAAAAAAAAAAAAA"
	b.get("/r/" + forged).want(404)
	b.get("/verify/" + forged).want(404)
	if r := app.Do("POST", "/api/v1/verifications", map[string]string{"token": forged}, ""); r.Status != 404 {
		t.Fatalf("forged verification: %d", r.Status)
	}
	if r := app.Do("GET", "/api/v1/requests", nil, "rdk_not_a_key_at_all"); r.Status != 401 {
		t.Fatalf("forged key: %d", r.Status)
	}
	// Four wrong secrets: the address is locked, even for its own link and
	// for a staff token.
	p := b.get(status)
	if p.Status != 429 || p.Header.Get("Retry-After") != "600" {
		t.Fatalf("own status page after four wrong tokens: %d Retry-After %q", p.Status, p.Header.Get("Retry-After"))
	}
	if r := app.Do("GET", "/api/v1/requests", nil, "eyJhbGciOiJIUzI1NiJ9.e30.forged"); r.Status != 429 {
		t.Fatalf("a JWT from a locked address: %d", r.Status)
	}
	app.Clock.Add(10 * time.Minute)
	b.get(status).want(200)
	// Answers that are not about a secret count nothing: a missing header,
	// a right token.
	for range 10 {
		if r := app.Do("GET", "/api/v1/requests", nil, ""); r.Status != http.StatusUnauthorized {
			t.Fatalf("no token: %d", r.Status)
		}
		b.get(status).want(200)
	}
}
