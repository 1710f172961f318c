package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/workflows/audit"
)

// The whole promise of the issue: intake → email through Resend → confirm →
// open with the right due date → staff start and complete, each step an
// event in an intact chain and each email sent once.
func TestRequestEndToEnd(t *testing.T) {
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)})

	r := app.Do("POST", "/api/v1/requests", map[string]any{"type": "access", "email": "Ana@Example.com", "name": "Ana", "country": "FR"}, "")
	if r.Status != 202 {
		t.Fatalf("intake: %d %s", r.Status, r.Body)
	}
	created := r.Map(t)
	if created["status"] != "pending_verification" || created["reference"] == "" || created["id"] == "" {
		t.Fatalf("intake answer: %v", created)
	}

	app.Deliver()
	emails := app.Resend.Emails()
	if len(emails) != 1 {
		t.Fatalf("want 1 verification email, got %d", len(emails))
	}
	verify := emails[0]
	if verify.To[0] != "Ana@Example.com" || !strings.Contains(verify.From, "Example Org") || verify.IdempotencyKey == "" {
		t.Fatalf("verification email: %+v", verify)
	}
	link, token := apptest.LinkIn(t, verify.Text, "verify")
	if !strings.Contains(verify.HTML, link) {
		t.Fatalf("the HTML part lacks the link %s", link)
	}

	// Mail scanners fetch links: GET shows a button and uses nothing.
	for range 2 {
		page := app.Do("GET", "/verify/"+token, nil, "")
		if page.Status != 200 || !strings.Contains(string(page.Body), `method="post"`) {
			t.Fatalf("confirm page: %d %s", page.Status, page.Body)
		}
	}
	v := app.Do("POST", "/api/v1/verifications", map[string]string{"token": token}, "")
	if v.Status != 200 {
		t.Fatalf("verify: %d %s", v.Status, v.Body)
	}
	got := v.Map(t)
	// GDPR: received 31 January → due 28 February, end of day (UTC policy).
	if got["status"] != "open" || got["due_at"] != "2026-02-28T23:59:59Z" || got["type"] != "access" {
		t.Fatalf("verified request: %v", got)
	}
	again := app.Do("POST", "/api/v1/verifications", map[string]string{"token": token}, "")
	unknown := app.Do("POST", "/api/v1/verifications", map[string]string{"token": "AAAAAAAAAAAAAAAAAAAAAAAAAA"}, "")
	if again.Status != 410 || unknown.Status != 404 {
		t.Fatalf("used token %d, unknown token %d; want 410 and 404", again.Status, unknown.Status)
	}
	if errMessage(t, again) != errMessage(t, unknown) {
		t.Fatal("used and unknown tokens must get the same message")
	}

	app.Deliver()
	emails = app.Resend.Emails()
	if len(emails) != 2 || !strings.Contains(emails[1].Subject, created["reference"].(string)) {
		t.Fatalf("want the receipt email naming the reference, got %+v", emails)
	}
	apptest.LinkIn(t, emails[1].Text, "r")

	admin := app.StaffToken("admin@example.com", "admin")
	id := created["id"].(string)
	detail := app.Do("GET", "/api/v1/requests/"+id, nil, admin).Map(t)
	if detail["acknowledged_at"] == nil || detail["verified_at"] == nil || detail["regime"] != "gdpr" {
		t.Fatalf("detail after verification: %v", detail)
	}
	for _, action := range []string{"start", "complete"} {
		res := app.Do("POST", "/api/v1/requests/"+id+"/actions", map[string]string{"action": action}, admin)
		if res.Status != 200 {
			t.Fatalf("%s: %d %s", action, res.Status, res.Body)
		}
	}
	final := app.Do("GET", "/api/v1/requests/"+id, nil, admin).Map(t)
	if final["status"] != "completed" || final["closed_at"] == nil || final["outcome"] != "complied" || final["assignee"] != "admin@example.com" {
		t.Fatalf("after completion: %v", final)
	}
	events := final["events"].([]any)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	if strings.Join(actions, ",") != "submit,verify,start,complete" {
		t.Fatalf("events: %v", actions)
	}
	if n, err := audit.VerifyAll(context.Background(), app.Store); err != nil || n != 4 {
		t.Fatalf("audit chain: %d events, %v", n, err)
	}
	app.Deliver()
	if last := app.Resend.Emails(); len(last) != 3 || app.Resend.Attempts() != 3 {
		t.Fatalf("want 3 emails each sent once, got %d emails in %d attempts", len(last), app.Resend.Attempts())
	}
}

