package handlers

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/limits"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
)

// Sign-in throttling is limits.Config.Login (RIGHTSDESK_RATE_LIMIT_LOGIN),
// shared with POST /api/v1/auth/login: after N failed sign-ins for one email,
// or from one address, within the window, sign-in is refused for that email
// or address (429 with Retry-After) for the window. The counts are kept in
// memory, per server instance: with several instances behind a load
// balancer an attacker gets that many tries per instance.

type consoleLoginData struct {
	Email, Next, Error string
}

// loginPage shows the sign-in form; a signed-in user goes on at once.
func (cn *console) loginPage(c echo.Context) error {
	next := consoleNext(c.QueryParam("next"))
	if consoleUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return cn.render(c, http.StatusOK, "login", "Sign in", consoleLoginData{Next: next})
}

// loginSubmit checks the email and password (as POST /api/v1/auth/login
// does) and starts a cookie session carrying the same JWT.
func (cn *console) loginSubmit(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	next := consoleNext(c.FormValue("next"))
	keys := loginKeys(c, email)
	form := consoleLoginData{Email: email, Next: next}
	if wait, blocked := cn.abuse.login.Blocked(keys...); blocked {
		c.Response().Header().Set("Retry-After", limits.RetryAfter(wait))
		form.Error = fmt.Sprintf("Too many failed sign-ins for this account or from this network. Sign-in is paused: try again in %d minute(s).",
			int(math.Ceil(wait.Minutes())))
		return cn.render(c, http.StatusTooManyRequests, "login", "Sign in", form)
	}
	u, err := cn.Staff.Authenticate(c.Request().Context(), email, c.FormValue("password"))
	if errors.Is(err, staff.ErrBadCredentials) {
		cn.abuse.login.Fail(keys...)
		form.Error = "The email or password is wrong."
		return cn.render(c, http.StatusUnauthorized, "login", "Sign in", form)
	}
	if err != nil {
		return err
	}
	if len(keys) > 1 {
		cn.abuse.login.Reset(keys[1])
	}
	tok, exp, err := cn.JWT.Issue(u.ID, u.Role)
	if err != nil {
		return err
	}
	// Max-Age as well as Expires: a client whose clock is off still keeps
	// the cookie exactly as long as the token lives.
	cn.setCookie(c, consoleSessionCookie, tok, exp, max(1, int(exp.Sub(cn.Now()).Seconds())))
	return c.Redirect(http.StatusSeeOther, next)
}

// logout ends the session in this browser. (The JWT inside stays valid
// until it expires; it was never shown to scripts: the cookie is HttpOnly.)
func (cn *console) logout(c echo.Context) error {
	cn.clearCookie(c, consoleSessionCookie)
	cn.setFlash(c, "signed_out")
	return c.Redirect(http.StatusSeeOther, "/admin/login")
}

// consoleNext accepts only a local console path to return to after sign-in,
// so that the sign-in form cannot be used to send someone elsewhere.
func consoleNext(v string) string {
	const home = consolePath
	if v == "" || strings.HasPrefix(v, "//") || strings.ContainsAny(v, "\\\r\n\t") {
		return home
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
		return home
	}
	if u.Path != consolePath && !strings.HasPrefix(u.Path, consolePath+"/") || strings.Contains(u.Path, "..") {
		return home
	}
	if strings.HasPrefix(u.Path, "/admin/login") || strings.HasPrefix(u.Path, "/admin/logout") {
		return home
	}
	return u.RequestURI()
}
