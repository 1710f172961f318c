package handlers

import (
	"net/http"

	"github.com/labstack/echo-contrib/echoprometheus"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// GET /metrics: Prometheus text format, unauthenticated like /readyz (it
// carries counts and route patterns, no personal data; firewall it the
// same way). Each Server has its own registry (Deps.Metrics): the default
// one would panic when a process builds a second server, as tests do.

// metricsNamespace prefixes every rightsdesk metric.
const metricsNamespace = "rightsdesk"

// unmatchedRoute labels requests no route matched: their raw path could
// hold a token, and one label per path would be unbounded.
const unmatchedRoute = "unmatched"

// httpMetrics counts and times every request by route pattern, method and
// status (rightsdesk_http_requests_total and
// rightsdesk_http_request_duration_seconds, see mw_metrics.go), and
// registers the database gauges and the Go runtime's metrics in the same
// registry.
func (s *Server) httpMetrics() echo.MiddlewareFunc {
	reg := s.Metrics
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newDBCollector(s.Store, s.Requests.Policy(), s.Now, s.log))
	return newHTTPMetrics(reg).middleware
}

// metricsRoute serves the registry.
func (s *Server) metricsRoute(e *echo.Echo) {
	e.GET("/metrics", echoprometheus.NewHandlerWithConfig(echoprometheus.HandlerConfig{Gatherer: s.Metrics}))
}

// newMetricsRegistry is the registry a Server uses when Deps gives none.
func newMetricsRegistry() *prometheus.Registry { return prometheus.NewRegistry() }

func routeLabel(c echo.Context) string {
	if p := c.Path(); p != "" {
		return p
	}
	return unmatchedRoute
}

func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}
