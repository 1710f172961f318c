package handlers_test

import (
	"bufio"
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
)

// scrape reads GET /metrics into series → value; a series is its name and
// labels as printed ("name{a=\"x\",b=\"y\"}", labels sorted by name). The
// test clock moves past the database counts' cache window first, unless
// cached is set.
type scrape struct {
	raw    string
	series map[string]float64
}

func scrapeMetrics(t *testing.T, app *apptest.App, cached bool) scrape {
	t.Helper()
	if !cached {
		app.Clock.Add(time.Minute)
	}
	r := app.Do("GET", "/metrics", nil, "")
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	s := scrape{raw: string(r.Body), series: map[string]float64{}}
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad metrics line %q", line)
		}
		s.series[line[:i]] = v
	}
	return s
}

// want checks series values; a series that is absent fails.
func (s scrape) want(t *testing.T, step string, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		got, ok := s.series[k]
		if !ok {
			t.Errorf("%s: %s is not exposed", step, k)
		} else if got != v {
			t.Errorf("%s: %s = %v, want %v", step, k, got, v)
		}
	}
}

func mBacklog(box string) string  { return `rightsdesk_outbox_backlog{outbox="` + box + `"}` }
func mRetrying(box string) string { return `rightsdesk_outbox_retrying{outbox="` + box + `"}` }
func mRequests(st, rg string) string {
	return `rightsdesk_requests{regime="` + rg + `",status="` + st + `"}`
}
func mOverdue(rg string) string { return `rightsdesk_requests_overdue{regime="` + rg + `"}` }
func mHTTP(code, method, route string) string {
	return `rightsdesk_http_requests_total{code="` + code + `",host="",method="` + method + `",url="` + route + `"}`
}

