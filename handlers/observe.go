package handlers

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Request ids, panics and Sentry: the middleware that ties every log line
// and error report of a request to the id in its X-Request-Id header,
// without letting personal data into either (docs/observability.md). The
// request id is mw_requestid.go, Sentry's reporting mw_sentry.go.

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
