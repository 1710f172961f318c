package handlers

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	sentryecho "github.com/getsentry/sentry-go/echo"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// The staff console: server-rendered HTML under /admin, usable without
// JavaScript. A signed-in user carries a cookie session (a staff JWT, the
// same the API issues); the user and role are read from the database on
// every request, so disabling a user or changing a role takes effect at
// once. Every form carries a CSRF token bound to a cookie.

const (
	consoleSessionCookie = "rd_session"
	consoleCSRFCookie    = "rd_admin_csrf"
	consoleFlashCookie   = "rd_flash"
	consolePath          = "/admin"
	consoleUserKey       = "rightsdesk.console.user"
	consoleCSRFKey       = "csrf"
)

// Who may see what. Auditors read everything but may not act; only admins
// manage staff users and API keys and see the outbox.
var (
	consoleEveryRole = models.Roles
	consoleWorkers   = []string{models.RoleAdmin, models.RoleAgent, models.RoleGrievanceOfficer}
	consoleAdmins    = []string{models.RoleAdmin}
)

// consoleOpenStatuses are the requests being worked on: the dashboard's "open"
// figures and chart. consoleLiveStatuses add those awaiting verification, which
// can escalate too (a missed CCPA acknowledgement).
var (
	consoleOpenStatuses = []string{lifecycle.Open, lifecycle.InProgress, lifecycle.AwaitingRequester}
	consoleLiveStatuses = []string{lifecycle.PendingVerification, lifecycle.Open, lifecycle.InProgress, lifecycle.AwaitingRequester}
)

// console holds the console's state next to the server's dependencies.
type console struct {
	*Server
	secure bool // cookies are Secure: the base URL is https
}

// console declares the staff console under /admin.
func (s *Server) console() {
	cn := &console{
		Server: s,
		secure: strings.HasPrefix(strings.ToLower(s.BaseURL), "https://"),
	}
	g := s.echo.Group(consolePath, cn.renderErrors, middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:_csrf",
		ContextKey:     consoleCSRFKey,
		CookieName:     consoleCSRFCookie,
		CookiePath:     consolePath,
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteStrictMode,
		CookieSecure:   cn.secure,
		CookieMaxAge:   12 * 3600,
		ErrorHandler: func(error, echo.Context) error {
			return errConsoleCSRF
		},
	}), cn.loadSession)

	g.GET("/login", cn.loginPage)
	g.POST("/login", cn.loginSubmit)
	g.POST("/logout", cn.logout)

	g.GET("", cn.dashboard, cn.need(consoleEveryRole))
	g.GET("/", cn.dashboard, cn.need(consoleEveryRole))
	g.GET("/requests", cn.queue, cn.need(consoleEveryRole))
	g.GET("/requests/new", cn.intakePage, cn.need(consoleWorkers))
	g.POST("/requests/new", cn.intakeSubmit, cn.need(consoleWorkers))
	g.GET("/requests/:id", cn.requestPage, cn.need(consoleEveryRole))
	g.POST("/requests/:id/actions", cn.requestAction, cn.need(consoleWorkers))
	g.POST("/requests/:id/tasks/:task/result", cn.taskResult, cn.need(consoleWorkers))

	g.GET("/staff", cn.staffPage, cn.need(consoleAdmins))
	g.POST("/staff", cn.staffCreate, cn.need(consoleAdmins))
	g.POST("/staff/:id/disable", cn.staffDisable, cn.need(consoleAdmins))
	g.POST("/staff/:id/enable", cn.staffEnable, cn.need(consoleAdmins))
	g.GET("/apikeys", cn.apiKeysPage, cn.need(consoleAdmins))
	g.POST("/apikeys", cn.apiKeyCreate, cn.need(consoleAdmins))
	g.POST("/apikeys/:id/revoke", cn.apiKeyRevoke, cn.need(consoleAdmins))
	g.GET("/outbox", cn.outboxPage, cn.need(consoleAdmins))
	cn.webhookRoutes(g)
	cn.systemRoutes(g)
}

// consoleData is what every console page gets.
type consoleData struct {
	Title   string
	OrgName string
	Zone    string
	User    *models.StaffUser
	CSRF    string
	Flash   string
	Nav     []consoleLink
	CanAct  bool // every role but the auditor
	IsAdmin bool
	Page    any
}

type consoleLink struct {
	ID, Href, Label string
	Current         bool
}

type consoleOption struct{ Value, Label string }

