package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/internal/testutil/browser"
)

// These tests drive a real headless chromium against the real server, its
// database and the fake Resend. They skip where chromium is not installed
// (CI installs it and requires them). Screenshots of every main page go to
// $RIGHTSDESK_SCREENSHOTS (default: rightsdesk-screenshots in the temp dir).

// A requester fills the form (making a mistake first), reads the email,
// confirms, sees the status page, and answers an information request.
func TestBrowserRequesterJourney(t *testing.T) {
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
	b := browser.New(t)

	b.Open(app.URL+"/", "#type-form")
	if n := b.Count("#type-form input[type=radio]"); n != len(app.Policy.RequestTypes) {
		t.Fatalf("%d request types on the form, the policy offers %d", n, len(app.Policy.RequestTypes))
	}
	b.Screenshot("public-1-choose-type")
	b.Do(chromedp.Click(chromedp.CSS("#type-access")), chromedp.Click(chromedp.CSS("#continue")),
		chromedp.WaitVisible(chromedp.CSS("#request-form")))
	if b.Count("#nominee") != 0 || b.Count("#corrections") != 0 {
		t.Fatal("the access form shows fields of other request types")
	}

	// Sending without an email: the error is shown, what was typed is kept.
	b.Do(chromedp.SendKeys(chromedp.CSS("#name"), "Ana Example"), chromedp.Click(chromedp.CSS("#submit-request")),
		chromedp.WaitVisible(chromedp.CSS("#error-summary")))
	if b.Text("#email-error") == "" || b.Count("#email[aria-invalid=true]") != 1 {
		t.Fatal("the missing email is not marked on its field")
	}
	if v := b.Value("#name"); v != "Ana Example" {
		t.Fatalf("the typed name was lost: %q", v)
	}
	b.Screenshot("public-2-form-error")

	b.Do(chromedp.SendKeys(chromedp.CSS("#email"), "ana@example.com"), chromedp.SetValue(chromedp.CSS("#country"), "GB"),
		chromedp.Click(chromedp.CSS("#submit-request")), chromedp.WaitVisible(chromedp.CSS("#check-email")))
	b.Screenshot("public-3-check-email")

	app.Deliver()
	_, token := apptest.LinkIn(t, app.LastEmail("verify").Text, "verify")
	b.Open(app.URL+"/verify/"+token, "form button")
	b.Screenshot("public-4-confirm")
	// Submit waits for the new document: the confirm page shows the
	// reference too, so waiting for #reference alone could read the old page.
	b.Submit("form button", `#status[data-status="open"]`)
	if !strings.Contains(b.Location(), "/r/") || b.Count(`#status[data-status="open"]`) != 1 {
		t.Fatalf("after confirming: %s, status %q", b.Location(), b.Text("#status"))
	}
	ref := b.Text("#reference")
	b.Screenshot("public-5-status")

	// Staff ask a question; the status page shows it with an answer form.
	admin := app.StaffToken("admin@example.com", "admin")
	list := app.Do("GET", "/api/v1/requests?q="+ref, nil, admin)
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	list.JSON(t, &page)
	if len(page.Items) != 1 {
		t.Fatalf("request %s not found by the API: %s", ref, list.Body)
	}
	id := page.Items[0].ID
	if r := act(app, admin, id, map[string]any{"action": "request_info", "note": "Which username do you use with us?"}); r.Status != 200 {
		t.Fatalf("request_info: %d %s", r.Status, r.Body)
	}
	status := b.Location()
	b.Open(status, "#answer-form")
	if q := b.Text("#question"); q != "Which username do you use with us?" {
		t.Fatalf("question shown: %q", q)
	}
	b.Screenshot("public-6-status-question")
	b.Do(chromedp.SendKeys(chromedp.CSS("#answer-form textarea"), "It is ana_example."),
		chromedp.Click(chromedp.CSS("#send-answer")), chromedp.WaitVisible(chromedp.CSS(`#status[data-status="in_progress"]`)))
	got, _ := app.Store.GetRequest(context.Background(), id)
	if got.Status != "in_progress" || b.Count("#notice") != 1 || b.Count("#answer-form") != 0 {
		t.Fatalf("after answering: stored %s, page %q", got.Status, b.Text("#status"))
	}
	b.Screenshot("public-7-status-answered")

	// The form on a phone.
	b.Do(chromedp.EmulateViewport(390, 844))
	b.Open(app.URL+"/?type=correction", "#request-form")
	b.Screenshot("public-8-form-phone")
}

