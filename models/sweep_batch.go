package models

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/migrations"
	"gorm.io/gorm"
)

// The sweep decides a page of requests in one transaction and writes what
// it decided with a few multi-row statements instead of a few per request.

// sweepBatchRows is how many rows one multi-row INSERT carries: well under
// SQLite's and PostgreSQL's limits on bound parameters.
const sweepBatchRows = 400

// insertRows inserts rows (each len(cols) values) into table with
// multi-row INSERT statements. table and cols are constants of this
// package.
func (s *Store) insertRows(ctx context.Context, table string, cols []string, rows [][]any) error {
	pool := s.with(ctx).Statement.ConnPool
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), sweepBatchRows)]
		rows = rows[len(chunk):]
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, len(chunk)*len(cols))
		for i, row := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j, v := range row {
				if j > 0 {
					b.WriteString(", ")
				}
				args = append(args, v)
				if s.dialect == migrations.Postgres {
					b.WriteString("$" + strconv.Itoa(len(args)))
				} else {
					b.WriteByte('?')
				}
			}
			b.WriteByte(')')
		}
		if _, err := pool.ExecContext(ctx, b.String(), args...); err != nil {
			if t, ok := s.db.Dialector.(gorm.ErrorTranslator); ok {
				err = t.Translate(err)
			}
			return translate(err)
		}
	}
	return nil
}

var outboxCols = []string{"id", "template", "request_id", "to_addr", "from_addr", "subject", "text_body", "html_body", "status",
	"attempts", "next_attempt_at", "locked_until", "last_error", "provider_id", "created_at", "sent_at"}

// EnqueueEmails stores messages for delivery, as EnqueueEmail does each.
func (s *Store) EnqueueEmails(ctx context.Context, msgs []OutboxMessage) error {
	rows := make([][]any, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		m.CreatedAt, m.NextAttemptAt = utc(m.CreatedAt), utc(m.NextAttemptAt)
		if m.Status == "" {
			m.Status = OutboxPending
		}
		rows[i] = []any{m.ID, m.Template, m.RequestID, m.ToAddr, m.FromAddr, m.Subject, m.TextBody, m.HTMLBody, m.Status,
			m.Attempts, m.NextAttemptAt, utcPtr(m.LockedUntil), m.LastError, m.ProviderID, m.CreatedAt, utcPtr(m.SentAt)}
	}
	return s.insertRows(ctx, "outbox_messages", outboxCols, rows)
}

var linkTokenCols = []string{"id", "token_hash", "purpose", "request_id", "created_at", "expires_at", "used_at"}

// CreateLinkTokens stores token hashes, as CreateLinkToken does each.
func (s *Store) CreateLinkTokens(ctx context.Context, toks []LinkToken) error {
	rows := make([][]any, len(toks))
	for i := range toks {
		t := &toks[i]
		t.CreatedAt, t.ExpiresAt = utc(t.CreatedAt), utc(t.ExpiresAt)
		rows[i] = []any{t.ID, t.TokenHash, t.Purpose, t.RequestID, t.CreatedAt, t.ExpiresAt, utcPtr(t.UsedAt)}
	}
	return s.insertRows(ctx, "link_tokens", linkTokenCols, rows)
}

// RaiseEscalation sets the escalation level of the requests of ids, read
// at the versions given (id → version) in the caller's transaction, and
// bumps their versions and update times. It fails with ErrConflict, having
// changed nothing the caller's transaction keeps, when any of them is no
// longer at its version.
func (s *Store) RaiseEscalation(ctx context.Context, level int, at time.Time, versions map[string]int) error {
	if len(versions) == 0 {
		return nil
	}
	// One statement per page: the version check is the join with the
	// (id, version) pairs read under the caller's lock.
	var b strings.Builder
	args := []any{level, utc(at)}
	ids := make([]string, 0, len(versions))
	for id := range versions {
		ids = append(ids, id)
	}
	args = append(args, ids)
	b.WriteString("UPDATE requests SET escalation_level = ?, updated_at = ?, version = version + 1 WHERE id IN ? AND (")
	for i, id := range ids {
		v := versions[id]
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(id = ? AND version = ?)")
		args = append(args, id, v)
	}
	b.WriteString(")")
	res := s.with(ctx).Exec(b.String(), args...)
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected != int64(len(versions)) {
		return ErrConflict
	}
	return nil
}
