package handlers_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/models"
)

// openRequest makes a verified request and returns its id.
func openRequest(t *testing.T, app *apptest.App, body map[string]any) string {
	t.Helper()
	if body["email"] == nil {
		body["email"] = "subject@example.com"
	}
	r := app.Do("POST", "/api/v1/requests", body, "")
	if r.Status != 202 {
		t.Fatalf("intake: %d %s", r.Status, r.Body)
	}
	id := r.Map(t)["id"].(string)
	app.Deliver()
	_, token := apptest.LinkIn(t, app.LastEmail("verify").Text, "verify")
	if v := app.Do("POST", "/api/v1/verifications", map[string]string{"token": token}, ""); v.Status != 200 {
		t.Fatalf("verify: %d %s", v.Status, v.Body)
	}
	app.Deliver()
	return id
}

func act(app *apptest.App, token, id string, body map[string]any) *apptest.Response {
	return app.Do("POST", "/api/v1/requests/"+id+"/actions", body, token)
}

func TestIllegalTransitionIsRefusedAndChangesNothing(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	admin := app.StaffToken("admin@example.com", "admin")
	id := openRequest(t, app, map[string]any{"type": "access"})
	before, _ := app.Store.GetRequest(context.Background(), id)
	r := act(app, admin, id, map[string]any{"action": "complete"}) // open → completed skips start
	if r.Status != 409 || !strings.Contains(string(r.Body), "illegal_transition") {
		t.Fatalf("complete from open: %d %s", r.Status, r.Body)
	}
	after, _ := app.Store.GetRequest(context.Background(), id)
	events, _ := app.Store.Events(context.Background(), id)
	if after.Version != before.Version || after.Status != "open" || len(events) != 2 {
		t.Fatalf("an illegal transition changed the request: v%d→v%d, %d events", before.Version, after.Version, len(events))
	}
	if r := act(app, admin, id, map[string]any{"action": "fly"}); r.Status != 400 {
		t.Fatalf("unknown action: %d", r.Status)
	}
}

func TestDenyNeedsAReasonAndEmailsHowToEscalate(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	admin := app.StaffToken("admin@example.com", "admin")
	id := openRequest(t, app, map[string]any{"type": "deletion", "country": "GB"})
	if r := act(app, admin, id, map[string]any{"action": "deny"}); r.Status != 400 || !strings.Contains(string(r.Body), `"field":"reason"`) {
		t.Fatalf("deny without reason: %d %s", r.Status, r.Body)
	}
	if r := act(app, admin, id, map[string]any{"action": "deny", "reason": "We could not verify the account holder."}); r.Status != 200 {
		t.Fatalf("deny: %d %s", r.Status, r.Body)
	}
	app.Deliver()
	emails := app.Resend.Emails()
	denied := emails[len(emails)-1]
	for _, want := range []string{"We could not verify the account holder.", "Information Commissioner", "Wycliffe House", "Grievance Officer"} {
		if !strings.Contains(denied.Text, want) {
			t.Errorf("denial email lacks %q:\n%s", want, denied.Text)
		}
	}
	// An appeal may now reference the denied request, from the same email only.
	ref := app.Do("GET", "/api/v1/requests/"+id, nil, admin).Map(t)["reference"].(string)
	if r := app.Do("POST", "/api/v1/requests", map[string]any{"type": "appeal", "email": "someone@else.example", "related_reference": ref}, ""); r.Status != 400 {
		t.Fatalf("appeal from another email: %d", r.Status)
	}
	if r := app.Do("POST", "/api/v1/requests", map[string]any{"type": "appeal", "email": "subject@example.com", "related_reference": ref}, ""); r.Status != 202 {
		t.Fatalf("appeal: %d %s", r.Status, r.Body)
	}
}

func TestAppealMustNameADeniedRequest(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	admin := app.StaffToken("admin@example.com", "admin")
	id := openRequest(t, app, map[string]any{"type": "access"})
	ref := app.Do("GET", "/api/v1/requests/"+id, nil, admin).Map(t)["reference"].(string)
	r := app.Do("POST", "/api/v1/requests", map[string]any{"type": "appeal", "email": "subject@example.com", "related_reference": ref}, "")
	if r.Status != 400 || !strings.Contains(string(r.Body), `"field":"related_reference"`) {
		t.Fatalf("appeal of an open request: %d %s", r.Status, r.Body)
	}
}

