package handlers_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

func TestConsoleStaffUsers(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	me := consoleStaff(t, app, "admin@example.com", models.RoleAdmin)
	cc := newConsoleClient(t, app)
	cc.login("admin@example.com")

	// Create: the generated password is shown once.
	created := cc.post("/admin/staff", url.Values{"email": {"New.Person@example.com"}, "role": {"grievance_officer"}})
	password := consoleSel(created, "#new-password")
	if created.Status != 200 || len(password) < 20 || consoleSel(created, "#created-email") != "new.person@example.com" {
		t.Fatalf("create: %d %s", created.Status, consoleText(created))
	}
	if created.Header.Get("Cache-Control") != "no-store" {
		t.Fatal("the password page may be cached")
	}
	list := cc.get("/admin/staff")
	if strings.Contains(list.Body, password) {
		t.Fatal("the password is shown again")
	}
	row := list.Doc.Find(`#staff-table tr[data-email="new.person@example.com"]`)
	if row.Length() != 1 || !strings.Contains(row.Text(), "grievance officer") || !strings.Contains(row.Text(), "Active") {
		t.Fatalf("staff list: %s", consoleText(list))
	}
	newID, _ := row.Attr("data-id")
	// No button to disable oneself.
	if list.Doc.Find("#disable-"+me.ID).Length() != 0 || list.Doc.Find("#disable-"+newID).Length() != 1 {
		t.Fatal("disable buttons")
	}

	// The new user signs in with it.
	nc := newConsoleClient(t, app)
	if p := nc.post("/admin/login", url.Values{"email": {"new.person@example.com"}, "password": {password}}); p.Status != 303 {
		t.Fatalf("new user's sign-in: %d %s", p.Status, consoleText(p))
	}
	if p := nc.get("/admin/requests"); p.Status != 200 || consoleSel(p, "#signed-in-role") != "grievance officer" {
		t.Fatalf("new user's queue: %d", p.Status)
	}

	// Bad input is shown next to its field.
	if p := cc.post("/admin/staff", url.Values{"email": {"new.person@example.com"}, "role": {"agent"}}); p.Status != 422 || !strings.Contains(consoleSel(p, "#staff-email-error"), "exists already") {
		t.Fatalf("duplicate: %d %s", p.Status, consoleText(p))
	}
	if p := cc.post("/admin/staff", url.Values{"email": {"x@example.com"}, "role": {"root"}}); p.Status != 422 || consoleSel(p, "#staff-role-error") == "" {
		t.Fatalf("bad role: %d %s", p.Status, consoleText(p))
	}
	if p := cc.post("/admin/staff", url.Values{"email": {"not-an-email"}, "role": {"agent"}}); p.Status != 422 || consoleSel(p, "#staff-email-error") == "" {
		t.Fatalf("bad email: %d %s", p.Status, consoleText(p))
	}

	// Disable: the user is out at once, and cannot sign in; enable again.
	p := cc.post("/admin/staff/"+newID+"/disable", nil)
	if p.Status != 303 || !strings.Contains(consoleSel(cc.follow(p), "#flash"), "disabled") {
		t.Fatalf("disable: %d", p.Status)
	}
	if p := nc.get("/admin/requests"); p.Status != 303 {
		t.Fatalf("a disabled user's session still works: %d", p.Status)
	}
	if p := nc.post("/admin/login", url.Values{"email": {"new.person@example.com"}, "password": {password}}); p.Status != 401 {
		t.Fatalf("a disabled user signs in: %d", p.Status)
	}
	if strings.Contains(consoleSel(cc.get("/admin/staff"), `#staff-table tr[data-id="`+newID+`"]`), "Active") {
		t.Fatal("listed as active")
	}
	if p := cc.post("/admin/staff/"+newID+"/enable", nil); p.Status != 303 {
		t.Fatalf("enable: %d", p.Status)
	}
	if p := nc.post("/admin/login", url.Values{"email": {"new.person@example.com"}, "password": {password}}); p.Status != 303 {
		t.Fatalf("an enabled user cannot sign in: %d", p.Status)
	}
	// Not oneself; not an unknown user.
	if p := cc.post("/admin/staff/"+me.ID+"/disable", nil); p.Status != 422 || !strings.Contains(consoleText(p), "your own account") {
		t.Fatalf("disable oneself: %d %s", p.Status, consoleText(p))
	}
	if p := cc.post("/admin/staff/nobody/disable", nil); p.Status != 404 {
		t.Fatalf("unknown user: %d", p.Status)
	}
}

