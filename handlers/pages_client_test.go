package handlers_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/models"
)

// formClient is a client of the public pages as a browser without JavaScript
// is: it keeps cookies, and shows each answer (redirects are followed only
// when asked, so that tests see the 303s). It sends no Sec-Fetch-Site, so
// the CSRF token is what protects its posts.
type formClient struct {
	t   *testing.T
	app *apptest.App
	c   *http.Client
}

func newFormClient(t *testing.T, app *apptest.App) *formClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &formClient{t: t, app: app, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// htmlPage is an answer parsed as HTML.
type htmlPage struct {
	t      *testing.T
	Status int
	Header http.Header
	Body   string
	Doc    *goquery.Document
}

func (b *formClient) do(req *http.Request) *htmlPage {
	b.t.Helper()
	req.Header.Set("Accept", "text/html")
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	html, _ := doc.Html()
	return &htmlPage{t: b.t, Status: resp.StatusCode, Header: resp.Header, Body: html, Doc: doc}
}

func (b *formClient) get(path string) *htmlPage {
	b.t.Helper()
	req, err := http.NewRequest("GET", b.app.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post sends a form; header adds request headers (may be nil).
func (b *formClient) post(path string, form url.Values, header map[string]string) *htmlPage {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.app.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return b.do(req)
}

// follow GETs a redirect's Location.
func (b *formClient) follow(p *htmlPage) *htmlPage {
	b.t.Helper()
	if p.Status != http.StatusSeeOther {
		b.t.Fatalf("want 303 See Other, got %d: %s", p.Status, p.Body)
	}
	loc := p.Header.Get("Location")
	if !strings.HasPrefix(loc, "/") {
		b.t.Fatalf("redirect to %q: want a path on this site", loc)
	}
	return b.get(loc)
}

// form returns the values a formClient would send for the form (hidden fields
// included), before the test fills in its own.
func (p *htmlPage) form(selector string) url.Values {
	p.t.Helper()
	f := p.Doc.Find(selector)
	if f.Length() != 1 {
		p.t.Fatalf("want one %s, found %d in:\n%s", selector, f.Length(), p.Body)
	}
	v := url.Values{}
	f.Find("input[type=hidden]").Each(func(_ int, s *goquery.Selection) {
		v.Add(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	return v
}

func (p *htmlPage) text(selector string) string {
	return strings.TrimSpace(p.Doc.Find(selector).Text())
}

func (p *htmlPage) has(selector string) bool { return p.Doc.Find(selector).Length() > 0 }

func (p *htmlPage) want(status int) *htmlPage {
	p.t.Helper()
	if p.Status != status {
		p.t.Fatalf("status %d, want %d:\n%s", p.Status, status, p.Body)
	}
	return p
}

// requestByReference is the stored request of a reference.
func requestByReference(t *testing.T, app *apptest.App, ref string) *models.Request {
	t.Helper()
	r, err := app.Store.GetRequestByReference(context.Background(), ref)
	if err != nil {
		t.Fatalf("request %s: %v", ref, err)
	}
	return r
}

// submitForm fills the form of a type as a requester would and sends it.
func (b *formClient) submitForm(typ string, fields url.Values) *htmlPage {
	b.t.Helper()
	form := b.get("/?type=" + url.QueryEscape(typ)).want(200).form("#request-form")
	for k, vs := range fields {
		form[k] = vs
	}
	return b.post("/requests", form, nil)
}

// openStatusPage submits a request through the form, confirms it through
// the verification page and returns the status page the confirmation
// leads to, with its path.
func (b *formClient) openStatusPage(typ string, fields url.Values) (*htmlPage, string) {
	b.t.Helper()
	b.submitForm(typ, fields).want(200)
	b.app.Deliver()
	_, token := apptest.LinkIn(b.t, b.app.LastEmail("verify").Text, "verify")
	confirm := b.get("/verify/" + token).want(200)
	done := b.post("/verify/"+token, confirm.form("#verify-form"), nil)
	loc := done.Header.Get("Location")
	status := b.follow(done).want(200)
	path, _, _ := strings.Cut(loc, "?")
	return status, path
}
