// Package benchseed fills a database with realistic volumes for benchmarks:
// consent subjects, their append-only events and the derived current
// states, written with multi-row INSERTs in large transactions (the
// workflow's one-event-per-transaction path would take hours for a million).
package benchseed

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/rightsdesk/rightsdesk/models"
)

// Consents describes the consent records to seed.
type Consents struct {
	Subjects int      // subjects, named user<i>@bench.example and u<i>
	Events   int      // events in all, spread evenly over the subjects
	Purposes []string // purpose keys to spread the events over
	// Progress, when set, is called now and then with events written.
	Progress func(done, total int)
}

// Email is the email of seeded subject i.
func Email(i int) string { return "user" + strconv.Itoa(i) + "@bench.example" }

// SubjectID is the host subject_id of seeded subject i.
func SubjectID(i int) string { return "u" + strconv.Itoa(i) }

const batchRows = 500

// SeedConsents writes c into store (which must be empty of these subjects).
func SeedConsents(ctx context.Context, store *models.Store, c Consents) error {
	db, err := store.SQL()
	if err != nil {
		return err
	}
	pg := store.Dialect() == "postgres"
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC)
	span := 2 * 365 * 24 * time.Hour
	per := max(1, c.Events/max(1, c.Subjects))

	subjects := newBatch(db, pg, "consent_subjects", "id, email_norm, subject_id, created_at")
	events := newBatch(db, pg, "consent_events", "id, subject, purpose, action, source, policy_version, evidence, actor, external_id, at, recorded_at")
	states := newBatch(db, pg, "consent_states", "subject, purpose, granted, since, source, event_id")
	events.after = []*batch{subjects}
	states.after = []*batch{subjects, events}
	written := 0
	for i := 0; i < c.Subjects; i++ {
		sid := uuid.Must(uuid.NewV7()).String()
		created := start.Add(time.Duration(rng.Int64N(int64(span / 2))))
		if err := subjects.add(ctx, sid, Email(i), SubjectID(i), created); err != nil {
			return err
		}
		type latest struct {
			id      string
			granted bool
			at      time.Time
		}
		last := map[string]latest{}
		at := created
		for j := 0; j < per && written < c.Events; j++ {
			at = at.Add(time.Duration(rng.Int64N(int64(span/time.Duration(per*2)))) + time.Second)
			purpose := c.Purposes[rng.IntN(len(c.Purposes))]
			action := "grant"
			if rng.IntN(3) == 0 {
				action = "withdraw"
			}
			eid := uuid.Must(uuid.NewV7()).String()
			if err := events.add(ctx, eid, sid, purpose, action, "api", "2024-11", "seeded", "system:bench", nil, at, at); err != nil {
				return err
			}
			last[purpose] = latest{eid, action == "grant", at}
			written++
			if c.Progress != nil && written%50_000 == 0 {
				c.Progress(written, c.Events)
			}
		}
		for p, l := range last {
			if err := states.add(ctx, sid, p, l.granted, l.at, "api", l.id); err != nil {
				return err
			}
		}
	}
	for _, b := range []*batch{subjects, events, states} {
		if err := b.flush(ctx); err != nil {
			return err
		}
	}
	if c.Progress != nil {
		c.Progress(written, c.Events)
	}
	if pg {
		_, err = db.ExecContext(ctx, "ANALYZE consent_subjects; ANALYZE consent_events; ANALYZE consent_states")
	} else {
		_, err = db.ExecContext(ctx, "ANALYZE")
	}
	return err
}

// batch accumulates rows of one table and writes them in one multi-row
// INSERT per batchRows rows.
type batch struct {
	db      *sql.DB
	pg      bool
	table   string
	columns string
	ncol    int
	args    []any
	rows    int
	// after are batches whose rows this one's rows reference: flushed first.
	after []*batch
}

func newBatch(db *sql.DB, pg bool, table, columns string) *batch {
	return &batch{db: db, pg: pg, table: table, columns: columns, ncol: strings.Count(columns, ",") + 1}
}

func (b *batch) add(ctx context.Context, values ...any) error {
	for i, v := range values {
		switch t := v.(type) {
		case time.Time:
			values[i] = t.UTC()
		case *time.Time:
			// A nil pointer is NULL; drivers differ on pointers otherwise.
			if t == nil {
				values[i] = nil
			} else {
				values[i] = t.UTC()
			}
		}
	}
	b.args = append(b.args, values...)
	b.rows++
	if b.rows == batchRows {
		return b.flush(ctx)
	}
	return nil
}

func (b *batch) flush(ctx context.Context) error {
	if b.rows == 0 {
		return nil
	}
	for _, a := range b.after {
		if err := a.flush(ctx); err != nil {
			return err
		}
	}
	var q strings.Builder
	fmt.Fprintf(&q, "INSERT INTO %s (%s) VALUES ", b.table, b.columns)
	n := 0
	for r := 0; r < b.rows; r++ {
		if r > 0 {
			q.WriteString(", ")
		}
		q.WriteByte('(')
		for c := 0; c < b.ncol; c++ {
			if c > 0 {
				q.WriteString(", ")
			}
			n++
			if b.pg {
				q.WriteString("$" + strconv.Itoa(n))
			} else {
				q.WriteByte('?')
			}
		}
		q.WriteByte(')')
	}
	if _, err := b.db.ExecContext(ctx, q.String(), b.args...); err != nil {
		return fmt.Errorf("benchseed: %s: %w", b.table, err)
	}
	b.args, b.rows = b.args[:0], 0
	return nil
}
