// Package audit keeps each request's events in a hash chain: every event's
// hash covers the previous event's hash and the event's own content, so an
// edit, deletion or reordering of any event breaks every hash after it.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
)

// Genesis is the previous hash of a request's first event.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// content is the hashed form of an event: fixed fields, fixed order.
type content struct {
	Request  string `json:"request"`
	Seq      int    `json:"seq"`
	At       string `json:"at"`
	Actor    string `json:"actor"`
	Action   string `json:"action"`
	From     string `json:"from"`
	To       string `json:"to"`
	Note     string `json:"note_sha256"`
	Internal bool   `json:"internal"`
}

// NoteDigest is the hex SHA-256 of an event note.
func NoteDigest(note string) string {
	sum := sha256.Sum256([]byte(note))
	return hex.EncodeToString(sum[:])
}

// noteDigest is the digest the chain covers: that of the note while it is
// there, the stored one once redaction has cleared it.
func noteDigest(e *models.Event) string {
	if e.Note == "" && e.NoteDigest != "" {
		return e.NoteDigest
	}
	return NoteDigest(e.Note)
}

// Hash computes an event's hash from the previous hash and its content. The
// time is taken in UTC at microsecond precision, as the database keeps it.
// The note enters as its digest (see models.Event.NoteDigest).
func Hash(prev string, e *models.Event) string {
	b, _ := json.Marshal(content{
		Request: e.RequestID, Seq: e.Seq, At: e.At.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano),
		Actor: e.Actor, Action: e.Action, From: e.FromStatus, To: e.ToStatus, Note: noteDigest(e), Internal: e.Internal,
	})
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// Append links e to the end of its request's chain and stores it. Call it
// with the transaction that makes the change the event records.
func Append(ctx context.Context, tx *models.Store, e *models.Event) error {
	tail := models.ChainTail{RequestID: e.RequestID, Hash: Genesis}
	last, err := tx.LastEvent(ctx, e.RequestID)
	switch {
	case err == nil:
		tail.Seq, tail.Hash = last.Seq, last.Hash
	case !errors.Is(err, models.ErrNotFound):
		return err
	}
	link(tail, e)
	return tx.InsertEvent(ctx, e)
}

// link sets e's sequence, time precision, digest and hashes to follow
// tail (a zero Seq with the Genesis hash: e is the first event).
func link(tail models.ChainTail, e *models.Event) models.ChainTail {
	e.Seq = tail.Seq + 1
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.PrevHash = tail.Hash
	e.NoteDigest = NoteDigest(e.Note)
	e.Hash = Hash(tail.Hash, e)
	return models.ChainTail{RequestID: e.RequestID, Seq: e.Seq, Hash: e.Hash}
}

// AppendAll appends events, in order, each to the end of its request's
// chain (several of one request follow each other), as Append does each,
// with one query for the chains' ends and multi-row inserts. Call it with
// the transaction that makes the changes the events record, holding the
// requests' rows (as the sweep does), so that no other event is appended
// to those chains meanwhile; if one is, the insert fails with
// models.ErrDuplicate and nothing forks.
func AppendAll(ctx context.Context, tx *models.Store, events []*models.Event) error {
	if len(events) == 0 {
		return nil
	}
	ids := make([]string, 0, len(events))
	seen := make(map[string]bool, len(events))
	for _, e := range events {
		if !seen[e.RequestID] {
			seen[e.RequestID] = true
			ids = append(ids, e.RequestID)
		}
	}
	tails, err := tx.ChainTails(ctx, ids)
	if err != nil {
		return err
	}
	for _, e := range events {
		tail, ok := tails[e.RequestID]
		if !ok {
			tail = models.ChainTail{RequestID: e.RequestID, Hash: Genesis}
		}
		tails[e.RequestID] = link(tail, e)
	}
	return tx.InsertEvents(ctx, events)
}

// BrokenError names the first event whose chain does not verify.
type BrokenError struct {
	EventID   int64
	RequestID string
	Reason    string
}

func (b *BrokenError) Error() string {
	return fmt.Sprintf("event %d (request %s): %s", b.EventID, b.RequestID, b.Reason)
}

// VerifyChain checks one request's events, oldest first.
func VerifyChain(requestID string, events []models.Event) error {
	prev := Genesis
	for i := range events {
		e := &events[i]
		switch {
		case e.Seq != i+1:
			return &BrokenError{e.ID, requestID, fmt.Sprintf("sequence %d where %d was expected", e.Seq, i+1)}
		case e.PrevHash != prev:
			return &BrokenError{e.ID, requestID, "previous hash does not match"}
		case e.Note != "" && e.NoteDigest != "" && NoteDigest(e.Note) != e.NoteDigest:
			return &BrokenError{e.ID, requestID, "note does not match its digest"}
		case Hash(prev, e) != e.Hash:
			return &BrokenError{e.ID, requestID, "content does not match its hash"}
		}
		prev = e.Hash
	}
	return nil
}

// VerifyAll checks every request's chain and returns the first break, if any.
func VerifyAll(ctx context.Context, s *models.Store) (checked int, err error) {
	err = s.EachEventChain(ctx, func(id string, events []models.Event) error {
		checked += len(events)
		return VerifyChain(id, events)
	})
	return checked, err
}
