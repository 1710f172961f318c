package models

import (
	"context"
	"time"
)

// Event is one entry of a request's history. Events are only ever inserted:
// each carries the hash of the one before it (see workflows/audit).
type Event struct {
	ID         int64 `gorm:"primaryKey;autoIncrement"`
	RequestID  string
	Seq        int
	At         time.Time
	Actor      string
	Action     string
	FromStatus string
	ToStatus   string
	Note       string
	// NoteDigest is the SHA-256 of Note, which the hash chain covers instead
	// of the note itself: redaction may clear a note that holds personal
	// data, and the chain still verifies.
	NoteDigest string
	Internal   bool // staff-only: never shown on the requester's pages
	PrevHash   string
	Hash       string
}

// TableName keeps the table name explicit.
func (Event) TableName() string { return "request_events" }

// LastEvent returns the newest event of a request, or ErrNotFound.
func (s *Store) LastEvent(ctx context.Context, requestID string) (*Event, error) {
	var e Event
	err := s.with(ctx).Where("request_id = ?", requestID).Order("seq DESC").Limit(1).Take(&e).Error
	if err != nil {
		return nil, translate(err)
	}
	return &e, nil
}

// InsertEvent appends an event. A second event at the same seq of the same
// request fails with ErrDuplicate, so a chain cannot fork.
func (s *Store) InsertEvent(ctx context.Context, e *Event) error {
	e.At = utc(e.At)
	return translate(s.with(ctx).Create(e).Error)
}

// Events returns a request's events, oldest first.
func (s *Store) Events(ctx context.Context, requestID string) ([]Event, error) {
	var out []Event
	err := s.with(ctx).Where("request_id = ?", requestID).Order("seq ASC").Find(&out).Error
	return out, translate(err)
}

// EachEventChain calls fn with every request's events in chain order, one
// request at a time, so that a verifier never holds the whole table.
func (s *Store) EachEventChain(ctx context.Context, fn func(requestID string, events []Event) error) error {
	var ids []string
	if err := s.with(ctx).Model(&Request{}).Order("id").Pluck("id", &ids).Error; err != nil {
		return translate(err)
	}
	for _, id := range ids {
		evs, err := s.Events(ctx, id)
		if err != nil {
			return err
		}
		if err := fn(id, evs); err != nil {
			return err
		}
	}
	return nil
}

// ChainTail is the newest event of a request's chain: where the next one
// links.
type ChainTail struct {
	RequestID string
	Seq       int
	Hash      string
}

// ChainTails returns the newest event of each request of ids that has any,
// by request id, in one query (a request without events is absent).
func (s *Store) ChainTails(ctx context.Context, ids []string) (map[string]ChainTail, error) {
	out := make(map[string]ChainTail, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []ChainTail
	err := s.with(ctx).Raw(`SELECT e.request_id, e.seq, e.hash FROM request_events e
		WHERE e.request_id IN ? AND e.seq = (SELECT max(m.seq) FROM request_events m WHERE m.request_id = e.request_id)`, ids).
		Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	for _, t := range rows {
		out[t.RequestID] = t
	}
	return out, nil
}

var eventCols = []string{"request_id", "seq", "at", "actor", "action", "from_status", "to_status", "note", "note_digest",
	"internal", "prev_hash", "hash"}

// InsertEvents appends events with multi-row statements, as InsertEvent
// does each (their ids are not read back). A second event at the same seq
// of a request fails with ErrDuplicate, so a chain cannot fork.
func (s *Store) InsertEvents(ctx context.Context, events []*Event) error {
	rows := make([][]any, len(events))
	for i, e := range events {
		e.At = utc(e.At)
		rows[i] = []any{e.RequestID, e.Seq, e.At, e.Actor, e.Action, e.FromStatus, e.ToStatus, e.Note, e.NoteDigest,
			e.Internal, e.PrevHash, e.Hash}
	}
	return s.insertRows(ctx, "request_events", eventCols, rows)
}