func TestConsoleAPIKeys(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	consoleStaff(t, app, "admin@example.com", models.RoleAdmin)
	cc := newConsoleClient(t, app)
	cc.login("admin@example.com")
	page := cc.get("/admin/apikeys")
	var scopes []string
	page.Doc.Find(`#apikey-scopes input[name="scopes"]`).Each(func(_ int, s *goquery.Selection) { scopes = append(scopes, s.AttrOr("value", "")) })
	if strings.Join(scopes, ",") != "requests:read,requests:write,consents:read,consents:write,systems" {
		t.Fatalf("scope checkboxes: %v", scopes)
	}
	if p := cc.post("/admin/apikeys", url.Values{"name": {"crm"}}); p.Status != 422 || consoleSel(p, "#apikey-scopes-error") == "" {
		t.Fatalf("no scope: %d %s", p.Status, consoleText(p))
	}
	if p := cc.post("/admin/apikeys", url.Values{"name": {" "}, "scopes": {"requests:read"}}); p.Status != 422 || consoleSel(p, "#apikey-name-error") == "" {
		t.Fatalf("no name: %d %s", p.Status, consoleText(p))
	} else if p.Doc.Find(`#scope-requests\:read[checked]`).Length() != 1 {
		t.Fatal("chosen scopes not kept")
	}

	created := cc.post("/admin/apikeys", url.Values{"name": {"reporting"}, "scopes": {"requests:read", "consents:read"}})
	key := consoleSel(created, "#new-api-key")
	if created.Status != 200 || !strings.HasPrefix(key, "rdk_") {
		t.Fatalf("create: %d %s", created.Status, consoleText(created))
	}
	if r := app.Do("GET", "/api/v1/requests", nil, key); r.Status != 200 {
		t.Fatalf("the new key: %d %s", r.Status, r.Body)
	}
	list := cc.get("/admin/apikeys")
	if strings.Contains(list.Body, key) {
		t.Fatal("the key is shown again")
	}
	row := list.Doc.Find(`#apikeys-table tr[data-name="reporting"]`)
	if row.Length() != 1 || !strings.Contains(row.Text(), "requests:read, consents:read") || !strings.Contains(row.Text(), "admin@example.com") || !strings.Contains(row.Text(), key[:10]) {
		t.Fatalf("key row: %q", row.Text())
	}
	if strings.Contains(row.Text(), "Revoked") {
		t.Fatal("listed as revoked")
	}
	// Revoke: the API refuses the key at once.
	keyID, _ := row.Attr("data-id")
	p := cc.post("/admin/apikeys/"+keyID+"/revoke", nil)
	if p.Status != 303 || !strings.Contains(consoleSel(cc.follow(p), "#flash"), "revoked") {
		t.Fatalf("revoke: %d", p.Status)
	}
	if r := app.Do("GET", "/api/v1/requests", nil, key); r.Status != 401 {
		t.Fatalf("a revoked key: %d %s", r.Status, r.Body)
	}
	after := cc.get("/admin/apikeys").Doc.Find(`#apikeys-table tr[data-name="reporting"]`)
	if !strings.Contains(after.Text(), "Revoked") || after.Find("button").Length() != 0 {
		t.Fatalf("revoked row: %q", after.Text())
	}
	if p := cc.post("/admin/apikeys/"+keyID+"/revoke", nil); p.Status != 303 {
		t.Fatalf("revoking twice: %d", p.Status)
	}
	if p := cc.post("/admin/apikeys/nope/revoke", nil); p.Status != 404 {
		t.Fatalf("unknown key: %d", p.Status)
	}
}

func TestConsoleDevOutbox(t *testing.T) {
	app := apptest.New(t, apptest.Options{DevOutbox: true})
	consoleStaff(t, app, "admin@example.com", models.RoleAdmin)
	if r := app.Do("POST", "/api/v1/requests", map[string]any{"type": "access", "email": "dev@example.com"}, ""); r.Status != 202 {
		t.Fatal(r.Status)
	}
	cc := newConsoleClient(t, app)
	cc.login("admin@example.com")
	// Before delivery: pending, no body shown.
	p := cc.get("/admin/outbox")
	if p.Doc.Find("#dev-outbox-banner").Length() != 1 || p.Doc.Find(`tr.outbox-row[data-status="pending"]`).Length() != 1 || strings.Contains(p.Body, "/verify/") {
		t.Fatalf("before delivery: %s", consoleText(p))
	}
	app.Deliver()
	p = cc.get("/admin/outbox")
	row := p.Doc.Find(`tr.outbox-row[data-status="dev"][data-template="verify"]`)
	link, ok := row.Find(`pre.email-text a[href^="http://rightsdesk.test/verify/"]`).Attr("href")
	if row.Length() != 1 || !ok {
		t.Fatalf("dev message: %s", consoleText(p))
	}
	// The link works: it is the verification link of the request.
	_, token := apptest.LinkIn(t, link, "verify")
	if v := app.Do("POST", "/api/v1/verifications", map[string]string{"token": token}, ""); v.Status != 200 {
		t.Fatalf("verify with the dev outbox link: %d %s", v.Status, v.Body)
	}
	if f := cc.get("/admin/outbox?status=pending"); f.Doc.Find("tr.outbox-row").Length() != 1 || f.Doc.Find(`#outbox-status option[selected]`).AttrOr("value", "") != "pending" {
		t.Fatalf("status filter: %s", consoleText(f))
	}
	if f := cc.get("/admin/outbox?status=lost"); f.Status != 400 || consoleSel(f, "#outbox-status-error") == "" {
		t.Fatalf("bad status: %d", f.Status)
	}
}