func TestExtensionLimitsPerRegime(t *testing.T) {
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)})
	admin := app.StaffToken("admin@example.com", "admin")
	gdpr := openRequest(t, app, map[string]any{"type": "access", "regime": "gdpr"})
	if r := act(app, admin, gdpr, map[string]any{"action": "extend", "days": 30}); r.Status != 400 {
		t.Fatalf("extension without reasons: %d %s", r.Status, r.Body)
	}
	r := act(app, admin, gdpr, map[string]any{"action": "extend", "days": 30, "reason": "Many systems to search."})
	if r.Status != 200 || r.Map(t)["extended_due_at"] != "2026-03-30T23:59:59Z" || r.Map(t)["due_at"] != "2026-02-28T23:59:59Z" {
		t.Fatalf("gdpr extension: %d %s", r.Status, r.Body)
	}
	// Two months after 28 February is 28 April: 30 + 30 more days is too far.
	if r := act(app, admin, gdpr, map[string]any{"action": "extend", "days": 30, "reason": "More."}); r.Status != 422 || !strings.Contains(string(r.Body), `"field":"days"`) {
		t.Fatalf("extension past the maximum: %d %s", r.Status, r.Body)
	}
	lgpd := openRequest(t, app, map[string]any{"type": "access", "regime": "lgpd"})
	if r := act(app, admin, lgpd, map[string]any{"action": "extend", "days": 5, "reason": "x"}); r.Status != 422 {
		t.Fatalf("lgpd has no extension: %d %s", r.Status, r.Body)
	}
	late := openRequest(t, app, map[string]any{"type": "access", "regime": "default"})
	app.Clock.Add(31 * 24 * time.Hour)
	admin = app.Login("admin@example.com")
	if r := act(app, admin, late, map[string]any{"action": "extend", "days": 5, "reason": "x"}); r.Status != 422 {
		t.Fatalf("extension after the first due date: %d %s", r.Status, r.Body)
	}
	app.Deliver()
	var extended int
	for _, e := range app.Resend.Emails() {
		if strings.Contains(e.Text, "Many systems to search.") {
			extended++
		}
	}
	if extended != 1 {
		t.Fatalf("want one extension email with the reasons, got %d", extended)
	}
}

func TestPauseWhileAwaitingRequesterMovesTheDueDate(t *testing.T) {
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
	admin := app.StaffToken("admin@example.com", "admin")
	uk := openRequest(t, app, map[string]any{"type": "access", "country": "GB"})
	eu := openRequest(t, app, map[string]any{"type": "access", "country": "FR"})
	for _, id := range []string{uk, eu} {
		if r := act(app, admin, id, map[string]any{"action": "request_info", "note": "Which account do you mean?"}); r.Status != 200 || r.Map(t)["status"] != "awaiting_requester" {
			t.Fatalf("request_info: %d %s", r.Status, r.Body)
		}
	}
	app.Clock.Add(4 * 24 * time.Hour) // asked 2 March, answered 6 March: 5 days paused
	admin = app.Login("admin@example.com")
	for _, id := range []string{uk, eu} {
		if r := act(app, admin, id, map[string]any{"action": "resume"}); r.Status != 200 {
			t.Fatalf("resume: %d %s", r.Status, r.Body)
		}
	}
	if got := app.Do("GET", "/api/v1/requests/"+uk, nil, admin).Map(t)["due_at"]; got != "2026-04-07T23:59:59Z" {
		t.Fatalf("uk_gdpr due after a 5-day pause = %v, want 2026-04-07", got)
	}
	if got := app.Do("GET", "/api/v1/requests/"+eu, nil, admin).Map(t)["due_at"]; got != "2026-04-02T23:59:59Z" {
		t.Fatalf("gdpr does not pause by default: due %v", got)
	}
	app.Deliver()
	found := false
	for _, e := range app.Resend.Emails() {
		found = found || strings.Contains(e.Text, "Which account do you mean?")
	}
	if !found {
		t.Fatal("the requester was not asked the question by email")
	}
}

func TestStaffIntakeKeepsTheOriginalReceipt(t *testing.T) {
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)})
	agent := app.StaffToken("agent@example.com", "agent")
	r := app.Do("POST", "/api/v1/requests/intake", map[string]any{
		"type": "access", "email": "post@example.com", "regime": "ccpa", "received_at": "2026-03-02T15:00:00Z", "verified": true,
	}, agent)
	if r.Status != 201 {
		t.Fatalf("staff intake: %d %s", r.Status, r.Body)
	}
	m := r.Map(t)
	// 45 days from 2 March; ack within 10 business days of 2 March.
	if m["status"] != "open" || m["due_at"] != "2026-04-16T23:59:59Z" || m["received_at"] != "2026-03-02T15:00:00Z" || m["acknowledge_due_at"] != "2026-03-16T23:59:59Z" {
		t.Fatalf("staff intake: %v", m)
	}
	if r := app.Do("POST", "/api/v1/requests/intake", map[string]any{"type": "access", "email": "p@example.com", "received_at": "2027-01-01T00:00:00Z"}, agent); r.Status != 400 {
		t.Fatalf("received_at in the future: %d", r.Status)
	}
	if r := app.Do("POST", "/api/v1/requests/intake", map[string]any{"type": "access", "email": "p@example.com", "received_at": "yesterday"}, agent); r.Status != 400 || !strings.Contains(string(r.Body), "received_at") {
		t.Fatalf("bad received_at: %d %s", r.Status, r.Body)
	}
	unverified := app.Do("POST", "/api/v1/requests/intake", map[string]any{"type": "access", "email": "p@example.com", "received_at": "2026-03-09T09:00:00Z"}, agent)
	if unverified.Status != 201 || unverified.Map(t)["status"] != "pending_verification" {
		t.Fatalf("unverified staff intake: %d %s", unverified.Status, unverified.Body)
	}
}

