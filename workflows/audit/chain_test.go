package audit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/audit"
)

var ctx = context.Background()

// chain stores a request with three events and returns the store and id.
func chain(t *testing.T) (*models.Store, string) {
	t.Helper()
	s := testdb.Open(t)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	r := &models.Request{ID: "req-1", Reference: "DSR-AAAA-BBBB", Type: "access", Status: "open", Regime: "gdpr",
		Relationship: "self", Source: "api", Email: "ana@example.com", EmailNorm: "ana@example.com",
		ReceivedAt: at, DueAt: at.AddDate(0, 1, 0), DeadlineAt: at.AddDate(0, 1, 0), CreatedAt: at, UpdatedAt: at}
	if err := s.CreateRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	for i, note := range []string{"", "asked Ana Smith for her account number", "found 3 rows"} {
		e := &models.Event{RequestID: r.ID, At: at.Add(time.Duration(i) * time.Hour), Actor: "staff:agent@example.org",
			Action: "note", FromStatus: "open", ToStatus: "open", Note: note, Internal: true}
		if err := audit.Append(ctx, s, e); err != nil {
			t.Fatal(err)
		}
	}
	return s, r.ID
}

func exec(t *testing.T, s *models.Store, q string, args ...any) {
	t.Helper()
	db, _ := s.SQL()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}

func verify(t *testing.T, s *models.Store) error {
	t.Helper()
	_, err := audit.VerifyAll(ctx, s)
	return err
}

// broken checks that err names the event stored at seq.
func broken(t *testing.T, err error, seq int, s *models.Store, id string) {
	t.Helper()
	var b *audit.BrokenError
	if !errors.As(err, &b) {
		t.Fatalf("want a BrokenError, got %v", err)
	}
	evs, _ := s.Events(ctx, id)
	for _, e := range evs {
		if e.Seq == seq {
			if b.EventID != e.ID {
				t.Fatalf("broken at event %d, want the event at seq %d (id %d): %v", b.EventID, seq, e.ID, err)
			}
			return
		}
	}
	t.Fatalf("no event at seq %d", seq)
}

func TestIntactChainVerifies(t *testing.T) {
	s, _ := chain(t)
	n, err := audit.VerifyAll(ctx, s)
	if err != nil || n != 3 {
		t.Fatalf("checked %d events: %v", n, err)
	}
}

func TestRewrittenNoteBreaksTheChain(t *testing.T) {
	s, id := chain(t)
	exec(t, s, "UPDATE request_events SET note = 'nothing found' WHERE request_id = $1 AND seq = 3", id)
	broken(t, verify(t, s), 3, s, id)
}

// Redaction clears notes but keeps their digests: the chain still verifies,
// and what the note said is gone.
func TestRedactedNotesStillVerify(t *testing.T) {
	s, id := chain(t)
	exec(t, s, "UPDATE request_events SET note = '' WHERE request_id = $1", id)
	if err := verify(t, s); err != nil {
		t.Fatalf("a redacted chain must verify: %v", err)
	}
	evs, _ := s.Events(ctx, id)
	for _, e := range evs {
		if e.Note != "" || e.NoteDigest == "" {
			t.Fatalf("event %d: note %q digest %q", e.Seq, e.Note, e.NoteDigest)
		}
	}
}

// A forged digest (to pretend a different note was redacted) is caught.
func TestForgedDigestBreaksTheChain(t *testing.T) {
	s, id := chain(t)
	exec(t, s, "UPDATE request_events SET note = '', note_digest = $1 WHERE request_id = $2 AND seq = 2", audit.NoteDigest("other"), id)
	broken(t, verify(t, s), 2, s, id)
}

func TestChangedActionOrTimeBreaksTheChain(t *testing.T) {
	s, id := chain(t)
	exec(t, s, "UPDATE request_events SET action = 'complete' WHERE request_id = $1 AND seq = 2", id)
	broken(t, verify(t, s), 2, s, id)

	s, id = chain(t)
	exec(t, s, "DELETE FROM request_events WHERE request_id = $1 AND seq = 2", id)
	broken(t, verify(t, s), 3, s, id)
}
