package handlers

import (
	"strings"

	"github.com/getsentry/sentry-go"
	sentryecho "github.com/getsentry/sentry-go/echo"
	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/observe"
)

// sentryReporting reports panics and 5xx errors to Sentry when it is
// initialised (observe.InitSentry), else adds nothing: since sentry-go
// v0.50 an uninitialised hub holds a no-op client rather than none, so
// IsEnabled is what tells. It runs inside recoverPanics: it sees a panic
// first, reports it and panics again for recoverPanics to answer. What an
// event may carry is decided by observe.BeforeSend.
//
// Unlike sentry-go's echo integration, which cloned the hub and started a
// (never sent) transaction for every request, a hub is cloned only for a
// request that has something to report. The console, which writes its own
// error pages and reports its 5xx itself through the hub in the echo
// context (sentryecho.GetHubFromContext), still gets one per request.
func sentryReporting() []echo.MiddlewareFunc {
	if !sentry.CurrentHub().Client().IsEnabled() {
		return nil
	}
	return []echo.MiddlewareFunc{reportToSentry}
}

func reportToSentry(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if p := c.Path(); p == consolePath || strings.HasPrefix(p, consolePath+"/") {
			sentryecho.SetHubOnContext(c, requestHub(c))
		}
		defer func() {
			if v := recover(); v != nil {
				requestHub(c).RecoverWithContext(c.Request().Context(), v)
				panic(v)
			}
		}()
		err := next(c)
		if err != nil && toAPIError(err).Status >= 500 {
			requestHub(c).CaptureException(err)
		}
		return err
	}
}

// requestHub is a hub for one request's report, tagged with what ties it
// to the logs: the request id and the route pattern (never the path).
func requestHub(c echo.Context) *sentry.Hub {
	if hub := sentryecho.GetHubFromContext(c); hub != nil {
		return hub
	}
	hub := sentry.CurrentHub().Clone()
	hub.Scope().SetTag("request_id", observe.RequestID(c.Request().Context()))
	hub.Scope().SetTag("route", routeLabel(c))
	return hub
}
