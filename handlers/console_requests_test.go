package handlers_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/models"
)

// queueRefs lists the references of a queue table's rows, in order, and
// checks that they are sorted by due date.
func queueRefs(t *testing.T, p *consolePage, table string) []string {
	t.Helper()
	var refs, dues []string
	p.Doc.Find(table + " tr.queue-row").Each(func(_ int, s *goquery.Selection) {
		ref, _ := s.Attr("data-reference")
		due, _ := s.Find("td.due").Attr("data-due")
		refs, dues = append(refs, ref), append(dues, due)
		if s.Find("a.request-link").AttrOr("href", "") != "/admin/requests/"+s.AttrOr("data-id", "?") {
			t.Errorf("row %s does not link to its request", ref)
		}
	})
	var instants []time.Time
	for _, d := range dues {
		v, err := time.Parse(time.RFC3339, d)
		if err != nil {
			t.Fatalf("due %q: %v", d, err)
		}
		instants = append(instants, v)
	}
	if !slices.IsSortedFunc(instants, func(a, b time.Time) int { return a.Compare(b) }) {
		t.Fatalf("%s not sorted by due date: %v", table, dues)
	}
	return refs
}

func TestConsoleQueueSortFiltersSearchAndPages(t *testing.T) {
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)})
	consoleStaff(t, app, "agent@example.com", models.RoleAgent)
	// lgpd 15 days, gdpr one month, ccpa 45 days.
	names := []string{"Ana Lima", "Bo Chen", "Cy Dorr", "Di Evans", "Ed Fox"}
	for i, regime := range []string{"ccpa", "lgpd", "gdpr", "lgpd", "ccpa"} {
		r := app.Do("POST", "/api/v1/requests", map[string]any{"type": "access", "email": fmt.Sprintf("q%d@example.com", i), "name": names[i], "regime": regime}, "")
		if r.Status != 202 {
			t.Fatal(r.Status)
		}
	}
	cc := newConsoleClient(t, app)
	cc.login("agent@example.com")
	all := cc.get("/admin/requests")
	refs := queueRefs(t, all, "#queue-table")
	if len(refs) != 5 {
		t.Fatalf("queue rows: %d", len(refs))
	}
	var regimes []string
	all.Doc.Find("#queue-table tr.queue-row td:nth-of-type(4)").Each(func(_ int, s *goquery.Selection) {
		regimes = append(regimes, strings.TrimSpace(s.Text()))
	})
	if got := strings.Join(regimes, ","); got != "LGPD,LGPD,GDPR,CCPA,CCPA" {
		t.Fatalf("queue order: %s", got)
	}
	// Every filter of the API, kept in the form.
	f := cc.get("/admin/requests?regime=ccpa&status=pending_verification&type=access&escalation_level=0&due_before=2026-07-01")
	if n := len(queueRefs(t, f, "#queue-table")); f.Status != 200 || n != 2 {
		t.Fatalf("filtered: %d rows (%d)", n, f.Status)
	}
	for sel, want := range map[string]string{"#f-regime option[selected]": "ccpa", "#f-status option[selected]": "pending_verification",
		"#f-type option[selected]": "access", "#f-level option[selected]": "0"} {
		if v, _ := f.Doc.Find(sel).Attr("value"); v != want {
			t.Errorf("%s = %q, want %q", sel, v, want)
		}
	}
	if v, _ := f.Doc.Find("#f-due-before").Attr("value"); v != "2026-07-01" {
		t.Errorf("due_before kept as %q", v)
	}
	if n := len(queueRefs(t, cc.get("/admin/requests?assignee=agent@example.com"), "#queue-table")); n != 0 {
		t.Fatalf("assignee filter: %d rows", n)
	}
	// Search by exact email and by part of the name.
	s := cc.get("/admin/requests?q=q3@example.com")
	if n := len(queueRefs(t, s, "#queue-table")); n != 1 || !strings.Contains(consoleSel(s, "#queue-table"), "q3@example.com") {
		t.Fatalf("search by email: %d rows", n)
	}
	if n := len(queueRefs(t, cc.get("/admin/requests?q=chen"), "#queue-table")); n != 1 {
		t.Fatalf("search by name: %d rows", n)
	}
	if v, _ := s.Doc.Find("#f-q").Attr("value"); v != "q3@example.com" {
		t.Fatalf("search kept as %q", v)
	}
	// Keyset pages through the API's cursor.
	var paged []string
	p := cc.get("/admin/requests?limit=2")
	for i := 0; ; i++ {
		paged = append(paged, queueRefs(t, p, "#queue-table")...)
		next, ok := p.Doc.Find("#next-page").Attr("href")
		if !ok {
			break
		}
		if i > 3 || !strings.Contains(next, "limit=2") || !strings.Contains(next, "cursor=") {
			t.Fatalf("next page link %q", next)
		}
		p = cc.get(next)
	}
	if strings.Join(paged, ",") != strings.Join(refs, ",") {
		t.Fatalf("pages %v, want %v", paged, refs)
	}
	// A bad filter is shown next to its field.
	bad := cc.get("/admin/requests?escalation_level=9")
	if bad.Status != 400 || !strings.Contains(consoleSel(bad, "#f-level-error"), "0, 1, 2 or 3") {
		t.Fatalf("bad filter: %d %s", bad.Status, consoleText(bad))
	}

	// Due soon and overdue are marked with words, not colour only.
	app.Clock.Set(time.Date(2026, 5, 27, 9, 0, 0, 0, time.UTC)) // lgpd due 16 May, gdpr 1 June, ccpa 15 June
	cc.login("agent@example.com")
	late := cc.get("/admin/requests")
	var badges []string
	late.Doc.Find("#queue-table tr.queue-row td.due").Each(func(_ int, s *goquery.Selection) {
		badges = append(badges, strings.TrimSpace(s.Find(".badge").Text()))
	})
	if got := strings.Join(badges, ","); got != "Overdue,Overdue,Due soon,," {
		t.Fatalf("badges: %q", got)
	}
}

