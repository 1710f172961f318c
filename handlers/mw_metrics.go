package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// httpMetricsMW counts and times every request by route pattern, method
// and status: rightsdesk_http_requests_total and
// rightsdesk_http_request_duration_seconds, with the labels echo-contrib's
// echoprometheus gave them (code, method, url, and host, always empty), so
// that dashboards and alerts built on them keep working. It replaces
// echoprometheus on the hot path: the label children of each (route,
// method, status) are looked up once and kept, and nothing is measured
// that no promise needs (the request and response size histograms are
// gone: docs/observability.md).
type httpMetricsMW struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	mu       sync.RWMutex
	children map[metricKey]metricChild
}

type metricKey struct {
	route, method string
	status        int
}

type metricChild struct {
	count prometheus.Counter
	time  prometheus.Observer
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetricsMW {
	labels := []string{"code", "method", "host", "url"}
	m := &httpMetricsMW{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Subsystem: "http", Name: "requests_total",
			Help: "How many HTTP requests processed, partitioned by status code and HTTP method.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Subsystem: "http", Name: "request_duration_seconds",
			Help: "The HTTP request latencies in seconds.", Buckets: prometheus.DefBuckets,
		}, labels),
		children: map[metricKey]metricChild{},
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// middleware: the status is the one sent (accessLog, inside, has
// answered any error already); should an error still come back, it is
// labelled as echo would answer it.
func (m *httpMetricsMW) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		elapsed := time.Since(start).Seconds()
		status := c.Response().Status
		if err != nil {
			var he *echo.HTTPError
			if errors.As(err, &he) {
				status = he.Code
			}
			if status == 0 || status == http.StatusOK {
				status = http.StatusInternalServerError
			}
		}
		ch := m.child(metricKey{route: routeLabel(c), method: methodLabel(c.Request().Method), status: status})
		ch.count.Inc()
		ch.time.Observe(elapsed)
		return err
	}
}

// child is the counter and histogram of one label set, made once. Keys
// are bounded: route patterns, the methods methodLabel knows, statuses.
func (m *httpMetricsMW) child(k metricKey) metricChild {
	m.mu.RLock()
	ch, ok := m.children[k]
	m.mu.RUnlock()
	if ok {
		return ch
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if ch, ok = m.children[k]; ok {
		return ch
	}
	code := strconv.Itoa(k.status)
	ch = metricChild{
		count: m.requests.WithLabelValues(code, k.method, "", k.route),
		time:  m.duration.WithLabelValues(code, k.method, "", k.route),
	}
	m.children[k] = ch
	return ch
}
