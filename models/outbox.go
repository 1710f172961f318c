package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Outbox message states.
const (
	OutboxPending = "pending" // waiting for its next attempt
	OutboxSending = "sending" // claimed by a sender until LockedUntil
	OutboxSent    = "sent"    // the provider accepted it
	OutboxFailed  = "failed"  // permanently refused, or retried past the window
	OutboxDev     = "dev"     // no provider configured: kept for the console
)

// OutboxMessage is an email written in the same transaction as the change
// that causes it, and delivered later by the sender. Its ID is the
// idempotency key sent to the provider.
type OutboxMessage struct {
	ID            string
	Template      string
	RequestID     *string
	ToAddr        string
	FromAddr      string
	Subject       string
	TextBody      string
	HTMLBody      string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LockedUntil   *time.Time
	LastError     string
	ProviderID    string
	CreatedAt     time.Time
	SentAt        *time.Time
}

// EnqueueEmail stores a message for delivery.
func (s *Store) EnqueueEmail(ctx context.Context, m *OutboxMessage) error {
	m.CreatedAt = utc(m.CreatedAt)
	m.NextAttemptAt = utc(m.NextAttemptAt)
	if m.Status == "" {
		m.Status = OutboxPending
	}
	// A plain INSERT rather than gorm's Create: every intake writes one, and
	// the reflection and statement building cost more than the insert.
	_, err := s.with(ctx).Statement.ConnPool.ExecContext(ctx, s.rebind(`INSERT INTO outbox_messages
		(id, template, request_id, to_addr, from_addr, subject, text_body, html_body, status, attempts,
		 next_attempt_at, locked_until, last_error, provider_id, created_at, sent_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		m.ID, m.Template, m.RequestID, m.ToAddr, m.FromAddr, m.Subject, m.TextBody, m.HTMLBody, m.Status, m.Attempts,
		m.NextAttemptAt, utcPtr(m.LockedUntil), m.LastError, m.ProviderID, m.CreatedAt, utcPtr(m.SentAt))
	return translateInsert(err)
}

// ClaimOutbox leases up to limit messages that are due: pending ones whose
// next attempt has come, and sending ones whose lease ran out (their sender
// died). Each claim counts as an attempt. On PostgreSQL, SKIP LOCKED lets
// several senders claim disjoint batches; SQLite serialises writers anyway.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]OutboxMessage, error) {
	return claimLeased(s, ctx, "outbox_messages", now, lease, limit,
		func(m *OutboxMessage) (time.Time, string) { return m.NextAttemptAt, m.ID })
}

// claimLeased is the claim every outbox (emails, webhook deliveries, task
// jobs) uses: rows of table with status sending and an expired
// locked_until (their sender died), then rows with status pending and a due
// next_attempt_at, are set to sending with a new lease and one more
// attempt, oldest first within each kind. table is a constant of this
// package.
//
// The two kinds are claimed by two statements, not one with an OR: each
// walks the (status, next_attempt_at) index in order and stops at limit,
// whereas the OR made SQLite sort every due row on every claim, so that a
// backlog of n messages cost O(n) per batch and drained in O(n²).
func claimLeased[T any](s *Store, ctx context.Context, table string, now time.Time, lease time.Duration, limit int,
	order func(*T) (time.Time, string)) ([]T, error) {
	now = utc(now)
	lock := ""
	if s.dialect == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	claim := func(where string, arg time.Time, n int) ([]T, error) {
		var out []T
		err := s.with(ctx).Raw(`UPDATE `+table+` SET status = ?, locked_until = ?, attempts = attempts + 1
			WHERE id IN (SELECT id FROM `+table+` WHERE `+where+`
				ORDER BY next_attempt_at, id LIMIT ?`+lock+`)
			RETURNING *`,
			"sending", now.Add(lease), arg, n).Scan(&out).Error
		return out, translate(err)
	}
	out, err := claim(`status = 'sending' AND locked_until < ?`, now, limit)
	if err != nil {
		return nil, err
	}
	if len(out) < limit {
		due, err := claim(`status = 'pending' AND next_attempt_at <= ?`, now, limit-len(out))
		if err != nil {
			// The expired leases claimed above are leased anew: they
			// are claimed again when this lease runs out.
			return nil, err
		}
		out = append(out, due...)
	}
	// RETURNING does not keep the subquery's order: send oldest first.
	slices.SortFunc(out, func(a, b T) int {
		at, aid := order(&a)
		bt, bid := order(&b)
		if c := at.Compare(bt); c != 0 {
			return c
		}
		return strings.Compare(aid, bid)
	})
	return out, nil
}

// MarkOutboxSent records delivery. The bodies are blanked: they hold link
// tokens, which must not outlive their sending.
func (s *Store) MarkOutboxSent(ctx context.Context, id, providerID string, at time.Time) error {
	return translate(s.with(ctx).Model(&OutboxMessage{}).Where("id = ? AND status = ?", id, OutboxSending).
		Updates(map[string]any{"status": OutboxSent, "provider_id": providerID, "sent_at": utc(at),
			"locked_until": nil, "text_body": "", "html_body": "", "last_error": ""}).Error)
}

// MarkOutboxDev files a message in the dev outbox (no provider configured).
func (s *Store) MarkOutboxDev(ctx context.Context, id string, at time.Time) error {
	return translate(s.with(ctx).Model(&OutboxMessage{}).Where("id = ? AND status = ?", id, OutboxSending).
		Updates(map[string]any{"status": OutboxDev, "sent_at": utc(at), "locked_until": nil}).Error)
}

// MarkOutboxRetry releases a message for another attempt at next.
func (s *Store) MarkOutboxRetry(ctx context.Context, id string, next time.Time, reason string) error {
	return translate(s.with(ctx).Model(&OutboxMessage{}).Where("id = ? AND status = ?", id, OutboxSending).
		Updates(map[string]any{"status": OutboxPending, "next_attempt_at": utc(next), "locked_until": nil, "last_error": reason}).Error)
}

// MarkOutboxFailed gives up on a message, keeping the reason for the console.
func (s *Store) MarkOutboxFailed(ctx context.Context, id, reason string) error {
	return translate(s.with(ctx).Model(&OutboxMessage{}).Where("id = ? AND status = ?", id, OutboxSending).
		Updates(map[string]any{"status": OutboxFailed, "locked_until": nil, "last_error": reason}).Error)
}

// OutboxOutcome is what became of one claimed message: Status is
// OutboxSent (with ProviderID), OutboxDev, OutboxPending (a retry at Next)
// or OutboxFailed, each with the Reason of a retry or failure.
type OutboxOutcome struct {
	ID         string
	Status     string
	ProviderID string
	At         time.Time
	Next       time.Time
	Reason     string
}

// RecordOutboxOutcomes writes the outcomes of a batch in one transaction,
// as the Mark functions do one by one: a sender that delivered a batch
// concurrently pays one commit for it instead of one per message (on
// SQLite, one turn of the single writer lock instead of many). Each
// applies only to a message still sending.
func (s *Store) RecordOutboxOutcomes(ctx context.Context, outs []OutboxOutcome) error {
	if len(outs) == 0 {
		return nil
	}
	return s.InTx(ctx, func(tx *Store) error {
		var sent []OutboxOutcome
		for _, o := range outs {
			if o.Status == OutboxSent {
				sent = append(sent, o)
			}
		}
		for len(sent) > 0 {
			part := sent[:min(len(sent), 200)]
			sent = sent[len(part):]
			if err := tx.markOutboxSentMany(ctx, part); err != nil {
				return err
			}
		}
		for _, o := range outs {
			var err error
			switch o.Status {
			case OutboxSent:
				continue // marked above, in batches
			case OutboxDev:
				err = tx.MarkOutboxDev(ctx, o.ID, o.At)
			case OutboxPending:
				err = tx.MarkOutboxRetry(ctx, o.ID, o.Next, o.Reason)
			case OutboxFailed:
				err = tx.MarkOutboxFailed(ctx, o.ID, o.Reason)
			default:
				err = fmt.Errorf("outbox: unknown outcome %q", o.Status)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// markOutboxSentMany is MarkOutboxSent for many messages in one statement
// (UPDATE … FROM VALUES): one round trip for a batch on PostgreSQL.
func (s *Store) markOutboxSentMany(ctx context.Context, outs []OutboxOutcome) error {
	row := "(?, ?, ?)"
	if s.dialect == "postgres" {
		row = "(?::text, ?::text, ?::timestamptz)"
	}
	var q strings.Builder
	q.WriteString(`WITH v (id, provider_id, sent_at) AS (VALUES `)
	var args []any
	for i, o := range outs {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(row)
		args = append(args, o.ID, o.ProviderID, utc(o.At))
	}
	q.WriteString(`) UPDATE outbox_messages SET status = ?, provider_id = v.provider_id, sent_at = v.sent_at,
		locked_until = NULL, text_body = '', html_body = '', last_error = ''
		FROM v WHERE outbox_messages.id = v.id AND outbox_messages.status = ?`)
	args = append(args, OutboxSent, OutboxSending)
	_, err := s.with(ctx).Statement.ConnPool.ExecContext(ctx, s.rebind(q.String()), args...)
	return translate(err)
}

// OutboxFilter selects messages for the console and tests.
type OutboxFilter struct {
	Status    string
	RequestID string
	Limit     int
}

// ListOutbox lists messages, newest first.
func (s *Store) ListOutbox(ctx context.Context, f OutboxFilter) ([]OutboxMessage, error) {
	q := s.with(ctx).Model(&OutboxMessage{})
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.RequestID != "" {
		q = q.Where("request_id = ?", f.RequestID)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var out []OutboxMessage
	err := q.Order("created_at DESC, id DESC").Limit(f.Limit).Find(&out).Error
	return out, translate(err)
}

// GetOutboxMessage loads one message.
func (s *Store) GetOutboxMessage(ctx context.Context, id string) (*OutboxMessage, error) {
	var m OutboxMessage
	if err := s.with(ctx).Where("id = ?", id).Take(&m).Error; err != nil {
		return nil, translate(err)
	}
	return &m, nil
}
