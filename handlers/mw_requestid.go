package handlers

import (
	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/observe"
)

// requestIDs sets X-Request-Id on every response and puts the id in the
// request's context, where the log handler (observe.Handler) finds it. A
// client's own id is kept only when observe.SafeRequestID accepts it: a
// header a client controls must not write arbitrary text into our logs.
// Otherwise the id is generated (observe.RequestIDs: no read of the
// kernel's random source per request).
func requestIDs(ids *observe.RequestIDs) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			id := r.Header.Get(echo.HeaderXRequestID)
			if id == "" || !observe.SafeRequestID(id) {
				id = ids.Next()
			}
			c.Response().Header()[echo.HeaderXRequestID] = []string{id}
			c.SetRequest(r.WithContext(observe.WithRequestID(r.Context(), id)))
			return next(c)
		}
	}
}
