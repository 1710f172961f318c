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
	b.Do(chromedp.Click(chromedp.CSS("form button")), chromedp.WaitVisible(chromedp.CSS("#reference")))
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
