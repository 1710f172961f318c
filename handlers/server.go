// Package handlers is rightsdesk's HTTP layer: each handler decodes its
// input, authorizes the caller, calls one workflow method and encodes the
// answer. Every route is declared in routes().
package handlers

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rightsdesk/rightsdesk/internal/auth"
	"github.com/rightsdesk/rightsdesk/internal/limits"
	"github.com/rightsdesk/rightsdesk/internal/observe"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/consents"
	"github.com/rightsdesk/rightsdesk/workflows/fulfilment"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

// Deps are what the handlers call.
type Deps struct {
	Store    *models.Store
	Requests *requests.Service
	Staff    *staff.Service
	Webhooks *webhooks.Service
	Consents *consents.Service
	// Fulfilment registers data systems and reads their answers.
	Fulfilment *fulfilment.Service
	JWT        *auth.JWT
	Log        *slog.Logger
	// Limits are the abuse limits (internal/limits); a zero rate is off.
	Limits limits.Config
	// Now is the clock (the current year of reports); nil means time.Now.
	Now func() time.Time
	// BaseURL is RIGHTSDESK_BASE_URL: cookies are Secure when it is https.
	BaseURL string
	// DevOutbox says no email provider is configured: the console shows the
	// dev outbox.
	DevOutbox bool
	// Metrics is the registry GET /metrics serves; nil means a new one.
	// One registry per Server: registering twice panics.
	Metrics *prometheus.Registry
}

// Server is the echo application.
type Server struct {
	Deps
	echo  *echo.Echo
	times viewTimes
	log   *slog.Logger
	abuse abuse
}

// New builds the application with every route.
func New(d Deps) *Server {
	// Every line gets the request id of its context and is scrubbed
	// (internal/observe), whatever logger the caller passed.
	d.Log = observe.Logger(d.Log)
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Metrics == nil {
		d.Metrics = newMetricsRegistry()
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// Client IPs come from the connection, never from headers a client can
	// forge; put a proxy's X-Forwarded-For behind an explicit trust setting.
	e.IPExtractor = echo.ExtractIPDirect()
	s := &Server{Deps: d, echo: e, times: viewTimes{loc: d.Requests.Policy().Location()}, log: d.Log}
	e.HTTPErrorHandler = s.errorHandler
	// Outermost first. The metrics see the status accessLog's c.Error
	// wrote; sentryReporting (when Sentry is on) sits inside
	// recoverPanics so that it sees a panic before it is answered.
	e.Use(requestIDs(observe.NewRequestIDs()))
	e.Use(s.httpMetrics())
	e.Use(s.accessLog)
	e.Use(s.recoverPanics())
	e.Use(sentryReporting()...)
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "64K",
		Skipper: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return p == importPath || isTaskResult(p)
		}}))
	e.Use(securityHeaders)
	s.routes()
	return s
}

// Handler is the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.echo }

// Echo exposes the router (for the route/spec drift test).
func (s *Server) Echo() *echo.Echo { return s.echo }

func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	s.metricsRoute(e)

	s.abuse = newAbuse(s.Limits, s.Now)
	public := []echo.MiddlewareFunc{s.limitIP}
	api := e.Group("/api/v1")
	api.POST("/requests", s.submitRequest, public...)
	api.POST("/verifications", s.verifyRequest, append(public, s.guardTokens)...)
	api.POST("/auth/login", s.login, public...)

	read := s.staffOnly(models.ScopeRequestsRead, false)
	write := s.staffOnly(models.ScopeRequestsWrite, true)
	api.GET("/requests", s.listRequests, read)
	api.POST("/requests/intake", s.staffIntake, write)
	api.GET("/requests/:id", s.getRequest, read)
	api.POST("/requests/:id/actions", s.actOnRequest, write)
	api.GET("/outbox", s.listOutbox, read)
	api.GET("/reports/metrics", s.reportMetrics, read)
	s.consentRoutes(api)
	s.webhookRoutes(api)
	s.systemRoutes(api)

	e.GET("/static/*", staticHandler())
	s.publicPages(public)
	s.console()
}

// securityHeaders: no sniffing, no framing, and no Referer, so that a link
// token in the address bar never leaks to another site. The values are
// built once (header.Set would allocate each of them per response); each
// is a slice of capacity 1, so that a later Add copies it instead of
// writing into the shared array.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		for _, kv := range securityHeaderValues {
			h[kv.key] = kv.value
		}
		return next(c)
	}
}

type headerValue struct {
	key   string
	value []string
}

var securityHeaderValues = []headerValue{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Referrer-Policy", []string{"no-referrer"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Content-Security-Policy", []string{"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"}},
}

// accessLog logs one line per request: the route pattern (never the path,
// which can hold a link token), status and duration; the log handler adds
// the request id from the context (and scrubs the strings, as every
// line's). The record is built directly, not through slog.Logger.Info:
// that would box each value and walk the stack for a source position no
// handler of ours prints.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	h := s.log.Handler()
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		ctx := c.Request().Context()
		if !h.Enabled(ctx, slog.LevelInfo) {
			return nil
		}
		end := time.Now()
		r := slog.NewRecord(end, slog.LevelInfo, "http", 0)
		r.AddAttrs(slog.String("method", methodLabel(c.Request().Method)), slog.String("route", routeLabel(c)),
			slog.Int("status", c.Response().Status), slog.Int64("duration_ms", end.Sub(start).Milliseconds()))
		_ = h.Handle(ctx, r)
		return nil
	}
}
