package models_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
)

var ctx = context.Background()

func newRequest(id, ref string, deadline time.Time) *models.Request {
	return &models.Request{
		ID: id, Reference: ref, Type: "access", Status: "open", Regime: "gdpr",
		Relationship: "self", Source: "api", Email: "Ana@Example.com", EmailNorm: "ana@example.com",
		ReceivedAt: deadline.Add(-30 * 24 * time.Hour), DueAt: deadline, DeadlineAt: deadline,
		Corrections: []models.Correction{{Field: "name", Requested: "Ana B"}},
		Nominee:     &models.Nominee{Name: "N", Email: "n@example.com"},
	}
}

func TestRequestRoundTripAndOptimisticUpdate(t *testing.T) {
	s := testdb.Open(t)
	due := time.Date(2026, 3, 31, 23, 59, 59, 0, time.FixedZone("IST", 5*3600+1800))
	r := newRequest("r1", "DSR-AAAA-BBBB", due)
	if err := s.CreateRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRequest(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.DueAt.Equal(due) || got.Corrections[0].Requested != "Ana B" || got.Nominee.Email != "n@example.com" {
		t.Fatalf("round trip lost data: %+v", got)
	}
	if len(got.Scope) != 0 || got.Scope == nil {
		t.Fatalf("empty scope should read back as an empty list, got %#v", got.Scope)
	}
	stale := *got
	got.Status = "in_progress"
	if err := s.UpdateRequest(ctx, got); err != nil {
		t.Fatal(err)
	}
	stale.Status = "denied"
	if err := s.UpdateRequest(ctx, &stale); !errors.Is(err, models.ErrConflict) {
		t.Fatalf("stale update: want ErrConflict, got %v", err)
	}
	again, _ := s.GetRequest(ctx, "r1")
	if again.Status != "in_progress" || again.Version != 2 {
		t.Fatalf("want in_progress v2, got %s v%d", again.Status, again.Version)
	}
	if _, err := s.GetRequest(ctx, "nope"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
	dup := newRequest("r2", "DSR-AAAA-BBBB", due)
	if err := s.CreateRequest(ctx, dup); !errors.Is(err, models.ErrDuplicate) {
		t.Fatalf("duplicate reference: want ErrDuplicate, got %v", err)
	}
}

func TestListRequestsKeysetOrder(t *testing.T) {
	s := testdb.Open(t)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Two share a deadline so the id tie-break is exercised.
	for i, d := range []int{5, 1, 3, 3, 2} {
		r := newRequest(string(rune('a'+i)), "REF-"+string(rune('A'+i)), base.AddDate(0, 0, d))
		if err := s.CreateRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	f := models.RequestFilter{Limit: 2}
	for {
		page, err := s.ListRequests(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			seen = append(seen, r.ID)
		}
		last := page[len(page)-1]
		f.AfterDeadline, f.AfterID = &last.DeadlineAt, last.ID
	}
	want := "becda"
	if got := join(seen); got != want {
		t.Fatalf("keyset order: got %s want %s", got, want)
	}
	q, err := s.ListRequests(ctx, models.RequestFilter{Query: "ana@EXAMPLE.com ", Limit: 10})
	if err != nil || len(q) != 5 {
		t.Fatalf("search by email: %d rows, %v", len(q), err)
	}
}

func join(ss []string) string {
	out := ""
	for _, s := range ss {
		out += s
	}
	return out
}

func TestLinkTokenConsumedOnce(t *testing.T) {
	s := testdb.Open(t)
	r := newRequest("r1", "R1", time.Now())
	if err := s.CreateRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	tok := &models.LinkToken{ID: "t1", TokenHash: "h", Purpose: models.TokenVerify, RequestID: "r1", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if err := s.CreateLinkToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.ConsumeLinkToken(ctx, "t1", time.Now()) == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("token consumed %d times, want exactly once", wins)
	}
}

func TestEventChainCannotFork(t *testing.T) {
	s := testdb.Open(t)
	if err := s.CreateRequest(ctx, newRequest("r1", "R1", time.Now())); err != nil {
		t.Fatal(err)
	}
	e := &models.Event{RequestID: "r1", Seq: 1, At: time.Now(), Actor: "system", Action: "submit", PrevHash: "", Hash: "x"}
	if err := s.InsertEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	fork := &models.Event{RequestID: "r1", Seq: 1, At: time.Now(), Actor: "system", Action: "verify", Hash: "y"}
	if err := s.InsertEvent(ctx, fork); !errors.Is(err, models.ErrDuplicate) {
		t.Fatalf("second event at seq 1: want ErrDuplicate, got %v", err)
	}
}

func TestSettingOrCreateKeepsFirstValue(t *testing.T) {
	s := testdb.Open(t)
	v1, err := s.SettingOrCreate(ctx, "secret", "first")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := s.SettingOrCreate(ctx, "secret", "second")
	if err != nil || v1 != "first" || v2 != "first" {
		t.Fatalf("got %q, %q, %v", v1, v2, err)
	}
}

func TestOutboxClaimLeaseAndRetry(t *testing.T) {
	s := testdb.Open(t)
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, id := range []string{"m1", "m2"} {
		m := &models.OutboxMessage{ID: id, Template: "verify", ToAddr: "a@example.com", FromAddr: "x@y", Subject: "s", TextBody: "t", HTMLBody: "h", CreatedAt: now, NextAttemptAt: now}
		if err := s.EnqueueEmail(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ClaimOutbox(ctx, now, time.Minute, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("claim: %d, %v", len(got), err)
	}
	if again, _ := s.ClaimOutbox(ctx, now.Add(30*time.Second), time.Minute, 10); len(again) != 0 {
		t.Fatalf("leased messages were claimed again: %d", len(again))
	}
	if err := s.MarkOutboxSent(ctx, "m1", "prov-1", now); err != nil {
		t.Fatal(err)
	}
	// m2's sender "died": after the lease it is claimable again.
	again, err := s.ClaimOutbox(ctx, now.Add(2*time.Minute), time.Minute, 10)
	if err != nil || len(again) != 1 || again[0].ID != "m2" || again[0].Attempts != 2 {
		t.Fatalf("expired lease: %+v %v", again, err)
	}
	sent, _ := s.GetOutboxMessage(ctx, "m1")
	if sent.Status != models.OutboxSent || sent.TextBody != "" || sent.HTMLBody != "" {
		t.Fatalf("sent message should keep no body: %+v", sent)
	}
}

// The default database URL names a file in a directory that does not exist
// yet on a fresh machine: Open creates it.
func TestOpenCreatesTheSQLiteDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s, err := models.Open("sqlite://data/nested/rightsdesk.db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "nested", "rightsdesk.db")); err != nil {
		t.Fatalf("database file not where the URL says: %v", err)
	}
}
