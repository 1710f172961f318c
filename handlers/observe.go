package handlers

import (
	"github.com/getsentry/sentry-go"
	sentryecho "github.com/getsentry/sentry-go/echo"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/rightsdesk/rightsdesk/internal/observe"
)

// Request ids, panics and Sentry: the middleware that ties every log line
// and error report of a request to the id in its X-Request-Id header,
// without letting personal data into either (docs/observability.md).

// requestIDs sets X-Request-Id on every response and puts the id in the
// request's context, where the log handler (observe.Handler) finds it. A
// client's own id is kept only when observe.SafeRequestID accepts it: a
// header a client controls must not write arbitrary text into our logs.
func requestIDs() []echo.MiddlewareFunc {
	dropUnsafe := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Request().Header
			if id := h.Get(echo.HeaderXRequestID); id != "" && !observe.SafeRequestID(id) {
				h.Del(echo.HeaderXRequestID)
			}
			return next(c)
		}
	}
	return []echo.MiddlewareFunc{dropUnsafe, middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		RequestIDHandler: func(c echo.Context, id string) {
			r := c.Request()
			c.SetRequest(r.WithContext(observe.WithRequestID(r.Context(), id)))
		},
	})}
}

// recoverPanics answers a panic with a 500 and logs it as one line: the
// panic value (scrubbed like every value) and the stack. echo's default
// would print both through its own logger, outside the JSON log.
func (s *Server) recoverPanics() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.ErrorContext(c.Request().Context(), "panic", "route", c.Path(), "error", err, "stack", string(stack))
			return err
		},
	})
}

// sentryReporting reports panics and 5xx errors to Sentry when it is
// initialised (observe.InitSentry), else adds nothing. It runs inside
// recoverPanics: sentryecho sees the panic first, reports it and panics
// again (Repanic) for recoverPanics to answer. What an event may carry is
// decided by observe.BeforeSend.
func sentryReporting() []echo.MiddlewareFunc {
	if sentry.CurrentHub().Client() == nil {
		return nil
	}
	// Each event is tagged with what ties it to the logs: the request id
	// and the route pattern (never the path).
	report5xx := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			hub := sentryecho.GetHubFromContext(c)
			if hub != nil {
				hub.Scope().SetTag("request_id", observe.RequestID(c.Request().Context()))
				hub.Scope().SetTag("route", routeLabel(c))
			}
			err := next(c)
			if hub != nil && err != nil && toAPIError(err).Status >= 500 {
				hub.CaptureException(err)
			}
			return err
		}
	}
	return []echo.MiddlewareFunc{sentryecho.New(sentryecho.Options{Repanic: true}), report5xx}
}
