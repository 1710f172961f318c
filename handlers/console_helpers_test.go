package handlers_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
)

// consoleClient is a browser without JavaScript: a cookie jar, forms posted
// as application/x-www-form-urlencoded, redirects not followed (so that the
// tests see each 303).
type consoleClient struct {
	t   *testing.T
	app *apptest.App
	hc  *http.Client
}

// consolePage is an answer with its body parsed.
type consolePage struct {
	Status int
	Header http.Header
	Body   string
	Doc    *goquery.Document
	Resp   *http.Response
}

func newConsoleClient(t *testing.T, app *apptest.App) *consoleClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &consoleClient{t: t, app: app, hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (cc *consoleClient) do(req *http.Request) *consolePage {
	cc.t.Helper()
	req.Header.Set("Accept", "text/html")
	resp, err := cc.hc.Do(req)
	if err != nil {
		cc.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(raw))
	if err != nil {
		cc.t.Fatal(err)
	}
	return &consolePage{Status: resp.StatusCode, Header: resp.Header, Body: string(raw), Doc: doc, Resp: resp}
}

func (cc *consoleClient) get(path string) *consolePage {
	cc.t.Helper()
	req, err := http.NewRequest("GET", cc.app.URL+path, nil)
	if err != nil {
		cc.t.Fatal(err)
	}
	return cc.do(req)
}

// postRaw posts a form as is (no CSRF token added).
func (cc *consoleClient) postRaw(path string, form url.Values) *consolePage {
	cc.t.Helper()
	req, err := http.NewRequest("POST", cc.app.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		cc.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return cc.do(req)
}

// post posts a form with the CSRF token a console page carries (fetching
// the sign-in page first when the jar has no token yet).
func (cc *consoleClient) post(path string, form url.Values) *consolePage {
	cc.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("_csrf", cc.csrf())
	return cc.postRaw(path, f)
}

// csrf is the token bound to the jar's CSRF cookie.
func (cc *consoleClient) csrf() string {
	cc.t.Helper()
	if v := cc.cookie("rd_admin_csrf"); v != "" {
		return v
	}
	p := cc.get("/admin/login")
	tok, _ := p.Doc.Find(`#login-form input[name="_csrf"]`).Attr("value")
	if tok == "" {
		cc.t.Fatalf("no CSRF token on the sign-in page: %d", p.Status)
	}
	return tok
}

func (cc *consoleClient) cookie(name string) string {
	u, _ := url.Parse(cc.app.URL + "/admin/")
	for _, c := range cc.hc.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// follow GETs where a 303 points.
func (cc *consoleClient) follow(p *consolePage) *consolePage {
	cc.t.Helper()
	if p.Status != http.StatusSeeOther {
		cc.t.Fatalf("want 303, got %d: %s", p.Status, consoleText(p))
	}
	return cc.get(p.Header.Get("Location"))
}

// login signs in with the password apptest gives every staff user.
func (cc *consoleClient) login(email string) {
	cc.t.Helper()
	p := cc.post("/admin/login", url.Values{"email": {email}, "password": {"correct horse battery"}})
	if p.Status != http.StatusSeeOther {
		cc.t.Fatalf("console login %s: %d %s", email, p.Status, consoleText(p))
	}
}

// consoleText is a page's main text, for failure messages.
func consoleText(p *consolePage) string {
	s := strings.Join(strings.Fields(p.Doc.Find("main").Text()), " ")
	if s == "" {
		s = p.Body
	}
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}

func consoleSel(p *consolePage, sel string) string {
	return strings.Join(strings.Fields(p.Doc.Find(sel).Text()), " ")
}
