package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/internal/testutil/fakeresend"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
)

// acceptedInput is a hostile string that is valid free text: it is
// accepted (and so changes the database), stored verbatim, and must come
// out inert wherever it is shown: escaped in pages and emails, never in an
// email's headers.
type acceptedInput struct {
	Endpoint, Case, Answer string
	run                    func(t *testing.T, app *apptest.App, fx badInputFixtures)
}

// escapedTag is htmlTag as html/template writes it.
const escapedTag = "&lt;script&gt;alert(1)&lt;/script&gt;"

func badInputAccepted() []acceptedInput {
	return []acceptedInput{
		{"POST /api/v1/requests", "HTML in name, SQL in details", "202; stored verbatim; escaped in the console; the verification email goes to the requester alone, its subject one line",
			func(t *testing.T, app *apptest.App, fx badInputFixtures) {
				r := app.Do("POST", "/api/v1/requests", obj{"type": "access", "email": "hostile@example.com", "name": htmlTag, "details": sqlDrop}, "")
				if r.Status != 202 {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				id := r.Map(t)["id"].(string)
				stored, err := app.Store.GetRequest(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				if stored.Name != htmlTag || stored.Details != sqlDrop {
					t.Errorf("stored name %q details %q", stored.Name, stored.Details)
				}
				if n, err := app.Store.CountRequests(context.Background()); err != nil || n == 0 {
					t.Errorf("the requests table after %q: %d rows, %v", sqlDrop, n, err)
				}
				wantEscaped(t, "console request page", consoleGet(t, app, fx["admin"], "/admin/requests/"+id))
				app.Deliver()
				wantCleanEmail(t, lastMailTo(t, app, "hostile@example.com"), "hostile@example.com")
			}},
		{"POST /api/v1/requests/{id}/actions", "request_info with HTML and an email header in the note", "200; stored verbatim; escaped on the status page and in the email, whose headers are untouched",
			func(t *testing.T, app *apptest.App, fx badInputFixtures) {
				note := htmlTag + "\r\nBcc: victim@evil.com"
				r := app.Do("POST", "/api/v1/requests/"+fx["open_id"]+"/actions", obj{"action": "request_info", "note": note}, fx["agent"])
				if r.Status != 200 {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				if !strings.Contains(string(r.Body), `\u003cscript\u003e`) {
					t.Errorf("the note is not in the answer as JSON-escaped text: %s", r.Body)
				}
				wantEscaped(t, "status page", pageGet(t, app, "/r/"+fx["status_token"]))
				app.Deliver()
				e := lastMailTo(t, app, "open@example.com")
				wantCleanEmail(t, e, "open@example.com")
				wantEscaped(t, "information-needed email", e.HTML)
			}},
		{"POST /r/{token}/answer", "HTML in the answer", "303; escaped on the status page and in the console",
			func(t *testing.T, app *apptest.App, fx badInputFixtures) {
				// Runs after request_info above: the request awaits an answer.
				resp := formPost(t, app, "/r/"+fx["status_token"]+"/answer", url.Values{"answer": {htmlTag}})
				if resp.StatusCode != 303 {
					t.Fatalf("answer: %d", resp.StatusCode)
				}
				wantEscaped(t, "status page", pageGet(t, app, "/r/"+fx["status_token"]))
				wantEscaped(t, "console request page", consoleGet(t, app, fx["admin"], "/admin/requests/"+fx["open_id"]))
			}},
		{"POST /api/v1/webhooks", "HTML in description", "201; escaped on the console's webhooks page",
			func(t *testing.T, app *apptest.App, fx badInputFixtures) {
				r := app.Do("POST", "/api/v1/webhooks", obj{"url": "http://127.0.0.1:9/h2", "description": htmlTag}, fx["admin"])
				if r.Status != 201 {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				wantEscaped(t, "console webhooks page", consoleGet(t, app, fx["admin"], "/admin/webhooks"))
			}},
		{"POST /api/v1/consents", "HTML and SQL in evidence", "201; the receipt gives it back verbatim as JSON text",
			func(t *testing.T, app *apptest.App, fx badInputFixtures) {
				evidence := htmlTag + " " + sqlOr
				r := app.Do("POST", "/api/v1/consents", obj{"email": "subject@example.com", "purpose": "analytics", "action": "withdraw",
					"source": "api", "evidence": evidence}, fx["key_consents_write"])
				if r.Status != 201 {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				rec := app.Do("GET", "/api/v1/consents/"+r.Map(t)["id"].(string)+"/receipt", nil, fx["admin"])
				if rec.Status != 200 || rec.Map(t)["evidence"] != evidence {
					t.Errorf("receipt: %d %s", rec.Status, rec.Body)
				}
			}},
		{"POST /admin/login", "good password, header injection in next", "303 to /admin; no header added",
			func(t *testing.T, app *apptest.App, fx badInputFixtures) {
				req, _ := http.NewRequest("POST", app.URL+"/admin/login", strings.NewReader(url.Values{"_csrf": {badInputCSRF},
					"email": {"agent@example.com"}, "password": {"correct horse battery"}, "next": {"/admin\r\nSet-Cookie: a=b"}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Cookie", "rd_admin_csrf="+badInputCSRF)
				resp := noRedirect(t, req)
				if resp.StatusCode != 303 || resp.Header.Get("Location") != "/admin" {
					t.Errorf("%d Location %q", resp.StatusCode, resp.Header.Get("Location"))
				}
				for _, c := range resp.Cookies() {
					if c.Name == "a" {
						t.Errorf("header injected: %s", c.Raw)
					}
				}
			}},
	}
}

// The accepted strings run in order on one app of their own: each changes
// the database, so none may share the main table's app.
func TestBadInputAcceptedAsText(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	fx := newBadInputFixtures(t, app)
	t.Logf("database: %s", testdb.Name())
	for _, a := range badInputAccepted() {
		t.Run(a.Endpoint+"/"+a.Case, func(t *testing.T) { a.run(t, app, fx) })
	}
}

// wantEscaped checks a page shows the script tag as text.
func wantEscaped(t *testing.T, what, body string) {
	t.Helper()
	if strings.Contains(body, htmlTag) {
		t.Errorf("%s has the script tag unescaped", what)
	}
	if !strings.Contains(body, escapedTag) {
		t.Errorf("%s does not show the text escaped (%s): %.400s", what, escapedTag, body)
	}
}

// wantCleanEmail checks that hostile text stayed in the body: one
// recipient, the one meant; a one-line subject; the HTML part escaped.
func wantCleanEmail(t *testing.T, e fakeresend.Email, to string) {
	t.Helper()
	if len(e.To) != 1 || e.To[0] != to {
		t.Errorf("email to %q, want only %s", e.To, to)
	}
	if len(e.Cc)+len(e.Bcc)+len(e.ReplyTo)+len(e.Headers) > 0 {
		t.Errorf("email with cc %q, bcc %q, reply-to %q, headers %q: rightsdesk sets none", e.Cc, e.Bcc, e.ReplyTo, e.Headers)
	}
	if strings.ContainsAny(e.Subject, "\r\n") || strings.Contains(e.Subject, "victim") {
		t.Errorf("subject %q", e.Subject)
	}
	if strings.Contains(e.HTML, htmlTag) || strings.Contains(e.Text+e.HTML, "evil.com") && !strings.Contains(e.HTML, escapedTag) {
		t.Errorf("the HTML part has the hostile text unescaped: %.400s", e.HTML)
	}
}

func lastMailTo(t *testing.T, app *apptest.App, to string) fakeresend.Email {
	t.Helper()
	emails := app.Resend.Emails()
	for i := len(emails) - 1; i >= 0; i-- {
		if len(emails[i].To) > 0 && emails[i].To[0] == to {
			return emails[i]
		}
	}
	t.Fatalf("no email to %s", to)
	return fakeresend.Email{}
}

func noRedirect(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func fetchPage(t *testing.T, req *http.Request) string {
	t.Helper()
	req.Header.Set("Accept", "text/html")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %.300s", req.URL.Path, resp.StatusCode, raw)
	}
	return string(raw)
}

func pageGet(t *testing.T, app *apptest.App, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", app.URL+path, nil)
	return fetchPage(t, req)
}

func consoleGet(t *testing.T, app *apptest.App, jwt, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", app.URL+path, nil)
	req.Header.Set("Cookie", "rd_session="+jwt)
	return fetchPage(t, req)
}

func formPost(t *testing.T, app *apptest.App, path string, f url.Values) *http.Response {
	t.Helper()
	f.Set("_csrf", badInputCSRF)
	req, _ := http.NewRequest("POST", app.URL+path, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", "rd_csrf="+badInputCSRF)
	return noRedirect(t, req)
}
