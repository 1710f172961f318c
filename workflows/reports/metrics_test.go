package reports_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/reports"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

var ctx = context.Background()

// seed inserts requests straight into a real store, with the dates given.
type seed struct {
	t     *testing.T
	store *models.Store
	n     int
}

func (s *seed) add(typ, status, outcome, received, closed string) {
	s.t.Helper()
	s.n++
	rec := mustTime(s.t, received)
	r := &models.Request{
		ID: fmt.Sprintf("r%03d", s.n), Reference: fmt.Sprintf("DSR-TEST-%04d", s.n),
		Type: typ, Status: status, Outcome: outcome, Regime: "default", Relationship: "self", Source: "api",
		Email: "a@example.com", EmailNorm: "a@example.com",
		ReceivedAt: rec, DueAt: rec.Add(30 * 24 * time.Hour), DeadlineAt: rec.Add(30 * 24 * time.Hour),
		CreatedAt: rec, UpdatedAt: rec,
	}
	if closed != "" {
		c := mustTime(s.t, closed)
		r.ClosedAt = &c
	}
	if err := s.store.CreateRequest(ctx, r); err != nil {
		s.t.Fatal(err)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func parsePolicy(t *testing.T, yaml string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func byType(t *testing.T, r *reports.Report) map[string]reports.TypeMetrics {
	t.Helper()
	out := map[string]reports.TypeMetrics{}
	for _, m := range r.Types {
		if _, dup := out[m.Type]; dup {
			t.Fatalf("type %s listed twice", m.Type)
		}
		out[m.Type] = m
	}
	return out
}

func days(p *float64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

func TestCountsAndDaysInUTC(t *testing.T) {
	store := testdb.Open(t)
	s := &seed{t: t, store: store}
	// access: complied after 12 days, denied after 13, one open, one withdrawn.
	s.add("access", "completed", "complied", "2026-03-01T10:00:00Z", "2026-03-13T09:00:00Z")
	s.add("access", "denied", "denied", "2026-03-02T23:30:00Z", "2026-03-15T00:10:00Z")
	s.add("access", "in_progress", "", "2026-06-01T10:00:00Z", "")
	s.add("access", "withdrawn", "withdrawn", "2026-06-02T10:00:00Z", "2026-06-03T10:00:00Z")
	// deletion: odd count 0, 5, 40 → median 5, mean 15; one expired, one awaiting.
	s.add("deletion", "completed", "complied", "2026-01-01T00:00:00Z", "2026-01-01T23:59:59Z")
	s.add("deletion", "completed", "complied", "2026-02-10T08:00:00Z", "2026-02-15T08:00:00Z")
	s.add("deletion", "denied", "denied", "2026-11-01T08:00:00Z", "2026-12-11T08:00:00Z")
	s.add("deletion", "expired", "", "2026-04-01T08:00:00Z", "")
	s.add("deletion", "awaiting_requester", "", "2026-04-02T08:00:00Z", "")
	s.add("deletion", "pending_verification", "", "2026-12-31T23:59:59Z", "")
	// Outside 2026: counted in their own years only.
	s.add("access", "completed", "complied", "2025-12-31T23:59:59Z", "2026-01-05T10:00:00Z")
	s.add("deletion", "open", "", "2027-01-01T00:00:00Z", "")

	pol := policy.Default("privacy@example.com")
	rep, err := reports.Metrics(ctx, store, pol, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Year != 2026 || rep.Timezone != "UTC" {
		t.Fatalf("year %d zone %q", rep.Year, rep.Timezone)
	}
	// Every offered type, in the policy's order, zeros included.
	if len(rep.Types) != len(pol.RequestTypes) {
		t.Fatalf("%d rows, want %d", len(rep.Types), len(pol.RequestTypes))
	}
	for i, m := range rep.Types {
		if m.Type != pol.RequestTypes[i] {
			t.Fatalf("row %d is %s, want %s", i, m.Type, pol.RequestTypes[i])
		}
	}
	got := byType(t, rep)
	a := got["access"]
	if a.Received != 4 || a.Complied != 1 || a.Denied != 1 || a.Withdrawn != 1 || a.Expired != 0 || a.Open != 1 {
		t.Errorf("access counts: %+v", a)
	}
	// 1 → 13 March is 12 days; 2 → 15 March is 13 days.
	if days(a.MedianDays) != "12.5" || days(a.MeanDays) != "12.5" {
		t.Errorf("access days: median %s mean %s, want 12.5 12.5", days(a.MedianDays), days(a.MeanDays))
	}
	d := got["deletion"]
	if d.Received != 6 || d.Complied != 2 || d.Denied != 1 || d.Withdrawn != 0 || d.Expired != 1 || d.Open != 2 {
		t.Errorf("deletion counts: %+v", d)
	}
	if days(d.MedianDays) != "5" || days(d.MeanDays) != "15" {
		t.Errorf("deletion days: median %s mean %s, want 5 15", days(d.MedianDays), days(d.MeanDays))
	}
	for _, typ := range []string{"export", "appeal"} {
		m := got[typ]
		if m.Received+m.Complied+m.Denied+m.Withdrawn+m.Expired+m.Open != 0 || m.MedianDays != nil || m.MeanDays != nil {
			t.Errorf("%s should be all zeros and null days: %+v", typ, m)
		}
	}

	// The neighbouring years see only their own requests.
	prev, err := reports.Metrics(ctx, store, pol, 2025)
	if err != nil {
		t.Fatal(err)
	}
	if p := byType(t, prev)["access"]; p.Received != 1 || p.Complied != 1 || days(p.MedianDays) != "5" {
		t.Errorf("2025 access: %+v", p)
	}
	next, _ := reports.Metrics(ctx, store, pol, 2027)
	if n := byType(t, next)["deletion"]; n.Received != 1 || n.Open != 1 || n.MedianDays != nil {
		t.Errorf("2027 deletion: %+v", n)
	}
}

func TestYearAndDaysInThePolicyZone(t *testing.T) {
	store := testdb.Open(t)
	s := &seed{t: t, store: store}
	// 20:00 UTC on 31 December is 01:30 on 1 January in Kolkata: a 2027
	// request there. Closed at 19:00 UTC on 1 January (00:30 on the 2nd in
	// Kolkata): 1 day, though in UTC it closed the day after receipt too.
	s.add("access", "completed", "complied", "2026-12-31T20:00:00Z", "2027-01-01T19:00:00Z")
	// 18:00 UTC on 31 December is 23:30 in Kolkata: still 2026. Closed at
	// 18:31 UTC the same day, which is already 1 January there: 1 day,
	// though in UTC it is the same day.
	s.add("access", "completed", "complied", "2026-12-31T18:00:00Z", "2026-12-31T18:31:00Z")
	// 18:29 UTC on 31 December 2025 is 23:59 in Kolkata: 2025, not 2026.
	s.add("access", "open", "", "2025-12-31T18:29:00Z", "")
	// 18:30 UTC on 31 December 2025 is midnight, 1 January 2026, in Kolkata.
	s.add("access", "denied", "denied", "2025-12-31T18:30:00Z", "2026-01-03T10:00:00Z")

	pol := parsePolicy(t, "organization: {name: Zone Org}\nrequest_types: [access, deletion]\ntimezone: Asia/Kolkata\n")
	rep, err := reports.Metrics(ctx, store, pol, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Timezone != "Asia/Kolkata" || len(rep.Types) != 2 || rep.Types[0].Type != "access" || rep.Types[1].Type != "deletion" {
		t.Fatalf("report: %+v", rep)
	}
	a := rep.Types[0]
	// In 2026 (Kolkata): the 23:30 one (1 day) and the midnight one (1 → 3 January: 2 days).
	if a.Received != 2 || a.Complied != 1 || a.Denied != 1 || a.Open != 0 || days(a.MedianDays) != "1.5" || days(a.MeanDays) != "1.5" {
		t.Errorf("2026 in Kolkata: %+v median %s mean %s", a, days(a.MedianDays), days(a.MeanDays))
	}
	rep27, _ := reports.Metrics(ctx, store, pol, 2027)
	if a := rep27.Types[0]; a.Received != 1 || a.Complied != 1 || days(a.MedianDays) != "1" {
		t.Errorf("2027 in Kolkata: %+v median %s", a, days(a.MedianDays))
	}
	rep25, _ := reports.Metrics(ctx, store, pol, 2025)
	if a := rep25.Types[0]; a.Received != 1 || a.Open != 1 || a.MedianDays != nil {
		t.Errorf("2025 in Kolkata: %+v", a)
	}
}

func TestTypeNoLongerOfferedIsStillReported(t *testing.T) {
	store := testdb.Open(t)
	s := &seed{t: t, store: store}
	s.add("restriction", "completed", "complied", "2026-05-01T10:00:00Z", "2026-05-04T10:00:00Z")
	s.add("appeal", "open", "", "2026-05-02T10:00:00Z", "")
	s.add("deletion", "completed", "complied", "2026-05-03T10:00:00Z", "2026-05-05T10:00:00Z")
	pol := parsePolicy(t, "organization: {name: Small Org}\nrequest_types: [deletion, access]\n")
	rep, err := reports.Metrics(ctx, store, pol, 2026)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, m := range rep.Types {
		order = append(order, m.Type)
	}
	// Offered types first in the policy's order (the parser keeps the
	// canonical order: access before deletion), then the others sorted.
	want := fmt.Sprint(append(slices.Clone(pol.RequestTypes), "appeal", "restriction"))
	if fmt.Sprint(order) != want || want != "[access deletion appeal restriction]" {
		t.Fatalf("order %v, want %s", order, want)
	}
	got := byType(t, rep)
	if m := got["restriction"]; m.Received != 1 || m.Complied != 1 || days(m.MedianDays) != "3" {
		t.Errorf("restriction: %+v", m)
	}
	if m := got["appeal"]; m.Received != 1 || m.Open != 1 || m.MedianDays != nil {
		t.Errorf("appeal: %+v", m)
	}
	if m := got["access"]; m.Received != 0 || m.MedianDays != nil || m.MeanDays != nil {
		t.Errorf("access: %+v", m)
	}
}

func TestEvenMedianAndRounding(t *testing.T) {
	store := testdb.Open(t)
	s := &seed{t: t, store: store}
	// 1, 2, 4, 10 days: median (2+4)/2 = 3, mean 17/4 = 4.25 → 4.3.
	for i, d := range []int{10, 1, 4, 2} {
		rec := time.Date(2026, 7, 1+i, 9, 0, 0, 0, time.UTC)
		s.add("export", "completed", "complied", rec.Format(time.RFC3339), rec.AddDate(0, 0, d).Format(time.RFC3339))
	}
	// 1, 2 days: median 1.5, mean 1.5; 1, 1, 2: mean 4/3 → 1.3.
	s.add("access", "denied", "denied", "2026-08-01T09:00:00Z", "2026-08-02T09:00:00Z")
	s.add("access", "completed", "complied", "2026-08-01T09:00:00Z", "2026-08-03T09:00:00Z")
	s.add("correction", "completed", "complied", "2026-08-01T09:00:00Z", "2026-08-02T09:00:00Z")
	s.add("correction", "completed", "complied", "2026-08-01T09:00:00Z", "2026-08-02T09:00:00Z")
	s.add("correction", "completed", "complied", "2026-08-01T09:00:00Z", "2026-08-03T09:00:00Z")
	// A withdrawn request's closing is not a response: no days.
	s.add("correction", "withdrawn", "withdrawn", "2026-08-01T09:00:00Z", "2026-12-01T09:00:00Z")
	rep, err := reports.Metrics(ctx, store, policy.Default("privacy@example.com"), 2026)
	if err != nil {
		t.Fatal(err)
	}
	got := byType(t, rep)
	for typ, want := range map[string][2]string{"export": {"3", "4.3"}, "access": {"1.5", "1.5"}, "correction": {"1", "1.3"}} {
		if m := got[typ]; days(m.MedianDays) != want[0] || days(m.MeanDays) != want[1] {
			t.Errorf("%s: median %s mean %s, want %s %s", typ, days(m.MedianDays), days(m.MeanDays), want[0], want[1])
		}
	}
	if c := got["correction"]; c.Received != 4 || c.Withdrawn != 1 || c.Complied != 3 {
		t.Errorf("correction counts: %+v", c)
	}
}

func TestYearOutOfRangeIsAFieldError(t *testing.T) {
	store := testdb.Open(t)
	for _, y := range []int{0, 1999, 10000, -2026} {
		_, err := reports.Metrics(ctx, store, policy.Default("privacy@example.com"), y)
		var fe *requests.FieldError
		if !errors.As(err, &fe) || fe.Field != "year" || fe.Unprocessable {
			t.Errorf("year %d: want a 400 field error on year, got %v", y, err)
		}
	}
	for _, y := range []int{2000, 9999} {
		if _, err := reports.Metrics(ctx, store, policy.Default("privacy@example.com"), y); err != nil {
			t.Errorf("year %d: %v", y, err)
		}
	}
}
