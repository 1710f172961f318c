package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
)

// The verification page's button confirms and leads, by a 303, to the
// status page, which shows the reference.
func TestConfirmLeadsToTheStatusPage(t *testing.T) {
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)})
	b := newFormClient(t, app)
	b.submitForm("access", url.Values{"email": {"v@example.com"}, "country": {"FR"}}).want(200)
	app.Deliver()
	mail := app.LastEmail("verify")
	_, token := apptest.LinkIn(t, mail.Text, "verify")

	confirm := b.get("/verify/" + token).want(200)
	if confirm.Doc.Find("#verify-form").AttrOr("method", "") != "post" || !confirm.has("button#confirm") {
		t.Fatalf("confirm page: %s", confirm.Body)
	}
	ref := confirm.text("#reference")
	done := b.post("/verify/"+token, url.Values{}, nil)
	if done.Status != http.StatusSeeOther || !strings.HasPrefix(done.Header.Get("Location"), "/r/") {
		t.Fatalf("confirm: %d %v", done.Status, done.Header)
	}
	status := b.follow(done).want(200)
	if status.text("#reference") != ref || !strings.HasPrefix(ref, "DSR-") || status.Doc.Find("#status").AttrOr("data-status", "") != "open" {
		t.Fatalf("status page:\n%s", status.Body)
	}
	if !strings.Contains(status.text("#notice"), "confirmed") {
		t.Fatal("no confirmation notice")
	}
	// GDPR, received 31 January: due 28 February.
	if status.text("#received") != "31 January 2026" || status.text("#due") != "28 February 2026" {
		t.Fatalf("dates: %q %q", status.text("#received"), status.text("#due"))
	}
	// Without the notice on a later visit; the token stays good.
	path, _, _ := strings.Cut(done.Header.Get("Location"), "?")
	if again := b.get(path).want(200); again.has("#notice") {
		t.Fatal("the notice shows on every visit")
	}
	// The button works once.
	if again := b.post("/verify/"+token, url.Values{}, nil); again.Status != http.StatusGone {
		t.Fatalf("second confirm: %d", again.Status)
	}
}

// Staff notes stay off the requester's page; a question shows with the
// answer form, and answering resumes the request.
func TestStatusPageQuestionAndAnswer(t *testing.T) {
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
	admin := app.StaffToken("admin@example.com", "admin")
	b := newFormClient(t, app)
	page, path := b.openStatusPage("access", url.Values{"email": {"q@example.co.uk"}, "country": {"GB"}})
	r := requestByReference(t, app, page.text("#reference"))
	if page.has("#answer-form") || !page.has("#withdraw-form") {
		t.Fatalf("an open request: withdraw but no answer form:\n%s", page.Body)
	}
	act := func(body map[string]any) {
		t.Helper()
		if res := app.Do("POST", "/api/v1/requests/"+r.ID+"/actions", body, admin); res.Status != 200 {
			t.Fatalf("%v: %d %s", body, res.Status, res.Body)
		}
	}
	act(map[string]any{"action": "note", "note": "internal: the CRM export is slow"})
	act(map[string]any{"action": "request_info", "note": "Which account name do you use?"})

	asked := b.get(path).want(200)
	if strings.Contains(asked.Body, "CRM export") {
		t.Fatal("a staff note is on the requester's page")
	}
	if asked.text("#question") != "Which account name do you use?" || !asked.has("#answer-form textarea#answer[name=answer][maxlength='10000']") {
		t.Fatalf("question and answer form:\n%s", asked.Body)
	}
	if asked.Doc.Find("#status").AttrOr("data-status", "") != "awaiting_requester" {
		t.Fatal("status")
	}
	assertLabelled(t, asked)

	// An empty answer: 422, the error next to the textarea.
	form := asked.form("#answer-form")
	form.Set("answer", "   ")
	empty := b.post(path+"/answer", form, nil).want(http.StatusUnprocessableEntity)
	if empty.text("#answer-error") == "" || empty.Doc.Find("#answer").AttrOr("aria-invalid", "") != "true" || empty.Doc.Find("#error-summary a").AttrOr("href", "") != "#answer" {
		t.Fatalf("empty answer:\n%s", empty.Body)
	}
	// Without the CSRF token: 403, nothing changes.
	if p := b.post(path+"/answer", url.Values{"answer": {"sneaky"}}, nil); p.Status != http.StatusForbidden {
		t.Fatalf("answer without token: %d", p.Status)
	}

	app.Clock.Set(time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)) // 5 days paused, both counted
	form.Set("answer", "My account is ada_l.\nThanks!")
	done := b.post(path+"/answer", form, nil)
	after := b.follow(done).want(200)
	if !strings.Contains(after.text("#notice"), "answer") || after.Doc.Find("#status").AttrOr("data-status", "") != "in_progress" || after.has("#answer-form") {
		t.Fatalf("after answering:\n%s", after.Body)
	}
	if !strings.Contains(after.text("#timeline"), "My account is ada_l.") {
		t.Fatal("the answer is not in the timeline")
	}
	// uk_gdpr: due 2 April moves 5 days to 7 April, as a staff resume would.
	if after.text("#due") != "7 April 2026" {
		t.Fatalf("due %q, want 7 April 2026", after.text("#due"))
	}
	stored := requestByReference(t, app, page.text("#reference"))
	if stored.Status != "in_progress" || stored.AwaitingSince != nil {
		t.Fatalf("stored %s", stored.Status)
	}
	// Answering again: nothing to answer.
	again := b.post(path+"/answer", form, nil).want(http.StatusConflict)
	if !again.has("#error-summary") || again.has("#answer-form") {
		t.Fatalf("second answer:\n%s", again.Body)
	}
	admin = app.Login("admin@example.com") // the clock moved past the token's hour
	detail := app.Do("GET", "/api/v1/requests/"+r.ID, nil, admin).Map(t)
	events := detail["events"].([]any)
	last := events[len(events)-2].(map[string]any)
	if last["action"] != "answer" || last["actor"] != "requester" || last["note"] != "My account is ada_l.\nThanks!" {
		t.Fatalf("answer event %v", last)
	}
}