// render writes a console page. It is never cached: it carries personal
// data and a CSRF token.
func (cn *console) render(c echo.Context, status int, name, title string, page any) error {
	pol := cn.Requests.Policy()
	d := consoleData{Title: title, OrgName: pol.Organization.Name, Zone: pol.Location().String(),
		User: consoleUser(c), Page: page, Flash: cn.takeFlash(c)}
	if tok, ok := c.Get(consoleCSRFKey).(string); ok {
		d.CSRF = tok
	}
	if d.User != nil {
		d.CanAct = slices.Contains(consoleWorkers, d.User.Role)
		d.IsAdmin = d.User.Role == models.RoleAdmin
		d.Nav = consoleNav(c.Path(), d.User.Role)
	}
	var buf bytes.Buffer
	if err := templates.RenderConsole(&buf, name, d); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// consoleNav lists the sections a role may open, marking the current one.
func consoleNav(route, role string) []consoleLink {
	all := []struct {
		consoleLink
		roles  []string
		routes []string
	}{
		{consoleLink{ID: "dashboard", Href: "/admin", Label: "Dashboard"}, consoleEveryRole, []string{"/admin", "/admin/"}},
		{consoleLink{ID: "queue", Href: "/admin/requests", Label: "Queue"}, consoleEveryRole, []string{"/admin/requests", "/admin/requests/:id"}},
		{consoleLink{ID: "new", Href: "/admin/requests/new", Label: "New request"}, consoleWorkers, []string{"/admin/requests/new"}},
		{consoleLink{ID: "outbox", Href: "/admin/outbox", Label: "Outbox"}, consoleAdmins, []string{"/admin/outbox"}},
		{consoleLink{ID: "staff", Href: "/admin/staff", Label: "Staff"}, consoleAdmins, []string{"/admin/staff"}},
		{consoleLink{ID: "apikeys", Href: "/admin/apikeys", Label: "API keys"}, consoleAdmins, []string{"/admin/apikeys"}},
		{consoleLink{ID: "webhooks", Href: "/admin/webhooks", Label: "Webhooks"}, consoleAdmins, []string{"/admin/webhooks"}},
		{consoleLink{ID: "systems", Href: "/admin/systems", Label: "Systems"}, consoleAdmins, []string{"/admin/systems"}},
	}
	var out []consoleLink
	for _, n := range all {
		if slices.Contains(n.roles, role) {
			n.Current = slices.Contains(n.routes, route)
			out = append(out, n.consoleLink)
		}
	}
	return out
}

// consoleUser is the signed-in staff user, or nil.
func consoleUser(c echo.Context) *models.StaffUser {
	u, _ := c.Get(consoleUserKey).(*models.StaffUser)
	return u
}

// consoleActor is the signed-in user as the actor of events.
func consoleActor(c echo.Context) requests.Actor {
	u := consoleUser(c)
	return requests.Actor{Kind: "staff", Name: u.Email, Role: u.Role}
}

// loadSession reads the session cookie: a valid staff JWT naming an active
// user. Anything else is dropped, and the cookie with it.
func (cn *console) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(consoleSessionCookie)
		if err != nil || ck.Value == "" {
			return next(c)
		}
		id, err := cn.JWT.Parse(ck.Value)
		if err == nil {
			u, err := cn.Staff.User(c.Request().Context(), id)
			switch {
			case err == nil:
				c.Set(consoleUserKey, u)
				return next(c)
			case !errors.Is(err, models.ErrNotFound):
				return err
			}
		}
		cn.clearCookie(c, consoleSessionCookie)
		return next(c)
	}
}

// need admits a signed-in user with one of roles. Without a session a page
// redirects to the sign-in form, which comes back here afterwards; a form
// post gets 401 (its input cannot survive the detour).
func (cn *console) need(roles []string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u := consoleUser(c)
			if u == nil {
				if m := c.Request().Method; m == http.MethodGet || m == http.MethodHead {
					return c.Redirect(http.StatusSeeOther, "/admin/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
				}
				return &consoleProblem{Status: http.StatusUnauthorized, Heading: "Sign in again",
					Message: "You are not signed in, or your session has ended. Sign in, then do it again.",
					Back:    &consoleLink{Href: "/admin/login", Label: "Sign in"}}
			}
			if !slices.Contains(roles, u.Role) {
				msg := "Your role (" + u.Role + ") does not allow this page."
				if c.Request().Method == http.MethodPost {
					msg = "Your role (" + u.Role + ") does not allow this change."
				}
				return &consoleProblem{Status: http.StatusForbidden, Heading: "Not allowed", Message: msg,
					Back: &consoleLink{Href: "/admin", Label: "Back to the dashboard"}}
			}
			return next(c)
		}
	}
}

// consoleProblem is an error the console shows as a page of its own.
type consoleProblem struct {
	Status           int
	Heading, Message string
	Back             *consoleLink
}

func (p *consoleProblem) Error() string { return p.Heading + ": " + p.Message }