func TestConsoleGrievanceOfficerSeesEscalationsFirst(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	consoleStaff(t, app, "go@example.com", models.RoleGrievanceOfficer)
	consoleStaff(t, app, "agent@example.com", models.RoleAgent)
	admin := app.StaffToken("admin@example.com", models.RoleAdmin)
	calm := openRequest(t, app, map[string]any{"type": "access", "email": "calm@example.com"})
	hot := openRequest(t, app, map[string]any{"type": "access", "email": "hot@example.com"})
	for range 2 {
		if r := act(app, admin, hot, map[string]any{"action": "escalate", "reason": "angry customer"}); r.Status != 200 {
			t.Fatalf("escalate: %d %s", r.Status, r.Body)
		}
	}
	g := newConsoleClient(t, app)
	g.login("go@example.com")
	q := g.get("/admin/requests")
	esc := q.Doc.Find("#escalated-table tr.queue-row")
	if esc.Length() != 1 || esc.AttrOr("data-id", "") != hot || esc.AttrOr("data-level", "") != "2" || !strings.Contains(esc.Text(), "Level 2") {
		t.Fatalf("escalated table: %d rows %s", esc.Length(), consoleText(q))
	}
	if q.Doc.Find("#queue-table tr.queue-row").Length() != 2 || q.Doc.Find(`#queue-table tr[data-id="`+calm+`"]`).Length() != 1 {
		t.Fatal("the queue below lost rows")
	}
	if !strings.Contains(q.Body[:strings.Index(q.Body, `id="queue-table"`)], `id="escalated-table"`) {
		t.Fatal("escalations are not above the queue")
	}
	a := newConsoleClient(t, app)
	a.login("agent@example.com")
	if p := a.get("/admin/requests"); p.Doc.Find("#escalated-table").Length() != 0 {
		t.Fatal("an agent gets the grievance officer's table")
	}
}

