package requests_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/audit"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// What a requester gave us; none of it may survive expiry or retention.
var personal = []string{"zelda.quux@example.com", "Zelda", "Quux", "zq-4411", "nominee.nadia@example.com", "Nadia"}

func assertNothingPersonal(t *testing.T, s *models.Store) {
	t.Helper()
	for _, p := range personal {
		if hits := testdb.FindText(t, s, p); len(hits) > 0 {
			t.Errorf("%q still stored in %s", p, strings.Join(hits, ", "))
		}
	}
}

// assertSomethingPersonal guards the test itself: before the sweep the data
// is there, so FindText can see it.
func assertSomethingPersonal(t *testing.T, s *models.Store) {
	t.Helper()
	for _, p := range personal[:4] {
		if len(testdb.FindText(t, s, p)) == 0 {
			t.Fatalf("%q not stored before the sweep: the test proves nothing", p)
		}
	}
}

// An unverified request expires once the policy's window (168 h by default)
// has passed since it was submitted: its status becomes expired and every
// trace of the requester goes, the reference, type and dates remain, and
// the emailed link no longer opens anything.
func TestUnverifiedRequestExpiresAndIsPurged(t *testing.T) {
	f := newSweepFixture(t, "2026-03-01T10:00:00Z")
	r, err := f.svc.Submit(ctx, requests.Input{Type: "correction", Email: "Zelda.Quux@example.com", Name: "Zelda Quux",
		Details: "customer zq-4411", Corrections: []models.Correction{{Field: "name", Current: "Zelda Quux", Requested: "Zelda Q"}}})
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := f.store.ListOutbox(ctx, models.OutboxFilter{RequestID: r.ID})
	token := verifyLink.FindStringSubmatch(msgs[0].TextBody)[1]
	assertSomethingPersonal(t, f.store)

	f.clock.Set("2026-03-08T10:00:00Z") // exactly 168 h: still within the window
	if rep := f.sweep(t); rep.Expired != 0 {
		t.Fatalf("expired at exactly the window: %+v", rep)
	}
	f.clock.Set("2026-03-08T10:00:01Z")
	if rep := f.sweep(t); rep.Expired != 1 {
		t.Fatalf("not expired after the window: %+v", rep)
	}
	if rep := f.sweep(t); rep.Changed() {
		t.Fatalf("second sweep changed something: %+v", rep)
	}
	got := f.get(t, r.ID)
	if got.Status != "expired" || got.Outcome != "expired" || got.RedactedAt == nil || got.ClosedAt == nil ||
		got.Reference != r.Reference || got.Type != "correction" || !got.ReceivedAt.Equal(r.ReceivedAt) || !got.DueAt.Equal(r.DueAt) {
		t.Fatalf("after expiry: %+v", got)
	}
	assertNothingPersonal(t, f.store)
	if _, err := f.svc.Verify(ctx, token); !errors.Is(err, requests.ErrLinkUnknown) {
		t.Fatalf("the verify link of an expired request: %v", err)
	}
	if _, err := audit.VerifyAll(ctx, f.store); err != nil {
		t.Fatalf("chain after purge: %v", err)
	}
	events, _ := f.store.Events(ctx, r.ID)
	if last := events[len(events)-1]; last.Action != "expire" || last.ToStatus != "expired" || last.Actor != "system" {
		t.Fatalf("last event %+v", last)
	}
}

// A verified request is never expired, however old.
func TestVerifiedRequestDoesNotExpire(t *testing.T) {
	f := newSweepFixture(t, "2026-03-01T10:00:00Z")
	r := f.open(t, requests.Input{Type: "access", Email: "zelda.quux@example.com"})
	f.clock.Set("2026-09-01T00:00:00Z")
	if rep := f.sweep(t); rep.Expired != 0 || f.get(t, r.ID).Email == "" {
		t.Fatalf("%+v", rep)
	}
}

// A closed request keeps its personal data for the retention period (730
// days by default) after closing, then it is redacted from every table,
// events and outbox included, while the chain still verifies.
func TestClosedRequestIsRedactedAfterRetention(t *testing.T) {
	f := newSweepFixture(t, "2026-03-01T10:00:00Z")
	r := f.open(t, requests.Input{Type: "nomination", Email: "zelda.quux@example.com", Name: "Zelda Quux",
		Details: "account zq-4411", Nominee: &models.Nominee{Name: "Nadia N", Email: "nominee.nadia@example.com"}})
	steps := []requests.ActionInput{
		{Action: "request_info", Note: "Zelda, please confirm account zq-4411"},
		{Action: "resume"},
		{Action: "note", Note: "Quux confirmed by phone"},
		{Action: "complete", Note: "nominee Nadia recorded"},
	}
	for _, in := range steps {
		if _, err := f.svc.Act(ctx, agent, r.ID, in); err != nil {
			t.Fatalf("%s: %v", in.Action, err)
		}
	}
	closed := f.get(t, r.ID).ClosedAt
	assertSomethingPersonal(t, f.store)

	f.clock.Set(closed.Add(730 * 24 * time.Hour).Format(time.RFC3339Nano))
	if rep := f.sweep(t); rep.Redacted != 0 {
		t.Fatalf("redacted at exactly the retention period: %+v", rep)
	}
	f.clock.Add(time.Second)
	if rep := f.sweep(t); rep.Redacted != 1 {
		t.Fatalf("not redacted after retention: %+v", rep)
	}
	if rep := f.sweep(t); rep.Changed() {
		t.Fatalf("second sweep changed something: %+v", rep)
	}
	assertNothingPersonal(t, f.store)
	got := f.get(t, r.ID)
	if got.Status != "completed" || got.Outcome != "complied" || got.Regime != r.Regime || got.Reference != r.Reference ||
		!got.ClosedAt.Equal(*closed) || got.RedactedAt == nil || got.Nominee != nil {
		t.Fatalf("after redaction: %+v", got)
	}
	if n, err := audit.VerifyAll(ctx, f.store); err != nil || n < 7 {
		t.Fatalf("chain after redaction: %d events, %v", n, err)
	}
}

// An open request is never redacted, whatever its age.
func TestOpenRequestIsNotRedacted(t *testing.T) {
	f := newSweepFixture(t, "2024-01-01T00:00:00Z")
	r := f.open(t, requests.Input{Type: "access", Email: "zelda.quux@example.com"})
	f.clock.Set("2027-01-01T00:00:00Z")
	f.sweep(t)
	if got := f.get(t, r.ID); got.RedactedAt != nil || got.Email == "" {
		t.Fatalf("open request redacted: %+v", got)
	}
}