func TestAuthAndRoles(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	auditor := app.StaffToken("auditor@example.com", "auditor")
	id := openRequest(t, app, map[string]any{"type": "access"})
	if r := app.Do("GET", "/api/v1/requests", nil, ""); r.Status != 401 {
		t.Fatalf("no token: %d", r.Status)
	}
	if r := app.Do("GET", "/api/v1/requests/"+id, nil, auditor); r.Status != 200 {
		t.Fatalf("auditor read: %d", r.Status)
	}
	if r := act(app, auditor, id, map[string]any{"action": "note", "note": "x"}); r.Status != 403 {
		t.Fatalf("auditor action: %d", r.Status)
	}
	// alg "none" and a forged signature are refused.
	none := b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(fmt.Sprintf(`{"sub":"x","iss":"rightsdesk","exp":%d}`, time.Now().Add(time.Hour).Unix())) + "."
	parts := strings.Split(auditor, ".")
	forged := parts[0] + "." + b64(`{"sub":"x","role":"admin","iss":"rightsdesk","exp":9999999999,"iat":1}`) + "." + parts[2]
	for _, bad := range []string{none, forged, "garbage", "rdk_notakey"} {
		if r := app.Do("GET", "/api/v1/requests", nil, bad); r.Status != 401 {
			t.Fatalf("token %q: %d", bad, r.Status)
		}
	}
	if r := app.Do("POST", "/api/v1/auth/login", map[string]string{"email": "auditor@example.com", "password": "wrong password!"}, ""); r.Status != 401 {
		t.Fatalf("wrong password: %d", r.Status)
	}
	if r := app.Do("POST", "/api/v1/auth/login", map[string]string{"email": "nobody@example.com", "password": "wrong password!"}, ""); r.Status != 401 {
		t.Fatalf("unknown user: %d", r.Status)
	}
	readKey, _, err := app.Staff.CreateAPIKey(context.Background(), "reporting", []string{models.ScopeRequestsRead}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if r := app.Do("GET", "/api/v1/requests", nil, readKey); r.Status != 200 {
		t.Fatalf("read key list: %d", r.Status)
	}
	if r := act(app, readKey, id, map[string]any{"action": "start"}); r.Status != 403 {
		t.Fatalf("read key acting: %d", r.Status)
	}
	writeKey, _, _ := app.Staff.CreateAPIKey(context.Background(), "crm", []string{models.ScopeRequestsWrite}, "test")
	r := act(app, writeKey, id, map[string]any{"action": "start"})
	if r.Status != 200 {
		t.Fatalf("write key acting: %d %s", r.Status, r.Body)
	}
	ev := r.Map(t)["events"].([]any)
	if actor := ev[len(ev)-1].(map[string]any)["actor"]; actor != "api_key:crm" {
		t.Fatalf("event actor %v", actor)
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestQueuePaginationAndFilters(t *testing.T) {
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)})
	admin := app.StaffToken("admin@example.com", "admin")
	// Different regimes give different due dates: lgpd 15 d, gdpr 1 month, ccpa 45 d.
	for i, regime := range []string{"ccpa", "lgpd", "gdpr", "lgpd", "ccpa"} {
		r := app.Do("POST", "/api/v1/requests", map[string]any{"type": "access", "email": fmt.Sprintf("q%d@example.com", i), "regime": regime}, "")
		if r.Status != 202 {
			t.Fatal(r.Status)
		}
	}
	var regimes []string
	cursor := ""
	for pages := 0; ; pages++ {
		res := app.Do("GET", "/api/v1/requests?limit=2&cursor="+cursor, nil, admin)
		if res.Status != 200 || pages > 5 {
			t.Fatalf("page %d: %d %s", pages, res.Status, res.Body)
		}
		var page struct {
			Items      []map[string]any
			NextCursor *string `json:"next_cursor"`
		}
		res.JSON(t, &page)
		for _, it := range page.Items {
			regimes = append(regimes, it["regime"].(string))
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	if got := strings.Join(regimes, ","); got != "lgpd,lgpd,gdpr,ccpa,ccpa" {
		t.Fatalf("queue order by due date: %s", got)
	}
	filtered := app.Do("GET", "/api/v1/requests?regime=ccpa&status=pending_verification&type=access&escalation_level=0&due_before=2026-07-01", nil, admin)
	var f struct{ Items []map[string]any }
	filtered.JSON(t, &f)
	if len(f.Items) != 2 {
		t.Fatalf("filters: %d items %s", len(f.Items), filtered.Body)
	}
	if r := app.Do("GET", "/api/v1/requests?q=q3@example.com", nil, admin); !strings.Contains(string(r.Body), "q3@example.com") || strings.Contains(string(r.Body), "q2@example.com") {
		t.Fatalf("search: %s", r.Body)
	}
	for _, bad := range []string{"status=lost", "limit=0", "limit=1000", "escalation_level=9", "due_before=soon", "cursor=%21%21", "regime=mars", "type=teleport"} {
		if r := app.Do("GET", "/api/v1/requests?"+bad, nil, admin); r.Status != 400 {
			t.Errorf("%s: %d", bad, r.Status)
		}
	}
}