// consoleAct posts one action form of a request page.
func consoleAct(cc *consoleClient, id string, form url.Values) *consolePage {
	return cc.post("/admin/requests/"+id+"/actions", form)
}

func formsOf(p *consolePage) []string {
	var ids []string
	p.Doc.Find("form.action").Each(func(_ int, s *goquery.Selection) { ids = append(ids, s.AttrOr("id", "")) })
	return ids
}

func TestConsoleRequestDetailAndEveryActionForm(t *testing.T) {
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
	consoleStaff(t, app, "agent@example.com", models.RoleAgent)
	consoleStaff(t, app, "admin@example.com", models.RoleAdmin)
	consoleStaff(t, app, "auditor@example.com", models.RoleAuditor)
	id := openRequest(t, app, map[string]any{"type": "access", "country": "GB", "name": "Sam Subject", "details": "All my data please."})
	cc := newConsoleClient(t, app)
	cc.login("agent@example.com")

	p := cc.get("/admin/requests/" + id)
	if p.Status != 200 || consoleSel(p, "#fact-email") != "subject@example.com" || consoleSel(p, "#fact-details") != "All my data please." || consoleSel(p, "#fact-status") != "open" {
		t.Fatalf("detail: %d %s", p.Status, consoleText(p))
	}
	var actions []string
	p.Doc.Find("#timeline tr.event").Each(func(_ int, s *goquery.Selection) { actions = append(actions, s.AttrOr("data-action", "")) })
	if strings.Join(actions, ",") != "submit,verify" {
		t.Fatalf("timeline: %v", actions)
	}
	var templates []string
	p.Doc.Find("#emails tr.email-row").Each(func(_ int, s *goquery.Selection) { templates = append(templates, s.AttrOr("data-template", "")) })
	if !slices.Contains(templates, "verify") || !slices.Contains(templates, "received") {
		t.Fatalf("emails: %v", templates)
	}
	if strings.Contains(p.Body, "/verify/") {
		t.Fatal("the page shows an email body")
	}
	if p.Doc.Find("#no-tasks").Length() != 1 {
		t.Fatal("no tasks section")
	}
	// Only what the status allows (acknowledged already by the receipt email).
	if got := strings.Join(formsOf(p), ","); got != "action-start,action-assign,action-request_info,action-extend,action-deny,action-escalate,action-note,action-withdraw" {
		t.Fatalf("forms for an open request: %s", got)
	}
	var assignees []string
	p.Doc.Find("#assign-assignee option").Each(func(_ int, s *goquery.Selection) { assignees = append(assignees, s.AttrOr("value", "")) })
	if strings.Join(assignees, ",") != ",admin@example.com,agent@example.com" {
		t.Fatalf("assignees (no auditor): %v", assignees)
	}
	for _, sel := range []string{`#action-extend input[name="action"][value="extend"]`, `#action-extend input[name="_csrf"]`, `#extend-days[name="days"]`, `#extend-reason[name="reason"]`, `#extend-submit`, `label[for="extend-days"]`, `label[for="extend-reason"]`} {
		if p.Doc.Find(sel).Length() != 1 {
			t.Errorf("extend form lacks %s", sel)
		}
	}
	if a := p.Doc.Find("#action-extend").AttrOr("action", ""); a != "/admin/requests/"+id+"/actions" {
		t.Fatalf("form action %q", a)
	}

	// An internal note.
	done := consoleAct(cc, id, url.Values{"action": {"note"}, "note": {"Called the requester."}})
	if done.Status != 303 || done.Header.Get("Location") != "/admin/requests/"+id {
		t.Fatalf("note: %d %s", done.Status, consoleText(done))
	}
	p = cc.follow(done)
	if consoleSel(p, "#flash") != "Note added." {
		t.Fatalf("flash: %q", consoleSel(p, "#flash"))
	}
	internal := p.Doc.Find(`#timeline tr.event-internal[data-action="note"]`)
	if internal.Length() != 1 || !strings.Contains(internal.Text(), "Called the requester.") || !strings.Contains(internal.Text(), "Internal") || !strings.Contains(internal.Text(), "staff:agent@example.com") {
		t.Fatalf("internal note: %q", internal.Text())
	}
	if cc.get("/admin/requests/"+id).Doc.Find("#flash").Length() != 0 {
		t.Fatal("the flash shows twice")
	}

	// start
	p = cc.follow(consoleAct(cc, id, url.Values{"action": {"start"}}))
	if consoleSel(p, "#fact-status") != "in progress" || consoleSel(p, "#fact-assignee") != "agent@example.com" {
		t.Fatalf("after start: %s", consoleText(p))
	}
	if got := strings.Join(formsOf(p), ","); got != "action-assign,action-request_info,action-extend,action-complete,action-deny,action-escalate,action-note,action-withdraw" {
		t.Fatalf("forms in progress: %s", got)
	}
	// request_info needs the question; then asks it by email.
	miss := consoleAct(cc, id, url.Values{"action": {"request_info"}, "note": {""}})
	if miss.Status != 422 || !strings.Contains(consoleSel(miss, "#request_info-note-error"), "required") {
		t.Fatalf("request_info without a note: %d %s", miss.Status, consoleText(miss))
	}
	p = cc.follow(consoleAct(cc, id, url.Values{"action": {"request_info"}, "note": {"Which account do you mean?"}}))
	if consoleSel(p, "#fact-status") != "awaiting requester" || p.Doc.Find(`#emails tr[data-template="info_needed"]`).Length() != 1 {
		t.Fatalf("after request_info: %s", consoleText(p))
	}
	if got := strings.Join(formsOf(p), ","); !strings.Contains(got, "action-resume") || strings.Contains(got, "action-complete") {
		t.Fatalf("forms awaiting: %s", got)
	}
	// resume, two days later: uk_gdpr pauses the clock.
	app.Clock.Add(48 * time.Hour)
	cc.login("agent@example.com")
	p = cc.follow(consoleAct(cc, id, url.Values{"action": {"resume"}}))
	if consoleSel(p, "#fact-status") != "in progress" || !strings.Contains(consoleSel(p, `#timeline tr[data-action="resume"]`), "clock paused 3 day(s)") {
		t.Fatalf("after resume: %s", consoleText(p))
	}
	// extend: days must be a number, a reason is needed, the regime's maximum holds.
	for _, c := range []struct {
		form  url.Values
		field string
		want  string
	}{
		{url.Values{"days": {""}, "reason": {"x"}}, "days", "positive number"},
		{url.Values{"days": {"abc"}, "reason": {"x"}}, "days", "whole number"},
		{url.Values{"days": {"30"}, "reason": {""}}, "reason", "required"},
		{url.Values{"days": {"90"}, "reason": {"Many systems."}}, "days", "maximum"},
	} {
		c.form.Set("action", "extend")
		r := consoleAct(cc, id, c.form)
		if r.Status != 422 || !strings.Contains(consoleSel(r, "#extend-"+c.field+"-error"), c.want) {
			t.Fatalf("extend %v: %d %s", c.form, r.Status, consoleText(r))
		}
		if v, _ := r.Doc.Find("#extend-days").Attr("value"); v != c.form.Get("days") {
			t.Fatalf("days typed not kept: %q", v)
		}
		if r.Doc.Find("#extend-"+c.field).AttrOr("aria-invalid", "") != "true" || r.Doc.Find(`#action-error a[href="#extend-`+c.field+`"]`).Length() != 1 {
			t.Fatalf("error not tied to the field: %s", consoleText(r))
		}
	}
	p = cc.follow(consoleAct(cc, id, url.Values{"action": {"extend"}, "days": {"30"}, "reason": {"Many systems to search."}}))
	if consoleSel(p, "#fact-extended-due") == "—" || !strings.Contains(consoleSel(p, `#timeline tr[data-action="extend"]`), "Many systems to search.") {
		t.Fatalf("after extend: %s", consoleText(p))
	}
	// deny without a reason: 422 next to the field, nothing changed.
	before, _ := app.Store.GetRequest(context.Background(), id)
	deny := consoleAct(cc, id, url.Values{"action": {"deny"}, "reason": {"  "}})
	if deny.Status != 422 || !strings.Contains(consoleSel(deny, "#deny-reason-error"), "Reason is required") || consoleSel(deny, "#fact-status") != "in progress" {
		t.Fatalf("deny without a reason: %d %s", deny.Status, consoleText(deny))
	}
	if after, _ := app.Store.GetRequest(context.Background(), id); after.Version != before.Version {
		t.Fatal("a refused deny changed the request")
	}
	// complete
	p = cc.follow(consoleAct(cc, id, url.Values{"action": {"complete"}, "reason": {"Sent the export."}}))
	if consoleSel(p, "#fact-status") != "completed" || consoleSel(p, "#fact-outcome") != "complied" {
		t.Fatalf("after complete: %s", consoleText(p))
	}
	if got := strings.Join(formsOf(p), ","); got != "action-note" {
		t.Fatalf("forms when completed: %s", got)
	}
	// An illegal transition is a 409 page; an unknown action is shown.
	if r := consoleAct(cc, id, url.Values{"action": {"start"}}); r.Status != 409 || !strings.Contains(consoleSel(r, "#error-message"), "not allowed when the request is completed") {
		t.Fatalf("start a completed request: %d %s", r.Status, consoleText(r))
	}
	if r := consoleAct(cc, id, url.Values{"action": {"fly"}}); r.Status != 422 || !strings.Contains(consoleSel(r, "#action-field-error"), "must be one of") {
		t.Fatalf("unknown action: %d %s", r.Status, consoleText(r))
	}
	if r := cc.get("/admin/requests/01950c6e-4f9a-7b8e-9a51-3c2d1e0f4a5b"); r.Status != 404 {
		t.Fatalf("unknown request: %d", r.Status)
	}
	if r := consoleAct(cc, "01950c6e-4f9a-7b8e-9a51-3c2d1e0f4a5b", url.Values{"action": {"note"}, "note": {"x"}}); r.Status != 404 {
		t.Fatalf("action on an unknown request: %d", r.Status)
	}

	// The auditor reads the same page without a single form.
	au := newConsoleClient(t, app)
	au.login("auditor@example.com")
	ap := au.get("/admin/requests/" + id)
	if ap.Status != 200 || ap.Doc.Find("form.action").Length() != 0 || ap.Doc.Find("#read-only-note").Length() != 1 || ap.Doc.Find(`#timeline tr[data-action="note"]`).Length() != 1 {
		t.Fatalf("auditor's page: %d forms=%d", ap.Status, ap.Doc.Find("form.action").Length())
	}
}