func TestMetricsCountRequestsOutboxesAndRoutes(t *testing.T) {
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)})
	failed := `rightsdesk_outbox_failed{outbox="email"}`

	for _, addr := range []string{"ana@example.com", "bo@example.com"} {
		if r := app.Do("POST", "/api/v1/requests", map[string]any{"type": "access", "email": addr, "regime": "gdpr"}, ""); r.Status != 202 {
			t.Fatalf("intake: %d %s", r.Status, r.Body)
		}
	}
	m := scrapeMetrics(t, app, false)
	m.want(t, "after 2 intakes", map[string]float64{
		mRequests("pending_verification", "gdpr"): 2, mRequests("open", "gdpr"): 0, mRequests("completed", "ccpa"): 0,
		mBacklog("email"): 2, mBacklog("webhook"): 0, mBacklog("job"): 0, mRetrying("email"): 0, failed: 0,
		`rightsdesk_metrics_db_up`:               1,
		mHTTP("202", "POST", "/api/v1/requests"): 2,
	})

	// Sent, but the counts are cached for a few seconds of the server's clock.
	app.Deliver()
	scrapeMetrics(t, app, true).want(t, "cached", map[string]float64{mBacklog("email"): 2})
	scrapeMetrics(t, app, false).want(t, "after delivery", map[string]float64{mBacklog("email"): 0})

	_, token := apptest.LinkIn(t, app.LastEmail("verify").Text, "verify")
	if r := app.Do("POST", "/api/v1/verifications", map[string]string{"token": token}, ""); r.Status != 200 {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	scrapeMetrics(t, app, false).want(t, "after 1 verification", map[string]float64{
		mRequests("pending_verification", "gdpr"): 1, mRequests("open", "gdpr"): 1, mBacklog("email"): 1,
	})

	// The receipt fails once (retrying), then is refused for good (failed).
	app.Resend.FailNext(1, 500)
	if _, err := app.Outbox.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	scrapeMetrics(t, app, false).want(t, "after a failed send", map[string]float64{mBacklog("email"): 1, mRetrying("email"): 1, failed: 0})
	app.Resend.FailNext(1, 422)
	app.Clock.Add(time.Hour) // past the retry's backoff
	if _, err := app.Outbox.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	scrapeMetrics(t, app, false).want(t, "after a refused send", map[string]float64{mBacklog("email"): 0, mRetrying("email"): 0, failed: 1})

	// Overdue: received long ago by another channel. A uk_gdpr request
	// awaiting the requester stops its clock, so it is not overdue then.
	admin := app.StaffToken("admin@example.com", "admin")
	var ids []string
	for _, regime := range []string{"gdpr", "uk_gdpr"} {
		r := app.Do("POST", "/api/v1/requests/intake", map[string]any{"type": "deletion", "email": "old@example.com", "regime": regime,
			"received_at": "2025-10-01T09:00:00Z", "verified": true}, admin)
		if r.Status != 201 {
			t.Fatalf("staff intake: %d %s", r.Status, r.Body)
		}
		ids = append(ids, r.Map(t)["id"].(string))
	}
	scrapeMetrics(t, app, false).want(t, "two late requests", map[string]float64{mOverdue("gdpr"): 1, mOverdue("uk_gdpr"): 1, mOverdue("ccpa"): 0})
	for _, id := range ids {
		if r := app.Do("POST", "/api/v1/requests/"+id+"/actions", map[string]any{"action": "request_info", "note": "Which account?"}, admin); r.Status != 200 {
			t.Fatalf("request_info: %d %s", r.Status, r.Body)
		}
	}
	scrapeMetrics(t, app, false).want(t, "awaiting the requester", map[string]float64{
		mOverdue("gdpr"): 1, mOverdue("uk_gdpr"): 0, mRequests("awaiting_requester", "uk_gdpr"): 1,
	})

	// A consent webhook to a closed port and a job to a system that is
	// down: each waits in its outbox, then is retrying after a failed try.
	if r := app.Do("POST", "/api/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/hook"}, admin); r.Status != 201 {
		t.Fatalf("webhook: %d %s", r.Status, r.Body)
	}
	if r := app.Do("POST", "/api/v1/systems", map[string]any{"name": "Shop", "request_types": []string{"deletion"},
		"webhook_url": "http://127.0.0.1:9/jobs"}, admin); r.Status != 201 {
		t.Fatalf("system: %d %s", r.Status, r.Body)
	}
	host, _, err := app.Staff.CreateAPIKey(context.Background(), "shop", []string{"consents:write"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if r := app.Do("POST", "/api/v1/consents", map[string]any{"email": "ana@example.com", "purpose": "marketing", "action": "withdraw", "source": "api"}, host); r.Status != 201 {
		t.Fatalf("consent: %d %s", r.Status, r.Body)
	}
	if r := app.Do("POST", "/api/v1/requests/"+ids[0]+"/actions", map[string]any{"action": "resume"}, admin); r.Status != 200 {
		t.Fatalf("resume: %d %s", r.Status, r.Body)
	}
	r := app.Do("POST", "/api/v1/requests/intake", map[string]any{"type": "deletion", "email": "new@example.com", "regime": "gdpr",
		"received_at": "2026-01-31T09:00:00Z", "verified": true}, admin)
	if r.Status != 201 {
		t.Fatalf("staff intake: %d %s", r.Status, r.Body)
	}
	if r := app.Do("POST", "/api/v1/requests/"+r.Map(t)["id"].(string)+"/actions", map[string]any{"action": "start"}, admin); r.Status != 200 {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	scrapeMetrics(t, app, false).want(t, "queued", map[string]float64{mBacklog("webhook"): 1, mBacklog("job"): 1, mRetrying("webhook"): 0, mRetrying("job"): 0})
	for _, d := range []interface {
		RunOnce(context.Context) (int, error)
	}{app.Webhooks, app.Jobs} {
		if n, _ := d.RunOnce(context.Background()); n != 1 {
			t.Fatalf("dispatcher claimed %d, want 1", n)
		}
	}
	scrapeMetrics(t, app, false).want(t, "after failed deliveries", map[string]float64{
		mBacklog("webhook"): 1, mBacklog("job"): 1, mRetrying("webhook"): 1, mRetrying("job"): 1,
	})

	// Routes are patterns: a token in a path never becomes a label.
	secret := "QWERTYUIOPASDFGHJKLZXCVBNM"
	app.Do("GET", "/r/"+secret, nil, "")
	app.Do("GET", "/no/such/"+secret, nil, "")
	m = scrapeMetrics(t, app, false)
	m.want(t, "routes", map[string]float64{mHTTP("404", "GET", "/r/:token"): 1, mHTTP("404", "GET", "unmatched"): 1})
	if strings.Contains(m.raw, secret) || strings.Contains(m.raw, "@example.com") {
		t.Error("a token or an email address is in the metrics")
	}
	for _, family := range []string{"rightsdesk_http_request_duration_seconds_count", "go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(m.raw, "\n"+family) {
			t.Errorf("%s is missing", family)
		}
	}
}

// A database that fails its counts still gets a scrape answered: the
// gauges are left out and rightsdesk_metrics_db_up says 0.
func TestMetricsAnswerWhenTheDatabaseFails(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	db, err := app.Store.SQL()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("ALTER TABLE task_jobs RENAME TO task_jobs_gone"); err != nil {
		t.Fatal(err)
	}
	app.Do("GET", "/healthz", nil, "")
	m := scrapeMetrics(t, app, false)
	m.want(t, "database failing", map[string]float64{`rightsdesk_metrics_db_up`: 0, mHTTP("200", "GET", "/healthz"): 1})
	if strings.Contains(m.raw, "rightsdesk_requests{") || strings.Contains(m.raw, "rightsdesk_outbox_backlog{") {
		t.Error("gauges from a failed count were exposed")
	}
	if _, err := db.Exec("ALTER TABLE task_jobs_gone RENAME TO task_jobs"); err != nil {
		t.Fatal(err)
	}
	scrapeMetrics(t, app, false).want(t, "database back", map[string]float64{`rightsdesk_metrics_db_up`: 1, mBacklog("job"): 0})
}
