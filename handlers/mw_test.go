package handlers

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rightsdesk/rightsdesk/internal/observe"
)

// The shared header values are canonical keys (they are assigned to the
// map directly) and slices of capacity 1 (an Add must not write into
// them), and a response carries every one.
func TestSecurityHeaderValues(t *testing.T) {
	e := echo.New()
	e.Use(securityHeaders)
	e.GET("/", func(c echo.Context) error {
		c.Response().Header().Add("X-Frame-Options", "SAMEORIGIN") // a handler adding to one
		return c.NoContent(http.StatusNoContent)
	})
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	for _, kv := range securityHeaderValues {
		if http.CanonicalHeaderKey(kv.key) != kv.key || len(kv.value) != 1 || cap(kv.value) != 1 {
			t.Errorf("%q: %q (cap %d): want a canonical key and one value of capacity 1", kv.key, kv.value, cap(kv.value))
		}
		if got := rec.Header().Get(kv.key); got != kv.value[0] {
			t.Errorf("%s: %q, want %q", kv.key, got, kv.value[0])
		}
	}
	if securityHeaderValues[2].value[0] != "DENY" || len(securityHeaderValues[2].value) != 1 {
		t.Errorf("an Add wrote into the shared value: %q", securityHeaderValues[2].value)
	}
}

// Requests are counted per route pattern, method and the status sent; the
// cached children are the ones the registry reports; an error that comes
// back unanswered is counted as echo would answer it.
func TestHTTPMetricsCountByRouteMethodAndStatus(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := newHTTPMetrics(reg)
	e := echo.New()
	e.Use(m.middleware)
	e.GET("/items/:id", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	e.POST("/items/:id", func(c echo.Context) error { return echo.NewHTTPError(http.StatusConflict) })
	e.PUT("/items/:id", func(c echo.Context) error { return errors.New("broken") })
	for _, r := range []struct{ method, path string }{
		{"GET", "/items/ana@example.com"}, {"GET", "/items/2"}, {"POST", "/items/3"}, {"PUT", "/items/4"}, {"GET", "/nowhere/ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
	} {
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(r.method, r.path, nil))
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	var all strings.Builder
	for _, mf := range mfs {
		all.WriteString(mf.String())
		for _, mt := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range mt.GetLabel() {
				key += " " + l.GetName() + "=" + l.GetValue()
			}
			if c := mt.GetCounter(); c != nil {
				got[key] = c.GetValue()
			}
			if h := mt.GetHistogram(); h != nil {
				got[key] = float64(h.GetSampleCount())
			}
		}
	}
	for labels, want := range map[[3]string]float64{
		{"204", "GET", "/items/:id"}: 2, {"409", "POST", "/items/:id"}: 1, {"500", "PUT", "/items/:id"}: 1, {"404", "GET", unmatchedRoute}: 1,
	} {
		for _, name := range []string{"rightsdesk_http_requests_total", "rightsdesk_http_request_duration_seconds"} {
			key := name + " code=" + labels[0] + " host= method=" + labels[1] + " url=" + labels[2]
			if got[key] != want {
				t.Errorf("%s = %v, want %v", key, got[key], want)
			}
		}
	}
	if len(got) != 8 {
		t.Errorf("want 8 series, got %v", got)
	}
	for _, leak := range []string{"ana@example.com", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "/items/2"} {
		if strings.Contains(all.String(), leak) {
			t.Errorf("a raw path reached the metrics: %q", leak)
		}
	}
}

// Every response has an id: the client's when safe, else a generated one
// that is also the id in the request's context.
func TestRequestIDMiddleware(t *testing.T) {
	e := echo.New()
	e.Use(requestIDs(observe.NewRequestIDs()))
	var inCtx string
	e.GET("/", func(c echo.Context) error {
		inCtx = observe.RequestID(c.Request().Context())
		return c.NoContent(http.StatusNoContent)
	})
	seen := map[string]bool{}
	for _, sent := range []string{"", "", "lb-1", "ana@example.com", "x y"} {
		req := httptest.NewRequest("GET", "/", nil)
		if sent != "" {
			req.Header.Set(echo.HeaderXRequestID, sent)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		got := rec.Header().Get(echo.HeaderXRequestID)
		if got != inCtx || !observe.SafeRequestID(got) || seen[got] {
			t.Errorf("sent %q: header %q, context %q (seen before: %v)", sent, got, inCtx, seen[got])
		}
		if keep := sent == "lb-1"; (got == sent) != keep {
			t.Errorf("sent %q, answered %q", sent, got)
		}
		seen[got] = true
	}
}