func TestConsoleOutboxWithAProvider(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	consoleStaff(t, app, "admin@example.com", models.RoleAdmin)
	openRequest(t, app, map[string]any{"type": "access"})
	cc := newConsoleClient(t, app)
	cc.login("admin@example.com")
	p := cc.get("/admin/outbox")
	if p.Doc.Find("#dev-outbox-banner").Length() != 0 || p.Doc.Find(`tr.outbox-row[data-status="sent"]`).Length() != 2 || p.Doc.Find("pre.email-text").Length() != 0 {
		t.Fatalf("outbox with a provider: %s", consoleText(p))
	}
	if href := p.Doc.Find("tr.outbox-row td a").First().AttrOr("href", ""); !strings.HasPrefix(href, "/admin/requests/") {
		t.Fatalf("no link to the request: %q", href)
	}
}

// The dashboard at a set clock: requests with known due dates around the
// week of Monday 2 March 2026 (UTC; weeks run Monday to Sunday).
func TestConsoleDashboard(t *testing.T) {
	now := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC) // a Wednesday
	app := apptest.New(t, apptest.Options{Now: now})
	consoleStaff(t, app, "agent@example.com", models.RoleAgent)
	admin := app.StaffToken("admin@example.com", models.RoleAdmin)
	ctx := context.Background()
	actor := requests.Actor{Kind: "staff", Name: "admin@example.com"}
	intake := func(regime string, received time.Time, verified bool) string {
		t.Helper()
		r, err := app.Requests.SubmitForRequester(ctx, actor, requests.StaffInput{Input: requests.Input{Type: "access", Email: "d@example.com", Regime: regime},
			ReceivedAt: received, Verified: verified})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 10, 0, 0, 0, time.UTC) }
	intake("lgpd", day(1, 2), true)         // due 17 Jan: overdue
	intake("lgpd", day(2, 20), true)        // due 7 Mar: this week (2–8 Mar)
	intake("lgpd", day(2, 25), true)        // due 12 Mar: week from 9 Mar
	intake("gdpr", day(3, 2), true)         // due 2 Apr: week from 30 Mar
	intake("ccpa", day(3, 2), true)         // due 16 Apr: week from 13 Apr
	ext := intake("ccpa", day(3, 3), true)  // extended: later than the chart's weeks
	intake("gdpr", day(3, 3), false)        // pending verification: not in the chart
	done := intake("lgpd", day(3, 1), true) // completed: not in the chart
	for _, a := range []map[string]any{{"action": "extend", "days": 45, "reason": "big"}} {
		if r := act(app, admin, ext, a); r.Status != 200 {
			t.Fatalf("extend: %d %s", r.Status, r.Body)
		}
	}
	for _, a := range []string{"start", "complete"} {
		if r := act(app, admin, done, map[string]any{"action": a}); r.Status != 200 {
			t.Fatalf("%s: %d %s", a, r.Status, r.Body)
		}
	}
	cc := newConsoleClient(t, app)
	cc.login("agent@example.com")
	p := cc.get("/admin")
	if p.Status != 200 {
		t.Fatalf("dashboard: %d", p.Status)
	}
	for sel, want := range map[string]string{"#n-open": "6", "#n-due-week": "1", "#n-overdue": "1", "#n-escalated": "0", "#n-total": "8",
		`#status-counts tr[data-status="open"] td`: "6", `#status-counts tr[data-status="completed"] td`: "1",
		`#status-counts tr[data-status="pending_verification"] td`: "1", `#status-counts tr[data-status="denied"] td`: "0"} {
		if got := consoleSel(p, sel); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if !strings.Contains(consoleSel(p, "#key-numbers"), "due this week (to 8 Mar 2026)") {
		t.Errorf("week end: %s", consoleSel(p, "#key-numbers"))
	}
	// The chart: one bar per bucket, labelled, with its count.
	svg := p.Doc.Find("svg#due-chart")
	if svg.Length() != 1 || svg.AttrOr("role", "") != "img" || svg.Find("title#due-chart-title").Length() != 1 || svg.AttrOr("aria-labelledby", "") == "" {
		t.Fatal("no accessible chart")
	}
	var counts, labels []string
	svg.Find("g.bucket").Each(func(_ int, g *goquery.Selection) {
		counts = append(counts, g.AttrOr("data-count", ""))
		labels = append(labels, strings.TrimSpace(g.Find("text.label").Text()))
		if g.Find("rect.bar").Length() != 1 || strings.TrimSpace(g.Find("text.count").Text()) != g.AttrOr("data-count", "") {
			t.Errorf("bucket %s lacks its bar or count", g.AttrOr("data-bucket", ""))
		}
	})
	if got := strings.Join(counts, ","); got != "1,1,1,0,0,1,0,1,0,1" {
		t.Errorf("bucket counts %s (labels %v)", got, labels)
	}
	if got := strings.Join(labels, ","); got != "Overdue,This week,9 Mar,16 Mar,23 Mar,30 Mar,6 Apr,13 Apr,20 Apr,Later" {
		t.Errorf("bucket labels %s", got)
	}
	// The tallest bar has the full height, an empty bucket none.
	if h := svg.Find(`g[data-bucket="week-2"] rect`).AttrOr("height", ""); h != "0" {
		t.Errorf("empty bar height %q", h)
	}
	if !strings.Contains(consoleSel(p, "#due-chart-desc"), "Overdue: 1") {
		t.Errorf("chart description: %q", consoleSel(p, "#due-chart-desc"))
	}
	// The year's metrics, for the types received.
	m := p.Doc.Find(`#metrics tr[data-type="access"] td`)
	if m.Length() != 8 || m.Eq(0).Text() != "8" || m.Eq(1).Text() != "1" || m.Eq(5).Text() != "7" || m.Eq(6).Text() != "3.0" {
		t.Errorf("metrics row: %q", consoleSel(p, `#metrics tr[data-type="access"]`))
	}
	if p.Doc.Find("#metrics tbody tr").Length() != 1 {
		t.Error("metrics list types with nothing received")
	}

	// A week later the counts move with the clock.
	app.Clock.Set(now.AddDate(0, 0, 7))
	cc.login("agent@example.com")
	p = cc.get("/admin")
	if consoleSel(p, "#n-overdue") != "2" || consoleSel(p, "#n-due-week") != "1" {
		t.Errorf("a week later: overdue %s, this week %s", consoleSel(p, "#n-overdue"), consoleSel(p, "#n-due-week"))
	}
	// No request this year: a sentence instead of an empty table.
	app.Clock.Set(time.Date(2027, 1, 5, 9, 0, 0, 0, time.UTC))
	cc.login("agent@example.com")
	if p := cc.get("/admin"); p.Doc.Find("#no-metrics").Length() != 1 {
		t.Error("no metrics sentence for an empty year")
	}
}

