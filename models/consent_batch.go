package models

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
)

// Batched consent writes: the group committer and the importer write many
// events in one transaction, and one statement per table and batch costs
// far less than one per event (a round trip each on PostgreSQL, a statement
// compiled each on SQLite). They go to the driver directly, without gorm's
// statement building, in the transaction the Store is bound to.

// batchRows bounds the rows of one multi-row statement (11 columns × 250
// stays far below SQLite's and PostgreSQL's limits on bind parameters).
const batchRows = 250

// placeholders writes rows groups of cols placeholders, numbered from 1 on
// PostgreSQL.
func (s *Store) placeholders(b *strings.Builder, rows, cols int) {
	n := 0
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := 0; c < cols; c++ {
			if c > 0 {
				b.WriteString(", ")
			}
			n++
			if s.dialect == "postgres" {
				b.WriteString("$" + strconv.Itoa(n))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
}

// inList writes n placeholders separated by commas, numbered from 1 on
// PostgreSQL.
func (s *Store) inList(b *strings.Builder, n int) {
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		if s.dialect == "postgres" {
			b.WriteString("$" + strconv.Itoa(i+1))
		} else {
			b.WriteByte('?')
		}
	}
}

// ConsentSubjectsByIdentity returns the subjects whose normalised email is
// one of emails or whose subject_id is one of subjectIDs, in a few
// statements (a batch resolves its subjects at once).
func (s *Store) ConsentSubjectsByIdentity(ctx context.Context, emails, subjectIDs []string) ([]ConsentSubject, error) {
	var out []ConsentSubject
	pool := s.with(ctx).Statement.ConnPool
	for _, set := range []struct {
		column string
		values []string
	}{{"email_norm", emails}, {"subject_id", subjectIDs}} {
		for len(set.values) > 0 {
			part := set.values[:min(len(set.values), 4*batchRows)]
			set.values = set.values[len(part):]
			var q strings.Builder
			q.WriteString("SELECT id, email_norm, subject_id, created_at FROM consent_subjects WHERE " + set.column + " IN (")
			s.inList(&q, len(part))
			q.WriteByte(')')
			args := make([]any, len(part))
			for i, v := range part {
				args[i] = v
			}
			rows, err := pool.QueryContext(ctx, q.String(), args...)
			if err != nil {
				return nil, translate(err)
			}
			for rows.Next() {
				var sub ConsentSubject
				var email, sid *string
				if err := rows.Scan(&sub.ID, &email, &sid, &sub.CreatedAt); err != nil {
					rows.Close()
					return nil, err
				}
				sub.EmailNorm, sub.SubjectID = email, sid
				sub.CreatedAt = sub.CreatedAt.UTC()
				out = append(out, sub)
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return nil, translate(err)
			}
		}
	}
	return out, nil
}

// InsertConsentEvents inserts events in multi-row statements. An event
// whose ExternalID is already recorded (or appears earlier in events) is
// skipped; inserted holds the ids of the events written.
func (s *Store) InsertConsentEvents(ctx context.Context, events []*ConsentEvent) (inserted map[string]bool, err error) {
	inserted = make(map[string]bool, len(events))
	pool := s.with(ctx).Statement.ConnPool
	for len(events) > 0 {
		part := events[:min(len(events), batchRows)]
		events = events[len(part):]
		var q strings.Builder
		q.WriteString(`INSERT INTO consent_events
			(id, subject, purpose, action, source, policy_version, evidence, actor, external_id, at, recorded_at) VALUES `)
		s.placeholders(&q, len(part), 11)
		q.WriteString(" ON CONFLICT DO NOTHING RETURNING id")
		args := make([]any, 0, 11*len(part))
		for _, e := range part {
			e.At, e.RecordedAt = utc(e.At), utc(e.RecordedAt)
			var ext any
			if e.ExternalID != nil {
				ext = *e.ExternalID
			}
			args = append(args, e.ID, e.Subject, e.Purpose, e.Action, e.Source, e.PolicyVersion, e.Evidence, e.Actor, ext, e.At, e.RecordedAt)
		}
		rows, err := pool.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return nil, translate(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			inserted[id] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, translate(err)
		}
	}
	return inserted, nil
}

// ApplyConsentStates is ApplyConsentState for many states in multi-row
// statements: each becomes its subject's state for its purpose unless a
// later event already holds it. Give at most one state per subject and
// purpose. Rows are written in (subject, purpose) order, so that two
// transactions writing overlapping states lock them in the same order and
// cannot deadlock.
func (s *Store) ApplyConsentStates(ctx context.Context, states []ConsentState) error {
	states = slices.Clone(states)
	slices.SortFunc(states, func(a, b ConsentState) int {
		return cmp.Or(cmp.Compare(a.Subject, b.Subject), cmp.Compare(a.Purpose, b.Purpose))
	})
	pool := s.with(ctx).Statement.ConnPool
	for len(states) > 0 {
		part := states[:min(len(states), batchRows)]
		states = states[len(part):]
		var q strings.Builder
		q.WriteString(`INSERT INTO consent_states (subject, purpose, granted, since, source, event_id) VALUES `)
		s.placeholders(&q, len(part), 6)
		q.WriteString(` ON CONFLICT (subject, purpose) DO UPDATE SET granted = excluded.granted, since = excluded.since,
			source = excluded.source, event_id = excluded.event_id
		WHERE consent_states.since <= excluded.since`)
		args := make([]any, 0, 6*len(part))
		for _, st := range part {
			args = append(args, st.Subject, st.Purpose, st.Granted, utc(st.Since), st.Source, st.EventID)
		}
		if _, err := pool.ExecContext(ctx, q.String(), args...); err != nil {
			return translate(err)
		}
	}
	return nil
}