func TestConsoleWithdrawAcknowledgeAssignEscalate(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	consoleStaff(t, app, "go@example.com", models.RoleGrievanceOfficer)
	consoleStaff(t, app, "agent@example.com", models.RoleAgent)
	cc := newConsoleClient(t, app)
	cc.login("go@example.com")
	// A grievance is acknowledged by staff.
	r := cc.post("/admin/requests/new", url.Values{"type": {"grievance"}, "email": {"g@example.com"}, "regime": {"dpdp"},
		"received_at": {"2026-01-31T08:00"}, "verified": {"1"}, "details": {"You ignored my request."}})
	if r.Status != 303 {
		t.Fatalf("intake: %d %s", r.Status, consoleText(r))
	}
	id := strings.TrimPrefix(r.Header.Get("Location"), "/admin/requests/")
	p := cc.follow(r)
	if consoleSel(p, "#flash") != "The request was recorded." || p.Doc.Find("#action-acknowledge").Length() != 1 {
		t.Fatalf("grievance page: %s", consoleText(p))
	}
	p = cc.follow(consoleAct(cc, id, url.Values{"action": {"acknowledge"}}))
	if p.Doc.Find("#action-acknowledge").Length() != 0 {
		t.Fatal("acknowledge offered twice")
	}
	if r := consoleAct(cc, id, url.Values{"action": {"assign"}, "assignee": {""}}); r.Status != 422 || consoleSel(r, "#assign-assignee-error") == "" {
		t.Fatalf("assign nobody: %d %s", r.Status, consoleText(r))
	}
	p = cc.follow(consoleAct(cc, id, url.Values{"action": {"assign"}, "assignee": {"agent@example.com"}}))
	if consoleSel(p, "#fact-assignee") != "agent@example.com" {
		t.Fatalf("assign: %s", consoleText(p))
	}
	p = cc.follow(consoleAct(cc, id, url.Values{"action": {"escalate"}, "reason": {"needs the officer"}}))
	if consoleSel(p, "#fact-level") != "1" {
		t.Fatalf("escalate: %s", consoleText(p))
	}
	p = cc.follow(consoleAct(cc, id, url.Values{"action": {"withdraw"}, "reason": {"asked by phone"}}))
	if consoleSel(p, "#fact-status") != "withdrawn" || consoleSel(p, "#fact-outcome") != "withdrawn" {
		t.Fatalf("withdraw: %s", consoleText(p))
	}
}