// Weeks are counted in the policy's time zone: at 20:00 UTC on Sunday 8
// March it is already Monday 9 March in Kolkata, so a request due on
// Saturday 14 March there is due this week.
func TestConsoleDashboardWeeksInThePolicyZone(t *testing.T) {
	pol, err := policy.Parse([]byte("organization: {name: Zone Org}\nrequest_types: [access]\ntimezone: Asia/Kolkata\n"), "zone.yaml")
	if err != nil {
		t.Fatal(err)
	}
	app := apptest.New(t, apptest.Options{Policy: pol, Now: time.Date(2026, 3, 8, 20, 0, 0, 0, time.UTC)})
	consoleStaff(t, app, "agent@example.com", models.RoleAgent)
	ist := pol.Location()
	r, err := app.Requests.SubmitForRequester(context.Background(), requests.Actor{Kind: "staff", Name: "agent@example.com"},
		requests.StaffInput{Input: requests.Input{Type: "access", Email: "z@example.com"}, ReceivedAt: time.Date(2026, 2, 12, 10, 0, 0, 0, ist), Verified: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.DeadlineAt.In(ist).Format("Mon 2 Jan 15:04"); got != "Sat 14 Mar 23:59" {
		t.Fatalf("due %s", got)
	}
	cc := newConsoleClient(t, app)
	cc.login("agent@example.com")
	p := cc.get("/admin")
	if consoleSel(p, "#n-due-week") != "1" || !strings.Contains(consoleSel(p, "#key-numbers"), "to 15 Mar 2026") {
		t.Fatalf("this week in Kolkata: %s", consoleSel(p, "#key-numbers"))
	}
	if got := p.Doc.Find(`#due-chart g[data-bucket="week-0"]`).AttrOr("data-count", ""); got != "1" {
		t.Fatalf("this week's bar: %q", got)
	}
	if !strings.Contains(consoleSel(p, "footer"), "Asia/Kolkata") {
		t.Fatal("the zone is not named")
	}
}
