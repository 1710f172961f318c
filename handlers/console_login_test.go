package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/handlers"
	"github.com/rightsdesk/rightsdesk/internal/auth"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/models"
)

func consoleStaff(t *testing.T, app *apptest.App, email, role string) *models.StaffUser {
	t.Helper()
	u, err := app.Staff.CreateUser(context.Background(), email, role, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func consoleSetCookie(t *testing.T, p *consolePage, name string) *http.Cookie {
	t.Helper()
	for _, c := range p.Resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no Set-Cookie %s in %v", name, p.Header.Values("Set-Cookie"))
	return nil
}

func TestConsoleSignInSessionAndSignOut(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	consoleStaff(t, app, "agent@example.com", models.RoleAgent)
	cc := newConsoleClient(t, app)

	// Without a session every page sends the browser to the sign-in form,
	// which comes back to the page afterwards.
	if p := cc.get("/admin"); p.Status != 303 || p.Header.Get("Location") != "/admin/login?next=%2Fadmin" {
		t.Fatalf("dashboard without a session: %d %q", p.Status, p.Header.Get("Location"))
	}
	p := cc.get("/admin/requests?status=open&type=access")
	if p.Status != 303 {
		t.Fatalf("queue without a session: %d", p.Status)
	}
	login := cc.follow(p)
	if login.Status != 200 {
		t.Fatalf("sign-in page: %d", login.Status)
	}
	for _, sel := range []string{`#login-form`, `#login-email[name="email"][type="email"]`, `#login-password[name="password"][type="password"]`, `#login-submit[type="submit"]`, `label[for="login-email"]`, `label[for="login-password"]`} {
		if login.Doc.Find(sel).Length() != 1 {
			t.Errorf("sign-in page lacks %s", sel)
		}
	}
	next, _ := login.Doc.Find(`#login-form input[name="next"]`).Attr("value")
	if next != "/admin/requests?status=open&type=access" {
		t.Fatalf("next = %q", next)
	}
	// The CSRF cookie: HttpOnly, SameSite=Strict, only under /admin, not
	// Secure on an http base URL; the form carries its token.
	csrf := consoleSetCookie(t, login, "rd_admin_csrf")
	if !csrf.HttpOnly || csrf.SameSite != http.SameSiteStrictMode || csrf.Path != "/admin" || csrf.Secure {
		t.Fatalf("CSRF cookie flags: %+v", csrf)
	}
	if tok, _ := login.Doc.Find(`#login-form input[name="_csrf"]`).Attr("value"); tok != csrf.Value || tok == "" {
		t.Fatalf("form token %q, cookie %q", tok, csrf.Value)
	}
	if cc := login.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control %q", cc)
	}

	// A wrong password: 401, the form again with the email kept.
	bad := cc.post("/admin/login", url.Values{"email": {"agent@example.com"}, "password": {"wrong horse battery"}, "next": {next}})
	if bad.Status != 401 || !strings.Contains(consoleSel(bad, "#login-error"), "email or password is wrong") {
		t.Fatalf("wrong password: %d %s", bad.Status, consoleText(bad))
	}
	if v, _ := bad.Doc.Find("#login-email").Attr("value"); v != "agent@example.com" {
		t.Fatalf("email not kept: %q", v)
	}
	if cc.cookie("rd_session") != "" {
		t.Fatal("a failed sign-in set a session")
	}
	if unknown := cc.post("/admin/login", url.Values{"email": {"nobody@example.com"}, "password": {"wrong horse battery"}}); unknown.Status != 401 {
		t.Fatalf("unknown user: %d", unknown.Status)
	}

	// The right password: a session cookie carrying the API's JWT, and back
	// to the page asked for.
	ok := cc.post("/admin/login", url.Values{"email": {"agent@example.com"}, "password": {"correct horse battery"}, "next": {next}})
	if ok.Status != 303 || ok.Header.Get("Location") != next {
		t.Fatalf("sign-in: %d %q", ok.Status, ok.Header.Get("Location"))
	}
	sess := consoleSetCookie(t, ok, "rd_session")
	if !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/admin" || sess.Secure {
		t.Fatalf("session cookie flags: %+v", sess)
	}
	wantExp := app.Clock.Now().Add(time.Hour) // apptest's JWT lifetime
	if !sess.Expires.Equal(wantExp.Truncate(time.Second)) || sess.MaxAge != 3600 {
		t.Fatalf("session expiry %v max-age %d, want the JWT's %v", sess.Expires, sess.MaxAge, wantExp)
	}
	if r := app.Do("GET", "/api/v1/requests", nil, sess.Value); r.Status != 200 {
		t.Fatalf("the session's token is not the API's JWT: %d", r.Status)
	}
	queue := cc.follow(ok)
	if queue.Status != 200 || !strings.Contains(consoleSel(queue, "#signed-in-as"), "agent@example.com") || consoleSel(queue, "#signed-in-role") != "agent" {
		t.Fatalf("queue after sign-in: %d %s", queue.Status, consoleText(queue))
	}
	if queue.Doc.Find(`#logout-form input[name="_csrf"]`).Length() != 1 || queue.Doc.Find("#logout").Length() != 1 {
		t.Fatal("no sign-out button")
	}
	// Signed in, the sign-in page moves on.
	if p := cc.get("/admin/login"); p.Status != 303 || p.Header.Get("Location") != "/admin" {
		t.Fatalf("sign-in page while signed in: %d %q", p.Status, p.Header.Get("Location"))
	}

	// Sign-out clears the cookie; the console is closed again.
	out := cc.post("/admin/logout", nil)
	if out.Status != 303 || out.Header.Get("Location") != "/admin/login" {
		t.Fatalf("sign-out: %d %q", out.Status, out.Header.Get("Location"))
	}
	if c := consoleSetCookie(t, out, "rd_session"); c.MaxAge >= 0 || c.Value != "" || c.Path != "/admin" {
		t.Fatalf("sign-out cookie: %+v", c)
	}
	if cc.cookie("rd_session") != "" {
		t.Fatal("the session cookie survived sign-out")
	}
	after := cc.follow(out)
	if !strings.Contains(consoleSel(after, "#flash"), "signed out") {
		t.Fatalf("no sign-out notice: %s", consoleText(after))
	}
	if p := cc.get("/admin"); p.Status != 303 {
		t.Fatalf("dashboard after sign-out: %d", p.Status)
	}
}

