package requests_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/audit"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// clock is a settable "now" shared by the service and the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(s string)        { c.mu.Lock(); defer c.mu.Unlock(); c.t = mustTime(s) }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// sweepFixture is a service on a real database with a settable clock and a
// privacy team: an admin, an agent and a grievance officer. The policy's
// own grievance officer is reached at privacy@example.com (the default).
type sweepFixture struct {
	svc   *requests.Service
	store *models.Store
	clock *clock
}

func newSweepFixture(t *testing.T, start string) *sweepFixture {
	t.Helper()
	store := testdb.Open(t)
	c := &clock{t: mustTime(start)}
	svc := requests.New(store, policy.Default("privacy@example.com"), requests.Config{
		BaseURL: "https://privacy.example.com", MailFrom: "privacy@example.com", Keys: secrets.Derive([]byte("k")),
	}, c.Now)
	for i, u := range []struct{ email, role string }{
		{"admin@example.org", models.RoleAdmin}, {"agent@example.org", models.RoleAgent},
		{"officer@example.org", models.RoleGrievanceOfficer}, {"auditor@example.org", models.RoleAuditor},
	} {
		if err := store.CreateStaffUser(ctx, &models.StaffUser{ID: fmt.Sprint("u", i), Email: u.email, PasswordHash: "x", Role: u.role, CreatedAt: c.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	return &sweepFixture{svc: svc, store: store, clock: c}
}

var agent = requests.Actor{Kind: "staff", Name: "agent@example.org", Role: models.RoleAgent}

// open submits and verifies a request now, returning it.
func (f *sweepFixture) open(t *testing.T, in requests.Input) *models.Request {
	t.Helper()
	r, err := f.svc.SubmitForRequester(ctx, agent, requests.StaffInput{Input: in, ReceivedAt: f.clock.Now(), Verified: true})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *sweepFixture) sweep(t *testing.T) requests.SweepReport {
	t.Helper()
	rep, err := f.svc.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// mail lists a request's queued messages as "template→recipient", sorted,
// leaving out the ones of before.
func (f *sweepFixture) mail(t *testing.T, id string) []string {
	t.Helper()
	msgs, err := f.store.ListOutbox(ctx, models.OutboxFilter{RequestID: id, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, m.Template+"→"+m.ToAddr)
	}
	sort.Strings(out)
	return out
}

func (f *sweepFixture) get(t *testing.T, id string) *models.Request {
	t.Helper()
	r, err := f.store.GetRequest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// newMail returns the messages in after that are not in before.
func newMail(before, after []string) []string {
	var out []string
	left := slices.Clone(before)
	for _, m := range after {
		if i := slices.Index(left, m); i >= 0 {
			left = slices.Delete(left, i, i+1)
			continue
		}
		out = append(out, m)
	}
	return out
}

// The ladder of a GDPR access request received 2026-03-01 10:00 UTC: due
// at the end of 2026-04-01; warning window and grace of 7 days each (the
// policy defaults). Each step sends its notices once; a second sweep at the
// same moment changes nothing.
func TestEscalationLadderDatedVectors(t *testing.T) {
	f := newSweepFixture(t, "2026-03-01T10:00:00Z")
	r := f.open(t, requests.Input{Type: "access", Email: "ana@example.com", Regime: "gdpr"})
	if _, err := f.svc.Act(ctx, agent, r.ID, requests.ActionInput{Action: "assign", Assignee: "agent@example.org"}); err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, r.ID).DeadlineAt; !got.Equal(mustTime("2026-04-01T23:59:59Z")) {
		t.Fatalf("due %s", got)
	}
	steps := []struct {
		at    string
		level int
		mail  []string
	}{
		{"2026-03-25T23:59:58Z", 0, nil},
		{"2026-03-25T23:59:59Z", 1, []string{"overdue_staff→agent@example.org"}},
		{"2026-04-01T23:59:59Z", 1, nil},
		{"2026-04-02T00:00:00Z", 2, []string{"overdue_staff→officer@example.org", "overdue_staff→privacy@example.com", "overdue→ana@example.com"}},
		{"2026-04-08T23:59:59Z", 2, nil},
		{"2026-04-09T00:00:00Z", 3, []string{"overdue_staff→admin@example.org"}},
		{"2026-05-01T00:00:00Z", 3, nil},
	}
	for _, step := range steps {
		f.clock.Set(step.at)
		before := f.mail(t, r.ID)
		f.sweep(t)
		f.sweep(t) // idempotent: the second run at the same moment adds nothing
		got := f.get(t, r.ID)
		sent := newMail(before, f.mail(t, r.ID))
		if got.EscalationLevel != step.level || !slices.Equal(sent, step.mail) {
			t.Fatalf("at %s: level %d, new mail %v; want level %d, mail %v", step.at, got.EscalationLevel, sent, step.level, step.mail)
		}
	}
	// Completion resets the level; a closed request is never escalated.
	f.open(t, requests.Input{Type: "access", Email: "other@example.com"}) // unrelated traffic
	if _, err := f.svc.Act(ctx, agent, r.ID, requests.ActionInput{Action: "start"}); err != nil {
		t.Fatal(err)
	}
	done, err := f.svc.Act(ctx, agent, r.ID, requests.ActionInput{Action: "complete"})
	if err != nil || done.EscalationLevel != 0 {
		t.Fatalf("complete: level %v, %v", done, err)
	}
	f.clock.Set("2026-06-01T00:00:00Z")
	before := f.mail(t, r.ID)
	f.sweep(t)
	if got := f.get(t, r.ID); got.EscalationLevel != 0 || len(newMail(before, f.mail(t, r.ID))) != 0 {
		t.Fatalf("a completed request was escalated again: level %d", got.EscalationLevel)
	}
	events, _ := f.store.Events(ctx, r.ID)
	var ladder []string
	for _, e := range events {
		if e.Action == "escalate" {
			ladder = append(ladder, e.Note)
		}
	}
	want := []string{
		"escalation level 0 → 1: due within the warning window; 1 notice(s) queued",
		"escalation level 1 → 2: past its due date; 3 notice(s) queued",
		"escalation level 2 → 3: still overdue after the grace period; 1 notice(s) queued",
	}
	if !slices.Equal(ladder, want) {
		t.Fatalf("escalation events:\n%v\nwant\n%v", strings.Join(ladder, "\n"), strings.Join(want, "\n"))
	}
	if _, err := audit.VerifyAll(ctx, f.store); err != nil {
		t.Fatal(err)
	}
}

// A sweeper that did not run for weeks lifts a request straight to level 3:
// the level-2 and level-3 notices go out, the stale "due soon" one does not.
// Unassigned, nobody gets a level-1 reminder either.
func TestEscalationJumpSendsEveryLevelPassed(t *testing.T) {
	f := newSweepFixture(t, "2026-01-05T09:00:00Z")
	r := f.open(t, requests.Input{Type: "deletion", Email: "ben@example.com", Regime: "lgpd"}) // 15 days: due 2026-01-20
	f.clock.Set("2026-02-15T00:00:00Z")
	if rep := f.sweep(t); rep.Escalated != 1 {
		t.Fatalf("escalated %d", rep.Escalated)
	}
	got := newMail([]string{"received→ben@example.com"}, f.mail(t, r.ID))
	want := []string{"overdue_staff→admin@example.org", "overdue_staff→officer@example.org", "overdue_staff→privacy@example.com", "overdue→ben@example.com"}
	if f.get(t, r.ID).EscalationLevel != 3 || !slices.Equal(got, want) {
		t.Fatalf("level %d, mail %v; want 3, %v", f.get(t, r.ID).EscalationLevel, got, want)
	}
}

// Level 1 for an unassigned request reminds the admins, who assign work.
func TestDueSoonUnassignedRemindsAdmins(t *testing.T) {
	f := newSweepFixture(t, "2026-01-05T09:00:00Z")
	r := f.open(t, requests.Input{Type: "deletion", Email: "ben@example.com", Regime: "lgpd"})
	f.clock.Set("2026-01-14T00:00:00Z") // due 2026-01-20 23:59:59, window from 01-13 23:59:59
	f.sweep(t)
	if got := newMail([]string{"received→ben@example.com"}, f.mail(t, r.ID)); f.get(t, r.ID).EscalationLevel != 1 || !slices.Equal(got, []string{"overdue_staff→admin@example.org"}) {
		t.Fatalf("mail %v", got)
	}
}

// A DPDP grievance is routed to the grievance officers when verified; not
// acknowledged within 24 hours it escalates to level 2 (staff only: the
// requester's answer is not yet late). One acknowledged in time does not.
func TestGrievanceAcknowledgementClock(t *testing.T) {
	f := newSweepFixture(t, "2026-03-01T10:00:00Z")
	late := f.open(t, requests.Input{Type: "grievance", Email: "chitra@example.in", Country: "IN", Details: "no reply"})
	ontime := f.open(t, requests.Input{Type: "grievance", Email: "dev@example.in", Country: "IN", Details: "no reply", ConcernsChild: true})
	if !f.get(t, late.ID).AckDueAt.Equal(mustTime("2026-03-02T10:00:00Z")) {
		t.Fatalf("ack due %v", f.get(t, late.ID).AckDueAt)
	}
	routed := []string{"received→chitra@example.in", "routed_staff→officer@example.org", "routed_staff→privacy@example.com"}
	if got := f.mail(t, late.ID); !slices.Equal(got, routed) {
		t.Fatalf("on verification: %v, want %v", got, routed)
	}
	f.clock.Set("2026-03-02T09:00:00Z")
	if _, err := f.svc.Act(ctx, agent, ontime.ID, requests.ActionInput{Action: "acknowledge"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set("2026-03-02T10:00:00Z")
	if rep := f.sweep(t); rep.Escalated != 0 {
		t.Fatalf("escalated at exactly 24 h: %+v", rep)
	}
	f.clock.Set("2026-03-02T10:00:01Z")
	f.sweep(t)
	if f.get(t, late.ID).EscalationLevel != 2 || f.get(t, ontime.ID).EscalationLevel != 0 {
		t.Fatalf("levels: late %d, on time %d", f.get(t, late.ID).EscalationLevel, f.get(t, ontime.ID).EscalationLevel)
	}
	got := newMail(routed, f.mail(t, late.ID))
	if want := []string{"overdue_staff→officer@example.org", "overdue_staff→privacy@example.com"}; !slices.Equal(got, want) {
		t.Fatalf("ack breach mail %v, want %v", got, want)
	}
	// The child grievance is due in 15 days (2026-03-16), the other in 30.
	if d := f.get(t, ontime.ID).DeadlineAt; !d.Equal(mustTime("2026-03-16T23:59:59Z").Add(-5*time.Hour-30*time.Minute)) && !d.Equal(mustTime("2026-03-16T23:59:59Z")) {
		t.Fatalf("child grievance due %s", d)
	}
}

// While a uk_gdpr request awaits the requester its clock is stopped, so it
// is not overdue; a gdpr one (no pause) is.
func TestPausedClockDoesNotEscalate(t *testing.T) {
	f := newSweepFixture(t, "2026-03-01T10:00:00Z")
	uk := f.open(t, requests.Input{Type: "access", Email: "ed@example.co.uk", Regime: "uk_gdpr"})
	eu := f.open(t, requests.Input{Type: "access", Email: "eva@example.de", Regime: "gdpr"})
	for _, id := range []string{uk.ID, eu.ID} {
		if _, err := f.svc.Act(ctx, agent, id, requests.ActionInput{Action: "request_info", Note: "which account?"}); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Set("2026-04-20T00:00:00Z")
	f.sweep(t)
	if a, b := f.get(t, uk.ID).EscalationLevel, f.get(t, eu.ID).EscalationLevel; a != 0 || b != 3 {
		t.Fatalf("levels: uk_gdpr %d (want 0), gdpr %d (want 3)", a, b)
	}
	// On resume the uk_gdpr due date moves by the 51 paused days (1 March to
	// 20 April, both counted): 2026-04-01 → 2026-05-22.
	got, err := f.svc.Act(ctx, agent, uk.ID, requests.ActionInput{Action: "resume"})
	if err != nil || !got.DeadlineAt.Equal(mustTime("2026-05-22T23:59:59Z")) {
		t.Fatalf("resume: %v %v", got.DeadlineAt, err)
	}
	f.sweep(t)
	if f.get(t, uk.ID).EscalationLevel != 0 {
		t.Fatal("escalated after resume although the new due date is a month away")
	}
}

// Staff escalating by hand notifies the next level at once; the sweep then
// finds the level reached and does not notify again.
func TestManualEscalationNotifiesOnce(t *testing.T) {
	f := newSweepFixture(t, "2026-03-01T10:00:00Z")
	r := f.open(t, requests.Input{Type: "access", Email: "fay@example.com", Regime: "gdpr"})
	f.svc.Act(ctx, agent, r.ID, requests.ActionInput{Action: "escalate"})
	if _, err := f.svc.Act(ctx, agent, r.ID, requests.ActionInput{Action: "escalate", Reason: "complex"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"overdue_staff→admin@example.org", "overdue_staff→officer@example.org", "overdue_staff→privacy@example.com", "received→fay@example.com"}
	if got := f.mail(t, r.ID); !slices.Equal(got, want) {
		t.Fatalf("after two escalations: %v, want %v", got, want)
	}
	f.clock.Set("2026-04-02T00:00:00Z")
	f.sweep(t)
	if got := f.mail(t, r.ID); f.get(t, r.ID).EscalationLevel != 2 || !slices.Equal(got, want) {
		t.Fatalf("the sweep notified level 2 again: %v", got)
	}
}

// CCPA: acknowledge within 10 business days of receipt, verified or not. A
// request received by post on Monday 2 March 2026 and entered unverified on
// 20 March is past its acknowledgement (due 16 March): the sweep escalates
// it to the grievance officers (not the requester: nothing is late for
// them yet). Staff may acknowledge before verification, and verifying later
// keeps that acknowledgement time.
func TestCCPAAcknowledgementBreachEscalatesBeforeVerification(t *testing.T) {
	f := newSweepFixture(t, "2026-03-20T09:00:00Z")
	r, err := f.svc.SubmitForRequester(ctx, agent, requests.StaffInput{
		Input:      requests.Input{Type: "access", Email: "gil@example.com", Country: "US", Region: "CA"},
		ReceivedAt: mustTime("2026-03-02T15:00:00Z"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !r.AckDueAt.Equal(mustTime("2026-03-16T23:59:59Z")) {
		t.Fatalf("ack due %v", r.AckDueAt)
	}
	f.sweep(t)
	got := newMail([]string{"verify→gil@example.com"}, f.mail(t, r.ID))
	if want := []string{"overdue_staff→officer@example.org", "overdue_staff→privacy@example.com"}; f.get(t, r.ID).EscalationLevel != 2 || !slices.Equal(got, want) {
		t.Fatalf("level %d, mail %v; want 2, %v", f.get(t, r.ID).EscalationLevel, got, want)
	}
	f.clock.Set("2026-03-20T10:00:00Z")
	if _, err := f.svc.Act(ctx, agent, r.ID, requests.ActionInput{Action: "acknowledge", Note: "letter sent"}); err != nil {
		t.Fatal(err)
	}
	msgs, _ := f.store.ListOutbox(ctx, models.OutboxFilter{RequestID: r.ID, Status: ""})
	var token string
	for _, m := range msgs {
		if m.Template == "verify" {
			token = verifyLink.FindStringSubmatch(m.TextBody)[1]
		}
	}
	f.clock.Set("2026-03-20T12:00:00Z")
	v, err := f.svc.Verify(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if !v.AcknowledgedAt.Equal(mustTime("2026-03-20T10:00:00Z")) {
		t.Fatalf("verification overwrote the acknowledgement: %v", v.AcknowledgedAt)
	}
}

// A policy whose grievance officer has no email (imagegen's hides it) and a
// team without the grievance_officer role: level 2 goes to the admins
// rather than to nobody.
func TestOverdueWithoutAnOfficerTellsTheAdmins(t *testing.T) {
	store := testdb.Open(t)
	c := &clock{t: mustTime("2026-01-05T09:00:00Z")}
	pol := policy.Default("privacy@example.com")
	pol.GrievanceOfficer.Email = ""
	svc := requests.New(store, pol, requests.Config{BaseURL: "https://privacy.example.com", MailFrom: "privacy@example.com"}, c.Now)
	if err := store.CreateStaffUser(ctx, &models.StaffUser{ID: "a", Email: "admin@example.org", PasswordHash: "x", Role: models.RoleAdmin, CreatedAt: c.Now()}); err != nil {
		t.Fatal(err)
	}
	f := &sweepFixture{svc: svc, store: store, clock: c}
	r := f.open(t, requests.Input{Type: "deletion", Email: "ben@example.com", Regime: "lgpd"})
	f.clock.Set("2026-01-21T00:00:00Z") // due 2026-01-20: overdue, within grace
	f.sweep(t)
	got := newMail([]string{"received→ben@example.com"}, f.mail(t, r.ID))
	if want := []string{"overdue_staff→admin@example.org", "overdue→ben@example.com"}; !slices.Equal(got, want) {
		t.Fatalf("mail %v, want %v", got, want)
	}
}
