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
