package handlers_test

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/handlers"
	"github.com/rightsdesk/rightsdesk/internal/auth"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
)

// get sends a GET with an optional Accept header and bearer.
func get(t *testing.T, base, path, accept, bearer string) *apptest.Response {
	t.Helper()
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return &apptest.Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// metricsFixture drives requests through the real API on 1 March 2026:
// three access requests (complied after 12 days, denied after 13, one still
// open), a deletion withdrawn, and an export never verified.
func metricsFixture(t *testing.T) (*apptest.App, string) {
	t.Helper()
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)})
	app.StaffToken("admin@example.com", models.RoleAdmin)
	done := openRequest(t, app, map[string]any{"type": "access", "email": "a1@example.com"})
	denied := openRequest(t, app, map[string]any{"type": "access", "email": "a2@example.com"})
	openRequest(t, app, map[string]any{"type": "access", "email": "a3@example.com"})
	withdrawn := openRequest(t, app, map[string]any{"type": "deletion", "email": "d1@example.com"})
	if r := app.Do("POST", "/api/v1/requests", map[string]any{"type": "export", "email": "e1@example.com"}, ""); r.Status != 202 {
		t.Fatalf("intake: %d %s", r.Status, r.Body)
	}
	admin := app.Login("admin@example.com")
	for _, id := range []string{done, denied} {
		if r := act(app, admin, id, map[string]any{"action": "start"}); r.Status != 200 {
			t.Fatalf("start: %d %s", r.Status, r.Body)
		}
	}
	if r := act(app, admin, withdrawn, map[string]any{"action": "withdraw", "reason": "The requester asked by phone."}); r.Status != 200 {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	app.Clock.Set(time.Date(2026, 3, 13, 16, 0, 0, 0, time.UTC))
	admin = app.Login("admin@example.com")
	if r := act(app, admin, done, map[string]any{"action": "complete"}); r.Status != 200 || r.Map(t)["outcome"] != "complied" {
		t.Fatalf("complete: %d %s", r.Status, r.Body)
	}
	app.Clock.Set(time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC))
	admin = app.Login("admin@example.com")
	if r := act(app, admin, denied, map[string]any{"action": "deny", "reason": "We hold no data about you."}); r.Status != 200 || r.Map(t)["outcome"] != "denied" {
		t.Fatalf("deny: %d %s", r.Status, r.Body)
	}
	return app, admin
}