func TestConsoleStaffIntake(t *testing.T) {
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)})
	consoleStaff(t, app, "agent@example.com", models.RoleAgent)
	cc := newConsoleClient(t, app)
	cc.login("agent@example.com")
	form := cc.get("/admin/requests/new")
	if form.Status != 200 || form.Doc.Find("#intake-form").Length() != 1 {
		t.Fatalf("intake form: %d", form.Status)
	}
	if v, _ := form.Doc.Find("#intake-received_at").Attr("value"); v != "2026-03-10T09:00" {
		t.Fatalf("received_at default %q", v)
	}
	// Errors next to their field, with what was typed.
	bad := cc.post("/admin/requests/new", url.Values{"type": {"access"}, "email": {"not an email"}, "name": {"Pat"}, "received_at": {"2026-03-02T15:00"}})
	if bad.Status != 422 || !strings.Contains(consoleSel(bad, "#intake-email-error"), "valid email") {
		t.Fatalf("bad email: %d %s", bad.Status, consoleText(bad))
	}
	if v, _ := bad.Doc.Find("#intake-name").Attr("value"); v != "Pat" {
		t.Fatalf("name not kept: %q", v)
	}
	corr := cc.post("/admin/requests/new", url.Values{"type": {"correction"}, "email": {"p@example.com"}, "received_at": {"2026-03-02T15:00"}})
	if corr.Status != 422 || consoleSel(corr, "#intake-corrections-error") == "" {
		t.Fatalf("correction without changes: %d %s", corr.Status, consoleText(corr))
	}
	future := cc.post("/admin/requests/new", url.Values{"type": {"access"}, "email": {"p@example.com"}, "received_at": {"2027-01-01T00:00"}})
	if future.Status != 422 || !strings.Contains(consoleSel(future, "#intake-received_at-error"), "future") {
		t.Fatalf("future receipt: %d %s", future.Status, consoleText(future))
	}
	if r := cc.post("/admin/requests/new", url.Values{"type": {"access"}, "email": {"p@example.com"}, "received_at": {"yesterday"}}); r.Status != 422 || consoleSel(r, "#intake-received_at-error") == "" {
		t.Fatalf("bad receipt: %d", r.Status)
	}
	// A verified correction received by post a week ago: its clock runs from then.
	ok := cc.post("/admin/requests/new", url.Values{"type": {"correction"}, "email": {"post@example.com"}, "regime": {"ccpa"},
		"received_at": {"2026-03-02T15:00"}, "verified": {"1"},
		"corrections_field": {"address", "", ""}, "corrections_current": {"1 Old Rd", "", ""}, "corrections_requested": {"2 New St", "", ""},
		"scope": {"marketing"}, "nominee_name": {"ignored"}})
	if ok.Status != 303 {
		t.Fatalf("intake: %d %s", ok.Status, consoleText(ok))
	}
	id := strings.TrimPrefix(ok.Header.Get("Location"), "/admin/requests/")
	r, err := app.Store.GetRequest(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != "open" || r.Source != "staff" || !r.ReceivedAt.Equal(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)) ||
		r.DueAt.Format("2006-01-02") != "2026-04-16" || len(r.Corrections) != 1 || r.Corrections[0].Requested != "2 New St" || len(r.Scope) != 0 || r.Nominee != nil {
		t.Fatalf("stored: %+v", r)
	}
	p := cc.follow(ok)
	if !strings.Contains(consoleSel(p, "#corrections-table"), "2 New St") || !strings.Contains(consoleSel(p, `#timeline tr[data-action="intake"]`), "staff:agent@example.com") {
		t.Fatalf("detail after intake: %s", consoleText(p))
	}
	// Unverified: the requester is sent a verification link.
	un := cc.post("/admin/requests/new", url.Values{"type": {"access"}, "email": {"phone@example.com"}, "received_at": {"2026-03-09T10:00"}})
	if un.Status != 303 {
		t.Fatalf("unverified intake: %d %s", un.Status, consoleText(un))
	}
	up := cc.follow(un)
	if consoleSel(up, "#fact-status") != "pending verification" || up.Doc.Find(`#emails tr[data-template="verify"]`).Length() != 1 {
		t.Fatalf("unverified intake page: %s", consoleText(up))
	}
}