func TestWithdrawFromTheStatusPage(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	b := newFormClient(t, app)
	page, path := b.openStatusPage("deletion", url.Values{"email": {"w@example.com"}})
	form := page.form("#withdraw-form")
	if page.Doc.Find("#withdraw-form").AttrOr("action", "") != path+"/withdraw" || !page.has("button#withdraw") || !page.has("textarea#withdraw-reason[name=reason]") {
		t.Fatalf("withdraw form:\n%s", page.Body)
	}
	if p := b.post(path+"/withdraw", url.Values{}, nil); p.Status != http.StatusForbidden {
		t.Fatalf("withdraw without token: %d", p.Status)
	}
	form.Set("reason", "Solved it myself.")
	after := b.follow(b.post(path+"/withdraw", form, nil)).want(200)
	if after.Doc.Find("#status").AttrOr("data-status", "") != "withdrawn" || after.has("#withdraw-form") || !strings.Contains(after.text("#notice"), "withdrawn") {
		t.Fatalf("after withdrawing:\n%s", after.Body)
	}
	if !after.has("#closed") || after.has("#due") {
		t.Fatal("a closed request shows when it closed, not a due date")
	}
	app.Deliver()
	var found bool
	for _, e := range app.Resend.Emails() {
		found = found || strings.Contains(e.Subject+e.Text, "withdrawn")
	}
	if !found {
		t.Fatal("no withdrawn email")
	}
	if again := b.post(path+"/withdraw", form, nil).want(http.StatusConflict); !strings.Contains(again.text("#error-summary"), "withdrawn") {
		t.Fatalf("second withdrawal:\n%s", again.Body)
	}
	if p := b.post("/r/AAAAAAAAAAAAAAAAAAAAAAAAAA/withdraw", form, nil); p.Status != http.StatusNotFound {
		t.Fatalf("unknown token: %d", p.Status)
	}
}

// Every public page carries the security headers, and none has inline
// script or style for the Content-Security-Policy to refuse.
func TestSecurityHeadersOnEveryPage(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	b := newFormClient(t, app)
	statusPage, path := b.openStatusPage("correction", url.Values{"email": {"h@example.com"},
		"correction_1_field": {"name"}, "correction_1_requested": {"Ann"}})
	form := b.get("/?type=access").form("#request-form")
	form.Set("email", "bad")
	pages := map[string]*htmlPage{
		"chooser":     b.get("/"),
		"bad type":    b.get("/?type=nope"),
		"form":        b.get("/?type=opt_out"),
		"form errors": b.post("/requests", form, nil),
		"no token":    b.post("/requests", url.Values{"type": {"access"}}, nil),
		"status":      statusPage,
		"unknown":     b.get("/r/AAAAAAAAAAAAAAAAAAAAAAAAAA"),
		"verify gone": b.get("/verify/AAAAAAAAAAAAAAAAAAAAAAAAAA"),
		"check email": newFormClient(t, app).submitForm("access", url.Values{"email": {"x@example.com"}}),
		"not found":   b.get("/nowhere"),
		"withdraw":    b.post(path+"/withdraw", url.Values{}, nil),
	}
	for name, p := range pages {
		h := p.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "style-src 'self'") ||
			!strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", name, csp)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", name, h)
		}
		if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Errorf("%s: content type %q", name, h.Get("Content-Type"))
		}
		if n := p.Doc.Find("script, style, [style]").Length(); n > 0 {
			t.Errorf("%s: %d inline scripts or styles", name, n)
		}
		for _, n := range p.Doc.Find("*").Nodes {
			for _, a := range n.Attr {
				if strings.HasPrefix(strings.ToLower(a.Key), "on") {
					t.Errorf("%s: inline event handler %s on <%s>", name, a.Key, n.Data)
				}
			}
		}
		if !p.has(`meta[name=viewport]`) || p.Doc.Find("html").AttrOr("lang", "") != "en" {
			t.Errorf("%s: viewport and language", name)
		}
	}
	if s := pages["no token"].Status; s != http.StatusForbidden {
		t.Errorf("no token: %d", s)
	}
}