func TestMetricsReportJSON(t *testing.T) {
	app, admin := metricsFixture(t)
	r := app.Do("GET", "/api/v1/reports/metrics?year=2026", nil, admin)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("report: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	m := r.Map(t)
	if m["year"] != 2026.0 || m["timezone"] != "UTC" || len(m) != 3 {
		t.Fatalf("report: %v", m)
	}
	types := m["types"].([]any)
	if len(types) != len(policy.RequestTypes) {
		t.Fatalf("%d rows, want one per offered type (%d)", len(types), len(policy.RequestTypes))
	}
	rows := map[string]map[string]any{}
	for i, x := range types {
		row := x.(map[string]any)
		if row["type"] != policy.RequestTypes[i] {
			t.Fatalf("row %d is %v, want %s", i, row["type"], policy.RequestTypes[i])
		}
		keys := make([]string, 0, len(row))
		for k := range row {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if strings.Join(keys, ",") != "complied_whole_or_part,denied,expired,mean_days,median_days,open,received,type,withdrawn" {
			t.Fatalf("row keys: %v", keys)
		}
		rows[row["type"].(string)] = row
	}
	want := map[string]map[string]any{
		// 1 → 13 March is 12 days, 1 → 14 March is 13: median and mean 12.5.
		"access":   {"received": 3.0, "complied_whole_or_part": 1.0, "denied": 1.0, "withdrawn": 0.0, "expired": 0.0, "open": 1.0, "median_days": 12.5, "mean_days": 12.5},
		"deletion": {"received": 1.0, "complied_whole_or_part": 0.0, "denied": 0.0, "withdrawn": 1.0, "expired": 0.0, "open": 0.0, "median_days": nil, "mean_days": nil},
		"export":   {"received": 1.0, "complied_whole_or_part": 0.0, "denied": 0.0, "withdrawn": 0.0, "expired": 0.0, "open": 1.0, "median_days": nil, "mean_days": nil},
		"appeal":   {"received": 0.0, "complied_whole_or_part": 0.0, "denied": 0.0, "withdrawn": 0.0, "expired": 0.0, "open": 0.0, "median_days": nil, "mean_days": nil},
	}
	for typ, fields := range want {
		for k, v := range fields {
			if rows[typ][k] != v {
				t.Errorf("%s.%s = %v, want %v", typ, k, rows[typ][k], v)
			}
		}
	}
	// Another year has the same rows, all zero.
	other := app.Do("GET", "/api/v1/reports/metrics?year=2025", nil, admin).Map(t)
	for _, x := range other["types"].([]any) {
		if row := x.(map[string]any); row["received"] != 0.0 || row["median_days"] != nil {
			t.Fatalf("2025: %v", row)
		}
	}
}

func TestMetricsReportCSV(t *testing.T) {
	app, admin := metricsFixture(t)
	const header = "type,received,complied_whole_or_part,denied,withdrawn,expired,open,median_days,mean_days"
	for _, c := range []struct{ path, accept string }{
		{"/api/v1/reports/metrics?year=2026&format=csv", ""},
		{"/api/v1/reports/metrics?year=2026&format=csv", "application/json"}, // format wins
		{"/api/v1/reports/metrics?year=2026", "text/csv"},
		{"/api/v1/reports/metrics?year=2026", "text/csv, */*;q=0.8"},
		{"/api/v1/reports/metrics?year=2026", "application/json;q=0.5, text/csv"},
		{"/api/v1/reports/metrics?year=2026", "text/csv, */*"},
	} {
		r := get(t, app.URL, c.path, c.accept, admin)
		if r.Status != 200 || r.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("%s (Accept %q): %d %q %s", c.path, c.accept, r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="rightsdesk-metrics-2026.csv"` {
			t.Fatalf("Content-Disposition %q", cd)
		}
		recs, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
		if err != nil {
			t.Fatalf("not CSV: %v\n%s", err, r.Body)
		}
		if len(recs) != 1+len(policy.RequestTypes) || strings.Join(recs[0], ",") != header {
			t.Fatalf("CSV:\n%s", r.Body)
		}
		got := map[string]string{}
		for _, rec := range recs[1:] {
			got[rec[0]] = strings.Join(rec, ",")
		}
		for typ, line := range map[string]string{
			"access":   "access,3,1,1,0,0,1,12.5,12.5",
			"deletion": "deletion,1,0,0,1,0,0,,",
			"export":   "export,1,0,0,0,0,1,,",
			"appeal":   "appeal,0,0,0,0,0,0,,",
		} {
			if got[typ] != line {
				t.Errorf("CSV row %q, want %q", got[typ], line)
			}
		}
	}
	// JSON unless CSV is preferred.
	for _, accept := range []string{"", "*/*", "application/json", "text/csv;q=0.5, application/json", "text/csv, application/json", "text/*;q=0.9, */*", "text/html"} {
		r := get(t, app.URL, "/api/v1/reports/metrics?year=2026", accept, admin)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Errorf("Accept %q: %d %q", accept, r.Status, r.Header.Get("Content-Type"))
		}
	}
	if r := get(t, app.URL, "/api/v1/reports/metrics?year=2026&format=json", "text/csv", admin); !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Errorf("format=json with Accept text/csv: %q", r.Header.Get("Content-Type"))
	}
}

func TestMetricsReportRefusals(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	admin := app.StaffToken("admin@example.com", models.RoleAdmin)
	for _, c := range []struct{ query, field string }{
		{"year=abc", "year"}, {"year=1999", "year"}, {"year=10000", "year"}, {"year=", ""}, {"year=2026.5", "year"},
		{"format=xml", "format"}, {"format=CSV", "format"},
	} {
		r := app.Do("GET", "/api/v1/reports/metrics?"+c.query, nil, admin)
		if c.field == "" {
			if r.Status != 200 {
				t.Errorf("%s: %d %s", c.query, r.Status, r.Body)
			}
			continue
		}
		if r.Status != 400 {
			t.Errorf("%s: %d %s", c.query, r.Status, r.Body)
			continue
		}
		e := r.Map(t)["error"].(map[string]any)
		if e["field"] != c.field || e["code"] != "invalid" || e["message"] == "" {
			t.Errorf("%s: %s", c.query, r.Body)
		}
	}
	// A bad year is refused even when CSV is asked for: the error is JSON.
	if r := get(t, app.URL, "/api/v1/reports/metrics?year=abc&format=csv", "text/csv", admin); r.Status != 400 || !strings.Contains(string(r.Body), `"field":"year"`) {
		t.Errorf("bad year as CSV: %d %s", r.Status, r.Body)
	}

	if r := app.Do("GET", "/api/v1/reports/metrics", nil, ""); r.Status != 401 {
		t.Errorf("no token: %d", r.Status)
	}
	if r := app.Do("GET", "/api/v1/reports/metrics", nil, "rdk_notakey"); r.Status != 401 {
		t.Errorf("unknown key: %d", r.Status)
	}
	ctx := context.Background()
	writeKey, _, err := app.Staff.CreateAPIKey(ctx, "crm", []string{models.ScopeRequestsWrite, models.ScopeConsentsRead}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if r := app.Do("GET", "/api/v1/reports/metrics", nil, writeKey); r.Status != 403 || !strings.Contains(string(r.Body), "forbidden") {
		t.Errorf("key without requests:read: %d %s", r.Status, r.Body)
	}
	readKey, _, _ := app.Staff.CreateAPIKey(ctx, "reporting", []string{models.ScopeRequestsRead}, "test")
	if r := app.Do("GET", "/api/v1/reports/metrics?year=2026", nil, readKey); r.Status != 200 {
		t.Errorf("read key: %d %s", r.Status, r.Body)
	}
	for _, role := range []string{models.RoleAuditor, models.RoleAgent, "grievance_officer"} {
		tok := app.StaffToken(role+"@example.com", role)
		if r := app.Do("GET", "/api/v1/reports/metrics?year=2026", nil, tok); r.Status != 200 {
			t.Errorf("%s: %d %s", role, r.Status, r.Body)
		}
	}
}

// The year defaults to the current year of the server's clock in the
// policy's zone: 20:00 UTC on 31 December 2026 is already 2027 in Kolkata.
func TestMetricsReportDefaultYearFollowsTheClockInThePolicyZone(t *testing.T) {
	pol, err := policy.Parse([]byte("organization: {name: Zone Org}\nrequest_types: [access, deletion]\ntimezone: Asia/Kolkata\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC) }
	store := testdb.Open(t)
	keys := secrets.Derive([]byte("test secret of at least thirty-two bytes!"))
	reqs := requests.New(store, pol, requests.Config{BaseURL: "http://rightsdesk.test", MailFrom: "privacy@example.com", Keys: keys}, now)
	st := staff.New(store, now)
	srv := handlers.New(handlers.Deps{Store: store, Requests: reqs, Staff: st, JWT: auth.NewJWT(keys.JWTKey(), time.Hour, now), Now: now})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	key, _, err := st.CreateAPIKey(context.Background(), "reporting", []string{models.ScopeRequestsRead}, "test")
	if err != nil {
		t.Fatal(err)
	}
	// Received now: 1 January 2027 in Kolkata.
	if _, err := reqs.Submit(context.Background(), requests.Input{Type: "access", Email: "k@example.com"}); err != nil {
		t.Fatal(err)
	}
	r := get(t, hs.URL, "/api/v1/reports/metrics", "", key)
	var rep struct {
		Year     int
		Timezone string
		Types    []struct {
			Type     string
			Received int
			Open     int
		}
	}
	r.JSON(t, &rep)
	if r.Status != 200 || rep.Year != 2027 || rep.Timezone != "Asia/Kolkata" || len(rep.Types) != 2 ||
		rep.Types[0].Type != "access" || rep.Types[0].Received != 1 || rep.Types[0].Open != 1 || rep.Types[1].Received != 0 {
		t.Fatalf("default year: %d %s", r.Status, r.Body)
	}
	r = get(t, hs.URL, "/api/v1/reports/metrics?format=csv", "", key)
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="rightsdesk-metrics-2027.csv"` {
		t.Fatalf("Content-Disposition %q", cd)
	}
	if r := get(t, hs.URL, "/api/v1/reports/metrics?year=2026", "", key); !strings.Contains(string(r.Body), `"received":0`) || strings.Contains(string(r.Body), `"received":1`) {
		t.Fatalf("2026 in Kolkata: %s", r.Body)
	}
}