// An action decided on a page someone else has since changed is refused
// with 409, and changes nothing; a note is still taken.
func TestConsoleStalePageIsAConflict(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	consoleStaff(t, app, "agent@example.com", models.RoleAgent)
	admin := app.StaffToken("admin@example.com", models.RoleAdmin)
	id := openRequest(t, app, map[string]any{"type": "access"})
	cc := newConsoleClient(t, app)
	cc.login("agent@example.com")
	page := cc.get("/admin/requests/" + id)
	version, ok := page.Doc.Find(`#action-extend input[name="version"]`).Attr("value")
	if !ok || version == "" || page.Doc.Find(`form.action input[name="version"]`).Length() != len(formsOf(page)) {
		t.Fatal("the action forms carry no version")
	}
	// Someone else extends meanwhile.
	if r := act(app, admin, id, map[string]any{"action": "extend", "days": 5, "reason": "first"}); r.Status != 200 {
		t.Fatalf("API extend: %d %s", r.Status, r.Body)
	}
	before, _ := app.Store.GetRequest(context.Background(), id)
	stale := consoleAct(cc, id, url.Values{"version": {version}, "action": {"extend"}, "days": {"5"}, "reason": {"second"}})
	if stale.Status != 409 || !strings.Contains(consoleSel(stale, "#error-title"), "Someone changed it") || stale.Doc.Find(`#error-back[href="/admin/requests/`+id+`"]`).Length() != 1 {
		t.Fatalf("stale extend: %d %s", stale.Status, consoleText(stale))
	}
	if after, _ := app.Store.GetRequest(context.Background(), id); after.Version != before.Version {
		t.Fatal("a stale action changed the request")
	}
	if r := consoleAct(cc, id, url.Values{"version": {version}, "action": {"note"}, "note": {"saw the extension"}}); r.Status != 303 {
		t.Fatalf("note on a stale page: %d %s", r.Status, consoleText(r))
	}
	fresh, _ := cc.get("/admin/requests/" + id).Doc.Find(`#action-start input[name="version"]`).Attr("value")
	if r := consoleAct(cc, id, url.Values{"version": {fresh}, "action": {"start"}}); r.Status != 303 {
		t.Fatalf("start on a fresh page: %d %s", r.Status, consoleText(r))
	}
}