func TestConfirmThroughTheHTMLForm(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	app.Do("POST", "/api/v1/requests", map[string]any{"type": "deletion", "email": "b@example.com"}, "")
	app.Deliver()
	_, token := apptest.LinkIn(t, app.Resend.Emails()[0].Text, "verify")
	page := app.Do("POST", "/verify/"+token, nil, "")
	if page.Status != 200 || !strings.Contains(string(page.Body), "confirmed") {
		t.Fatalf("form confirm: %d %s", page.Status, page.Body)
	}
	if again := app.Do("POST", "/verify/"+token, nil, ""); again.Status != 410 {
		t.Fatalf("second confirm: %d", again.Status)
	}
	if page.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatal("pages with tokens must not send a Referer")
	}
}

func TestVerificationLinkExpires(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	app.Do("POST", "/api/v1/requests", map[string]any{"type": "access", "email": "c@example.com"}, "")
	app.Deliver()
	_, token := apptest.LinkIn(t, app.Resend.Emails()[0].Text, "verify")
	app.Clock.Add(25 * time.Hour) // the default policy's token_ttl is 24h
	if r := app.Do("POST", "/api/v1/verifications", map[string]string{"token": token}, ""); r.Status != 410 {
		t.Fatalf("expired token: %d %s", r.Status, r.Body)
	}
	if r := app.Do("GET", "/verify/"+token, nil, ""); r.Status != 410 {
		t.Fatalf("expired token page: %d", r.Status)
	}
}

func errMessage(t *testing.T, r *apptest.Response) string {
	t.Helper()
	var env struct {
		Error struct{ Code, Message, Field string }
	}
	r.JSON(t, &env)
	if env.Error.Code == "" || env.Error.Message == "" {
		t.Fatalf("not the error envelope: %s", r.Body)
	}
	return env.Error.Message
}

// The status link of the receipt email opens a page with the request's
// public timeline; staff notes stay out of it.
func TestStatusPageShowsThePublicTimeline(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	admin := app.StaffToken("admin@example.com", "admin")
	r := app.Do("POST", "/api/v1/requests", map[string]any{"type": "deletion", "email": "s@example.com"}, "")
	id := r.Map(t)["id"].(string)
	app.Deliver()
	_, token := apptest.LinkIn(t, app.LastEmail("verify").Text, "verify")
	app.Do("POST", "/api/v1/verifications", map[string]string{"token": token}, "")
	app.Do("POST", "/api/v1/requests/"+id+"/actions", map[string]any{"action": "note", "note": "internal: check the CRM export"}, admin)
	app.Do("POST", "/api/v1/requests/"+id+"/actions", map[string]any{"action": "request_info", "note": "Which account name do you use?"}, admin)
	app.Deliver()
	_, status := apptest.LinkIn(t, app.LastEmail("r").Text, "r")
	for range 2 { // a bookmark: opening it uses nothing
		page := app.Do("GET", "/r/"+status, nil, "")
		body := string(page.Body)
		if page.Status != 200 || !strings.Contains(body, "Which account name do you use?") || !strings.Contains(body, "awaiting requester") {
			t.Fatalf("status page: %d %s", page.Status, body)
		}
		if strings.Contains(body, "CRM export") {
			t.Fatal("a staff note leaked onto the requester's page")
		}
	}
	if page := app.Do("GET", "/r/AAAAAAAAAAAAAAAAAAAAAAAAAA", nil, ""); page.Status != 404 {
		t.Fatalf("unknown status token: %d", page.Status)
	}
}