var errConsoleCSRF = &consoleProblem{Status: http.StatusForbidden, Heading: "The form has expired",
	Message: "This form was missing its security token or the token did not match (the page may be old, or the form came from another site). Nothing was changed. Reload the page and try again.",
	Back:    &consoleLink{Href: "/admin", Label: "Back to the console"}}

// renderErrors shows any error of a console route as a console page with
// the status the API would give, instead of the API's JSON envelope.
func (cn *console) renderErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil || c.Response().Committed {
			return err
		}
		p := cn.problemOf(err)
		if p.Status >= 500 {
			cn.log.ErrorContext(c.Request().Context(), "console request failed", "route", routeLabel(c), "error", err)
			// The page is written here, so the API's 5xx reporting never
			// sees this error: report it the same way.
			if hub := sentryecho.GetHubFromContext(c); hub != nil {
				hub.CaptureException(err)
			}
		}
		if rerr := cn.render(c, p.Status, "error", p.Heading, p); rerr != nil {
			cn.log.ErrorContext(c.Request().Context(), "console error page failed", "route", routeLabel(c), "error", rerr)
			return c.String(p.Status, p.Heading+": "+p.Message)
		}
		return nil
	}
}

func (cn *console) problemOf(err error) *consoleProblem {
	var p *consoleProblem
	var he *echo.HTTPError
	back := &consoleLink{Href: "/admin", Label: "Back to the dashboard"}
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &he) && he.Code == http.StatusForbidden:
		// The CSRF middleware refuses a cross-site post before any token
		// is looked at.
		return errConsoleCSRF
	case errors.As(err, &he) && he.Code == http.StatusNotFound, errors.Is(err, models.ErrNotFound):
		return &consoleProblem{Status: http.StatusNotFound, Heading: "Not found", Message: "There is nothing at this address: it may have been mistyped, or the item no longer exists.", Back: back}
	case errors.Is(err, lifecycle.ErrIllegal):
		return &consoleProblem{Status: http.StatusConflict, Heading: "Not possible now", Message: err.Error() + ". Nothing was changed.", Back: back}
	case errors.Is(err, models.ErrConflict):
		return &consoleProblem{Status: http.StatusConflict, Heading: "Someone changed it meanwhile", Message: "Someone else changed this while you were working on it, so nothing was saved. Reload it and try again.", Back: back}
	}
	ae := toAPIError(err)
	heading := http.StatusText(ae.Status)
	if ae.Status >= 500 {
		return &consoleProblem{Status: ae.Status, Heading: "Something went wrong", Message: "Something went wrong on our side; it has been logged. Try again in a moment.", Back: back}
	}
	return &consoleProblem{Status: ae.Status, Heading: heading, Message: ae.Message, Back: back}
}

// setCookie sets a console cookie: HttpOnly, scoped to /admin, Secure
// under https.
func (cn *console) setCookie(c echo.Context, name, value string, expires time.Time, maxAge int) {
	c.SetCookie(&http.Cookie{Name: name, Value: value, Path: consolePath, Expires: expires, MaxAge: maxAge,
		HttpOnly: true, Secure: cn.secure, SameSite: http.SameSiteLaxMode})
}

func (cn *console) clearCookie(c echo.Context, name string) {
	c.SetCookie(&http.Cookie{Name: name, Value: "", Path: consolePath, MaxAge: -1,
		HttpOnly: true, Secure: cn.secure, SameSite: http.SameSiteLaxMode})
}

// Flash messages survive one redirect in a short-lived cookie that holds a
// key of this table, never text from the client.
var consoleFlashes = map[string]string{
	"signed_out":          "You have signed out.",
	"created":             "The request was recorded.",
	"user_disabled":       "The user is disabled: their sessions and tokens stopped working.",
	"user_enabled":        "The user is enabled again.",
	"key_revoked":         "The key is revoked: the API refuses it from now on.",
	"action:assign":       "Assigned.",
	"action:acknowledge":  "Acknowledged.",
	"action:start":        "Started: the request is in progress.",
	"action:request_info": "The requester was asked for information; the request awaits their answer.",
	"action:resume":       "Resumed: the request is in progress again.",
	"action:extend":       "The deadline is extended; the requester is told why by email.",
	"action:complete":     "Completed; the requester is told by email.",
	"action:deny":         "Denied; the requester is told why and how to escalate by email.",
	"action:escalate":     "Escalated; that level's people are notified.",
	"action:note":         "Note added.",
	"action:withdraw":     "Withdrawn; the requester is told by email.",
}

func (cn *console) setFlash(c echo.Context, key string) {
	cn.setCookie(c, consoleFlashCookie, key, time.Time{}, 60)
}

func (cn *console) takeFlash(c echo.Context) string {
	ck, err := c.Cookie(consoleFlashCookie)
	if err != nil {
		return ""
	}
	cn.clearCookie(c, consoleFlashCookie)
	return consoleFlashes[ck.Value]
}
