package models

import (
	"context"
	"time"

	"github.com/rightsdesk/rightsdesk/migrations"
	"gorm.io/gorm/clause"
)

// The sweeper's candidate queries return ids only, a page at a time in id
// order (afterID is the last id of the previous page). Each candidate is
// then locked, re-read and decided on in a transaction of its own, so a
// query may return a request that no longer needs anything.

// UnverifiedBefore lists requests still awaiting verification that were
// submitted before cutoff.
func (s *Store) UnverifiedBefore(ctx context.Context, status string, cutoff time.Time, afterID string, limit int) ([]string, error) {
	var ids []string
	err := s.with(ctx).Model(&Request{}).
		Where("status = ? AND created_at < ? AND id > ?", status, utc(cutoff), afterID).
		Order("id").Limit(limit).Pluck("id", &ids).Error
	return ids, translate(err)
}

// EscalationWindow bounds the escalation candidates: a request in one of
// Statuses whose level is below what its deadline or acknowledgement clock
// could demand at Now.
type EscalationWindow struct {
	Statuses []string
	Now      time.Time
	WarnFrom time.Time // Now + the warning window: a deadline before it is "due soon"
	GraceTo  time.Time // Now - the grace period: a deadline before it is past grace
}

// EscalationCandidates lists requests that may need a higher level.
func (s *Store) EscalationCandidates(ctx context.Context, w EscalationWindow, afterID string, limit int) ([]string, error) {
	var ids []string
	now := utc(w.Now)
	err := s.with(ctx).Model(&Request{}).
		Where("status IN ? AND id > ?", w.Statuses, afterID).
		Where("(escalation_level < 1 AND deadline_at <= ?) OR "+
			"(escalation_level < 2 AND (deadline_at < ? OR (ack_due_at < ? AND acknowledged_at IS NULL))) OR "+
			"(escalation_level < 3 AND deadline_at < ?)",
			utc(w.WarnFrom), now, now, utc(w.GraceTo)).
		Order("id").Limit(limit).Pluck("id", &ids).Error
	return ids, translate(err)
}

// ClosedBefore lists closed requests whose personal data is still kept and
// that were closed before cutoff.
func (s *Store) ClosedBefore(ctx context.Context, cutoff time.Time, afterID string, limit int) ([]string, error) {
	var ids []string
	err := s.with(ctx).Model(&Request{}).
		Where("closed_at IS NOT NULL AND closed_at < ? AND redacted_at IS NULL AND id > ?", utc(cutoff), afterID).
		Order("id").Limit(limit).Pluck("id", &ids).Error
	return ids, translate(err)
}

// LockRequest reads a request for a change in the caller's transaction. On
// PostgreSQL the row is locked FOR UPDATE SKIP LOCKED: when another
// instance's sweeper holds it, LockRequest returns ErrNotFound at once and
// that instance finishes the work. SQLite transactions are already
// serialised (BEGIN IMMEDIATE), so a plain read suffices.
func (s *Store) LockRequest(ctx context.Context, id string) (*Request, error) {
	q := s.with(ctx).Where("id = ?", id)
	if s.dialect == migrations.Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
	}
	var r Request
	if err := q.Take(&r).Error; err != nil {
		return nil, translate(err)
	}
	return &r, nil
}

// ActiveStaffByRole lists the enabled staff users with a role, by email.
func (s *Store) ActiveStaffByRole(ctx context.Context, role string) ([]StaffUser, error) {
	var out []StaffUser
	err := s.with(ctx).Where("role = ? AND disabled_at IS NULL", role).Order("email").Find(&out).Error
	return out, translate(err)
}