func TestConsoleNextMustBeALocalPath(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	consoleStaff(t, app, "agent@example.com", models.RoleAgent)
	for next, want := range map[string]string{
		"https://evil.example/admin": "/admin", "//evil.example/admin": "/admin", "/\\evil.example": "/admin",
		"/admin/../r/x": "/admin", "/adminx": "/admin", "/api/v1/requests": "/admin", "javascript:alert(1)": "/admin",
		"/admin/requests/abc?x=1": "/admin/requests/abc?x=1", "": "/admin", "/admin/logout": "/admin",
	} {
		cc := newConsoleClient(t, app)
		p := cc.post("/admin/login", url.Values{"email": {"agent@example.com"}, "password": {"correct horse battery"}, "next": {next}})
		if p.Status != 303 || p.Header.Get("Location") != want {
			t.Errorf("next %q: %d → %q, want %q", next, p.Status, p.Header.Get("Location"), want)
		}
	}
}

func TestConsoleDisabledUserIsOutAtOnce(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	u := consoleStaff(t, app, "agent@example.com", models.RoleAgent)
	cc := newConsoleClient(t, app)
	cc.login("agent@example.com")
	if p := cc.get("/admin/requests"); p.Status != 200 {
		t.Fatalf("queue: %d", p.Status)
	}
	now := app.Clock.Now()
	if err := app.Store.SetStaffDisabled(context.Background(), u.ID, &now); err != nil {
		t.Fatal(err)
	}
	if p := cc.get("/admin/requests"); p.Status != 303 {
		t.Fatalf("a disabled user still sees the queue: %d", p.Status)
	}
	if cc.cookie("rd_session") != "" {
		t.Fatal("the dead session cookie was kept")
	}
	// The session also ends when the token expires.
	if err := app.Store.SetStaffDisabled(context.Background(), u.ID, nil); err != nil {
		t.Fatal(err)
	}
	cc.login("agent@example.com")
	app.Clock.Add(61 * time.Minute)
	if p := cc.get("/admin/requests"); p.Status != 303 {
		t.Fatalf("an expired session still works: %d", p.Status)
	}
}