// login signs a staff user in through the console's form.
func login(t *testing.T, app *apptest.App, b *browser.Browser, email string) {
	t.Helper()
	b.Open(app.URL+"/admin/login", "#login-form")
	b.Do(chromedp.SendKeys(chromedp.CSS("#login-email"), email),
		chromedp.SendKeys(chromedp.CSS("#login-password"), "correct horse battery"))
	b.Submit("#login-submit", "#logout")
}

// waitFor polls the database until cond holds (the page said it is done;
// this checks what was stored).
func storedStatus(t *testing.T, app *apptest.App, id string) string {
	t.Helper()
	r, err := app.Store.GetRequest(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r.Status
}

// A staff member signs in, finds the request in the queue, starts, extends
// and completes it; an auditor sees the same request with no action; an
// admin's pages (staff, API keys, outbox) render.
func TestBrowserConsoleJourney(t *testing.T) {
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
	app.StaffToken("agent@example.com", "agent")
	app.StaffToken("auditor@example.com", "auditor")
	app.StaffToken("admin@example.com", "admin")
	openRequest(t, app, map[string]any{"type": "deletion", "regime": "default", "email": "other@example.com"})
	id := openRequest(t, app, map[string]any{"type": "access", "regime": "gdpr", "name": "Ana Example"})
	ref, _ := app.Store.GetRequest(context.Background(), id)

	b := browser.New(t)
	b.Open(app.URL+"/admin", "#login-form") // signed out: sent to the login page
	b.Screenshot("console-1-login")
	login(t, app, b, "agent@example.com")
	b.Screenshot("console-2-dashboard")

	b.Open(app.URL+"/admin/requests", "tr.queue-row")
	if n := b.Count("tr.queue-row"); n != 2 {
		t.Fatalf("queue shows %d requests, want 2", n)
	}
	b.Do(chromedp.SendKeys(chromedp.CSS("input[name=q]"), ref.Reference))
	b.Submit("#filter-submit", `tr.queue-row[data-reference="`+ref.Reference+`"]`)
	if n := b.Count("tr.queue-row"); n != 1 {
		t.Fatalf("searching %s shows %d rows", ref.Reference, n)
	}
	b.Screenshot("console-3-queue")
	b.Submit("#request-link-"+id, "#request-title")
	if !strings.Contains(b.Text("#request-title"), ref.Reference) || b.Text("#fact-email") != "subject@example.com" {
		t.Fatalf("detail page: %q %q", b.Text("#request-title"), b.Text("#fact-email"))
	}
	b.Screenshot("console-4-request-open")

	b.Submit("#start-submit", "#action-extend")
	if got := storedStatus(t, app, id); got != "in_progress" {
		t.Fatalf("after start: %s", got)
	}
	b.Do(chromedp.SendKeys(chromedp.CSS("#extend-days"), "10"),
		chromedp.SendKeys(chromedp.CSS("#extend-reason"), "Several systems hold your data."))
	b.Submit("#extend-submit", "#flash")
	if r, _ := app.Store.GetRequest(context.Background(), id); r.ExtendedDueAt == nil {
		t.Fatalf("not extended; page says %q", b.Text("#flash"))
	}
	b.Screenshot("console-5-request-extended")
	b.Submit("#complete-submit", "#flash")
	if got := storedStatus(t, app, id); got != "completed" || b.Count("#action-complete") != 0 {
		t.Fatalf("after complete: %s", got)
	}
	b.Screenshot("console-6-request-completed")

	auditor := browser.New(t)
	login(t, app, auditor, "auditor@example.com")
	other := openRequest(t, app, map[string]any{"type": "export", "email": "third@example.com"})
	auditor.Open(app.URL+"/admin/requests/"+other, "#request-title")
	if auditor.Count("#actions form") != 0 || auditor.Count("#read-only-note") != 1 {
		t.Fatalf("the auditor sees %d action forms", auditor.Count("#actions form"))
	}
	auditor.Screenshot("console-7-auditor-request")

	admin := browser.New(t)
	login(t, app, admin, "admin@example.com")
	for _, p := range []struct{ path, name string }{
		{"/admin/staff", "console-8-staff"}, {"/admin/apikeys", "console-9-apikeys"}, {"/admin/outbox", "console-10-outbox"},
	} {
		admin.Open(app.URL+p.path, "main h1")
		admin.Screenshot(p.name)
	}
}
