package models

import (
	"context"
	"time"

	"github.com/rightsdesk/rightsdesk/migrations"
	"gorm.io/gorm/clause"
)

// The sweeper's candidate queries return ids only, a page at a time, each
// as a range scan of an index that holds little more than the candidates
// (see migrations 00005_sweep_indexes), so that a sweep with nothing to do
// reads a few index pages rather than the table. Each candidate is then
// locked, re-read and decided on in the caller's transaction, so a query
// may return a request that no longer needs anything.

// SweepCursor is where the previous page of a candidate query ended: the
// indexed time and id of its last row. The zero cursor starts at the top.
type SweepCursor struct {
	At time.Time
	ID string
}

// SweepCandidate is one candidate id and its cursor.
type SweepCandidate struct {
	ID string
	At time.Time
}

// afterCursor is the keyset condition "(col, id) > (at, id)".
func afterCursor(col string, c SweepCursor) (string, []any) {
	if c.ID == "" {
		return "1 = 1", nil
	}
	at := utc(c.At)
	return "(" + col + " > ? OR (" + col + " = ? AND id > ?))", []any{at, at, c.ID}
}

// UnverifiedBefore lists requests still awaiting verification that were
// submitted before cutoff, oldest first, along the index (status,
// created_at).
func (s *Store) UnverifiedBefore(ctx context.Context, status string, cutoff time.Time, after SweepCursor, limit int) ([]SweepCandidate, error) {
	cond, args := afterCursor("created_at", after)
	var out []SweepCandidate
	err := s.with(ctx).Model(&Request{}).Select("id, created_at AS at").
		Where("status = ? AND created_at < ?", status, utc(cutoff)).Where(cond, args...).
		Order("created_at, id").Limit(limit).Scan(&out).Error
	return out, translate(err)
}

// EscalationWindow bounds the escalation candidates: a request whose level
// is below what its deadline or acknowledgement clock could demand at Now.
type EscalationWindow struct {
	Now      time.Time
	WarnFrom time.Time // Now + the warning window: a deadline before it is "due soon"
	GraceTo  time.Time // Now - the grace period: a deadline before it is past grace
}

// The statuses the escalation indexes hold, written as literals because a
// partial index serves a query only when the query repeats its condition:
// the deadline clock runs for active requests, the acknowledgement clock
// for unverified ones too. They must match 00005_sweep_indexes.
const (
	sweepActive    = "status IN ('open', 'in_progress', 'awaiting_requester')"
	sweepAckStatus = "status IN ('pending_verification', 'open', 'in_progress', 'awaiting_requester')"
)

// EscalationCandidates lists, in id order after afterID, active requests
// whose deadline could demand a higher level than theirs, and active or
// unverified ones whose acknowledgement is overdue below level 2. Each half
// is a range scan of its partial index (requests_sweep_deadline,
// requests_sweep_ack).
func (s *Store) EscalationCandidates(ctx context.Context, w EscalationWindow, afterID string, limit int) ([]string, error) {
	now := utc(w.Now)
	// SQLite's planner, whose statistics may predate these indexes (or
	// come from a table that held few active requests), is told which to
	// use; PostgreSQL's picks them (see TestSweepQueriesUseTheirIndexes).
	deadlineIdx, ackIdx := "", ""
	if s.dialect == migrations.SQLite {
		deadlineIdx, ackIdx = " INDEXED BY requests_sweep_deadline", " INDEXED BY requests_sweep_ack"
	}
	var ids []string
	// One range of requests_sweep_deadline per level: level 0 due within
	// the warning window, level 1 overdue, level 2 past grace (levels are
	// never negative, so "below 1" is 0, and each lower level's range
	// already holds the deadlines a higher one would catch).
	err := s.with(ctx).Raw(`SELECT id FROM requests`+deadlineIdx+`
		WHERE `+sweepActive+` AND escalation_level = 0 AND deadline_at <= ? AND id > ?
		UNION
		SELECT id FROM requests`+deadlineIdx+`
		WHERE `+sweepActive+` AND escalation_level = 1 AND deadline_at < ? AND id > ?
		UNION
		SELECT id FROM requests`+deadlineIdx+`
		WHERE `+sweepActive+` AND escalation_level = 2 AND deadline_at < ? AND id > ?
		UNION
		SELECT id FROM requests`+ackIdx+`
		WHERE `+sweepAckStatus+` AND acknowledged_at IS NULL AND ack_due_at < ? AND escalation_level < 2 AND id > ?
		ORDER BY id LIMIT ?`,
		utc(w.WarnFrom), afterID, now, afterID, utc(w.GraceTo), afterID, now, afterID, limit).Scan(&ids).Error
	return ids, translate(err)
}

// ClosedBefore lists closed requests whose personal data is still kept and
// that were closed before cutoff, oldest first, along the partial index
// requests_sweep_retention (redacted rows are not in it).
func (s *Store) ClosedBefore(ctx context.Context, cutoff time.Time, after SweepCursor, limit int) ([]SweepCandidate, error) {
	cond, args := afterCursor("closed_at", after)
	var out []SweepCandidate
	err := s.with(ctx).Model(&Request{}).Select("id, closed_at AS at").
		Where("closed_at IS NOT NULL AND redacted_at IS NULL AND closed_at < ?", utc(cutoff)).Where(cond, args...).
		Order("closed_at, id").Limit(limit).Scan(&out).Error
	return out, translate(err)
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

// LockRequests reads the requests of ids for a change in the caller's
// transaction, in id order, as LockRequest does one: on PostgreSQL a row
// another transaction holds is skipped (left out of the result), so two
// sweepers deciding overlapping pages each decide the rows they got.
func (s *Store) LockRequests(ctx context.Context, ids []string) ([]Request, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	q := s.with(ctx).Where("id IN ?", ids).Order("id")
	if s.dialect == migrations.Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
	}
	var out []Request
	err := q.Find(&out).Error
	return out, translate(err)
}

// ActiveStaffByRole lists the enabled staff users with a role, by email.
func (s *Store) ActiveStaffByRole(ctx context.Context, role string) ([]StaffUser, error) {
	var out []StaffUser
	err := s.with(ctx).Where("role = ? AND disabled_at IS NULL", role).Order("email").Find(&out).Error
	return out, translate(err)
}
