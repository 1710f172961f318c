package models

import (
	"context"
	"time"
)

// Counts behind the Prometheus gauges (handlers/metrics_db.go). Each is one
// GROUP BY over an index-friendly condition; they read statuses, regimes
// and dates, never personal data.

// StatusRegimeCount is how many requests are in one status and regime.
type StatusRegimeCount struct {
	Status, Regime string
	N              int
}

// CountRequestsByStatusRegime counts every request per status and regime.
// Pairs with no request are absent.
func (s *Store) CountRequestsByStatusRegime(ctx context.Context) ([]StatusRegimeCount, error) {
	var rows []StatusRegimeCount
	err := s.with(ctx).Model(&Request{}).Select("status, regime, COUNT(*) AS n").
		Group("status, regime").Order("status, regime").Scan(&rows).Error
	return rows, translate(err)
}

// OverdueQuery says which requests count as overdue: in one of Statuses
// with the effective deadline (deadline_at: the due date, or the extended
// one) before Now, except those in PausedStatus under a regime of
// PausedRegimes, whose clock stands still. This is the sweep's answer
// clock (escalation.Target's "overdue" for an active, unpaused request).
type OverdueQuery struct {
	Now           time.Time
	Statuses      []string
	PausedStatus  string
	PausedRegimes []string
}

// CountOverdueByRegime counts overdue requests per regime. Regimes with
// none are absent.
func (s *Store) CountOverdueByRegime(ctx context.Context, q OverdueQuery) (map[string]int, error) {
	out := map[string]int{}
	if len(q.Statuses) == 0 {
		return out, nil
	}
	db := s.with(ctx).Model(&Request{}).Where("status IN ? AND deadline_at < ?", q.Statuses, utc(q.Now))
	if len(q.PausedRegimes) > 0 {
		db = db.Where("NOT (status = ? AND regime IN ?)", q.PausedStatus, q.PausedRegimes)
	}
	var rows []struct {
		Regime string
		N      int
	}
	if err := db.Select("regime, COUNT(*) AS n").Group("regime").Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	for _, r := range rows {
		out[r.Regime] = r.N
	}
	return out, nil
}

// OutboxCounts are an outbox's undelivered rows.
type OutboxCounts struct {
	// Backlog: not delivered yet (waiting for an attempt, or being sent).
	Backlog int
	// Retrying: part of Backlog whose last attempt failed.
	Retrying int
	// Failed: given up on for good (only emails are ever given up on).
	Failed int
}

// Outbox names, as the metrics label them.
const (
	OutboxEmail   = "email"
	OutboxWebhook = "webhook"
	OutboxJob     = "job"
)

// outboxTables maps each outbox to its table (all share the claimLeased
// columns: status, last_error).
var outboxTables = map[string]string{
	OutboxEmail: "outbox_messages", OutboxWebhook: "webhook_deliveries", OutboxJob: "task_jobs",
}

// CountOutboxes counts the undelivered rows of every outbox. Delivered
// rows, which pile up forever, are not read: the condition is on status,
// the first column of each table's due index.
func (s *Store) CountOutboxes(ctx context.Context) (map[string]OutboxCounts, error) {
	out := make(map[string]OutboxCounts, len(outboxTables))
	for name, table := range outboxTables {
		var rows []struct {
			Status string
			Failed int
			N      int
		}
		err := s.with(ctx).Table(table).
			Select("status, CASE WHEN last_error = '' THEN 0 ELSE 1 END AS failed, COUNT(*) AS n").
			Where("status IN ?", []string{OutboxPending, OutboxSending, OutboxFailed}).
			Group("status, CASE WHEN last_error = '' THEN 0 ELSE 1 END").Scan(&rows).Error
		if err != nil {
			return nil, translate(err)
		}
		var c OutboxCounts
		for _, r := range rows {
			if r.Status == OutboxFailed {
				c.Failed += r.N
				continue
			}
			c.Backlog += r.N
			if r.Failed == 1 {
				c.Retrying += r.N
			}
		}
		out[name] = c
	}
	return out, nil
}