func TestConsoleFormsNeedTheCSRFToken(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	consoleStaff(t, app, "admin@example.com", models.RoleAdmin)
	admin := app.Login("admin@example.com")
	id := openRequest(t, app, map[string]any{"type": "access"})
	cc := newConsoleClient(t, app)
	cc.get("/admin/login")

	// Sign-in without the token, or with a wrong one: 403 and an HTML page.
	for name, form := range map[string]url.Values{
		"missing": {"email": {"admin@example.com"}, "password": {"correct horse battery"}},
		"wrong":   {"email": {"admin@example.com"}, "password": {"correct horse battery"}, "_csrf": {"not-the-token"}},
	} {
		p := cc.postRaw("/admin/login", form)
		if p.Status != 403 || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") || p.Doc.Find("#error-title").Length() != 1 {
			t.Fatalf("sign-in with a %s token: %d %s", name, p.Status, consoleText(p))
		}
		if cc.cookie("rd_session") != "" {
			t.Fatalf("sign-in with a %s token started a session", name)
		}
	}

	// An action without the token changes nothing.
	cc.login("admin@example.com")
	before, _ := app.Store.GetRequest(context.Background(), id)
	p := cc.postRaw("/admin/requests/"+id+"/actions", url.Values{"action": {"start"}})
	if p.Status != 403 || !strings.Contains(consoleText(p), "security token") {
		t.Fatalf("action without a token: %d %s", p.Status, consoleText(p))
	}
	after, _ := app.Store.GetRequest(context.Background(), id)
	if after.Version != before.Version || after.Status != "open" {
		t.Fatal("a post without a CSRF token changed the request")
	}
	// Nor does sign-out without it.
	if p := cc.postRaw("/admin/logout", nil); p.Status != 403 {
		t.Fatalf("sign-out without a token: %d", p.Status)
	}
	// A cross-site post is refused before any token is read.
	req, _ := http.NewRequest("POST", app.URL+"/admin/requests/"+id+"/actions", strings.NewReader(url.Values{"action": {"start"}, "_csrf": {cc.csrf()}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := cc.do(req); p.Status != 403 {
		t.Fatalf("cross-site post: %d", p.Status)
	}
	// The JSON API is untouched: a Bearer token needs no CSRF token.
	if r := act(app, admin, id, map[string]any{"action": "note", "note": "api"}); r.Status != 200 {
		t.Fatalf("API action: %d %s", r.Status, r.Body)
	}
}

func TestConsoleCookiesAreSecureUnderHTTPS(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	consoleStaff(t, app, "admin@example.com", models.RoleAdmin)
	keys := secrets.Derive([]byte("test secret of at least thirty-two bytes!"))
	srv := handlers.New(handlers.Deps{Store: app.Store, Requests: app.Requests, Staff: app.Staff,
		JWT: auth.NewJWT(keys.JWTKey(), time.Hour, app.Clock.Now), Now: app.Clock.Now, BaseURL: "https://privacy.example.com",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	https := &apptest.App{T: t, URL: hs.URL}
	cc := newConsoleClient(t, https)
	login := cc.get("/admin/login")
	csrf := consoleSetCookie(t, login, "rd_admin_csrf")
	if !csrf.Secure {
		t.Fatalf("CSRF cookie not Secure under https: %+v", csrf)
	}
	// The jar keeps Secure cookies away from plain http, so post by hand.
	form := url.Values{"email": {"admin@example.com"}, "password": {"correct horse battery"}, "_csrf": {csrf.Value}}
	req, _ := http.NewRequest("POST", hs.URL+"/admin/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "rd_admin_csrf", Value: csrf.Value})
	p := cc.do(req)
	if p.Status != 303 {
		t.Fatalf("sign-in: %d %s", p.Status, consoleText(p))
	}
	if s := consoleSetCookie(t, p, "rd_session"); !s.Secure || !s.HttpOnly {
		t.Fatalf("session cookie under https: %+v", s)
	}
}

func TestConsoleSignInIsThrottled(t *testing.T) {
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
	consoleStaff(t, app, "agent@example.com", models.RoleAgent)
	consoleStaff(t, app, "other@example.com", models.RoleAgent)
	cc := newConsoleClient(t, app)
	wrong := url.Values{"email": {"agent@example.com"}, "password": {"wrong horse battery"}}
	for i := 1; i <= 5; i++ {
		if p := cc.post("/admin/login", wrong); p.Status != 401 {
			t.Fatalf("failure %d: %d", i, p.Status)
		}
		app.Clock.Add(time.Minute)
	}
	// Locked for 15 minutes from the fifth failure, even with the right
	// password, and for every email from this address.
	right := url.Values{"email": {"agent@example.com"}, "password": {"correct horse battery"}}
	p := cc.post("/admin/login", right)
	if p.Status != 429 || p.Header.Get("Retry-After") != "840" || !strings.Contains(consoleSel(p, "#login-error"), "try again in 14 minute") {
		t.Fatalf("sixth attempt: %d Retry-After %q %s", p.Status, p.Header.Get("Retry-After"), consoleText(p))
	}
	if p := cc.post("/admin/login", url.Values{"email": {"other@example.com"}, "password": {"correct horse battery"}}); p.Status != 429 {
		t.Fatalf("another email from the same address: %d", p.Status)
	}
	if cc.cookie("rd_session") != "" {
		t.Fatal("a throttled sign-in started a session")
	}
	app.Clock.Add(14 * time.Minute)
	if p := cc.post("/admin/login", right); p.Status != 303 {
		t.Fatalf("after the lock: %d %s", p.Status, consoleText(p))
	}
}
