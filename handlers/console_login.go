package handlers

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
)

// Sign-in throttling: after consoleLoginMaxFailures failed sign-ins for one email,
// or from one IP address, within consoleLoginWindow, sign-in is refused for that
// email or address (429 with Retry-After) for consoleLoginWindow. The counts are
// kept in memory, per server instance: with several instances behind a
// load balancer an attacker gets that many tries per instance.
const (
	consoleLoginMaxFailures = 5
	consoleLoginWindow      = 15 * time.Minute
	// consoleLoginLimiterSize bounds the memory: past it, stale entries are swept.
	consoleLoginLimiterSize = 10000
)

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
	keys := []string{"ip:" + c.RealIP()}
	if e := models.NormalizeEmail(email); e != "" {
		keys = append(keys, "email:"+e)
	}
	form := consoleLoginData{Email: email, Next: next}
	if wait, blocked := cn.limiter.blocked(keys...); blocked {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		form.Error = fmt.Sprintf("Too many failed sign-ins for this account or from this network. Sign-in is paused: try again in %d minute(s).",
			int(math.Ceil(wait.Minutes())))
		return cn.render(c, http.StatusTooManyRequests, "login", "Sign in", form)
	}
	u, err := cn.Staff.Authenticate(c.Request().Context(), email, c.FormValue("password"))
	if errors.Is(err, staff.ErrBadCredentials) {
		cn.limiter.fail(keys...)
		form.Error = "The email or password is wrong."
		return cn.render(c, http.StatusUnauthorized, "login", "Sign in", form)
	}
	if err != nil {
		return err
	}
	if len(keys) > 1 {
		cn.limiter.reset(keys[1])
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

// consoleLoginLimiter counts failed sign-ins per key (an email or an IP address)
// on the injected clock.
type consoleLoginLimiter struct {
	mu     sync.Mutex
	now    func() time.Time
	max    int
	window time.Duration
	keys   map[string]*consoleLoginFailures
}

type consoleLoginFailures struct {
	at          []time.Time // failures within the window, oldest first
	lockedUntil time.Time
}

func newConsoleLoginLimiter(now func() time.Time, max int, window time.Duration) *consoleLoginLimiter {
	return &consoleLoginLimiter{now: now, max: max, window: window, keys: map[string]*consoleLoginFailures{}}
}

// blocked reports whether any key is locked, and for how long still.
func (l *consoleLoginLimiter) blocked(keys ...string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, k := range keys {
		if f := l.keys[k]; f != nil && now.Before(f.lockedUntil) {
			wait = max(wait, f.lockedUntil.Sub(now))
		}
	}
	return wait, wait > 0
}

// fail records a failed sign-in against every key; the max-th failure
// within the window locks the key for the window.
func (l *consoleLoginLimiter) fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.keys) >= consoleLoginLimiterSize {
		l.sweep(now)
	}
	for _, k := range keys {
		f := l.keys[k]
		if f == nil {
			f = &consoleLoginFailures{}
			l.keys[k] = f
		}
		f.at = append(consoleRecent(f.at, now.Add(-l.window)), now)
		if len(f.at) >= l.max {
			f.lockedUntil, f.at = now.Add(l.window), nil
		}
	}
}

// reset forgets a key's failures (after a successful sign-in).
func (l *consoleLoginLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// sweep drops the keys that are neither locked nor have recent failures.
func (l *consoleLoginLimiter) sweep(now time.Time) {
	for k, f := range l.keys {
		f.at = consoleRecent(f.at, now.Add(-l.window))
		if len(f.at) == 0 && !now.Before(f.lockedUntil) {
			delete(l.keys, k)
		}
	}
}

func consoleRecent(at []time.Time, since time.Time) []time.Time {
	i := 0
	for i < len(at) && !at[i].After(since) {
		i++
	}
	return at[i:]
}
