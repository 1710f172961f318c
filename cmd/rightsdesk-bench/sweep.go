package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/escalation"
	"github.com/rightsdesk/rightsdesk/workflows/fulfilment"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// sweepResult is one measurement of the sweep over a seeded database: the
// first sweep does the seeded work, the second (at the same instant) finds
// nothing to do.
type sweepResult struct {
	Overdue             int // requests the first sweep had to escalate
	Notices             int // escalation notices it queued
	First, Second       time.Duration
	FirstRep, SecondRep requests.SweepReport
}

func (r sweepResult) String() string {
	return fmt.Sprintf("first sweep %s (%+v, %d notices), second sweep %s (%+v)",
		r.First.Round(time.Millisecond), r.FirstRep, r.Notices, r.Second.Round(time.Millisecond), r.SecondRep)
}

// measureSweep times two sweeps at now over a store seeded with
// benchseed.SeedRequests at the same now, the service built as
// cmd/rightsdesk builds it (730 days' retention, fulfilment on). It checks
// that the first sweep escalated exactly the requests whose clocks demand
// it (counted beforehand from the rows, not from the sweep) and changed
// nothing else, that their notices are in the outbox, and that the second
// sweep changed nothing.
func measureSweep(ctx context.Context, store *models.Store, pol *policy.Policy, now time.Time) (sweepResult, error) {
	var res sweepResult
	due, err := sweepDue(ctx, store, pol, now)
	if err != nil {
		return res, err
	}
	res.Overdue = len(due)
	outboxBefore, err := sweepCount(ctx, store, "SELECT count(*) FROM outbox_messages WHERE template IN ('overdue_staff', 'overdue')")
	if err != nil {
		return res, err
	}
	files, err := os.MkdirTemp("", "rightsdesk-sweep-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(files)
	keys := secrets.Derive([]byte("benchmark secret of at least thirty-two bytes"))
	clock := func() time.Time { return now }
	svc := requests.New(store, pol, requests.Config{BaseURL: "http://localhost", MailFrom: "privacy@bench.example", Keys: keys,
		Retention:  730 * 24 * time.Hour,
		Fulfilment: fulfilment.New(store, pol, fulfilment.Config{BaseURL: "http://localhost", Keys: keys, FilesDir: files}, clock),
	}, clock)

	began := time.Now()
	res.FirstRep, err = svc.Sweep(ctx)
	res.First = time.Since(began)
	if err != nil {
		return res, fmt.Errorf("first sweep: %w", err)
	}
	began = time.Now()
	res.SecondRep, err = svc.Sweep(ctx)
	res.Second = time.Since(began)
	if err != nil {
		return res, fmt.Errorf("second sweep: %w", err)
	}

	if want := (requests.SweepReport{Escalated: len(due)}); res.FirstRep != want {
		return res, fmt.Errorf("first sweep %+v, want %+v", res.FirstRep, want)
	}
	if res.SecondRep.Changed() {
		return res, fmt.Errorf("second sweep changed %+v, want nothing", res.SecondRep)
	}
	after, err := sweepDue(ctx, store, pol, now)
	if err != nil {
		return res, err
	}
	if len(after) > 0 {
		return res, fmt.Errorf("%d requests still below their escalation level after the sweep", len(after))
	}
	outboxAfter, err := sweepCount(ctx, store, "SELECT count(*) FROM outbox_messages WHERE template IN ('overdue_staff', 'overdue')")
	if err != nil {
		return res, err
	}
	res.Notices = outboxAfter - outboxBefore
	// Every escalated request got at least its requester's or an officer's
	// notice when the policy names one; and no request had a notice twice.
	dup, err := sweepCount(ctx, store, "SELECT count(*) FROM (SELECT request_id, to_addr, template, subject FROM outbox_messages "+
		"WHERE template IN ('overdue_staff', 'overdue') GROUP BY request_id, to_addr, template, subject HAVING count(*) > 1) d")
	if err != nil {
		return res, err
	}
	if dup > 0 {
		return res, fmt.Errorf("%d notices queued more than once", dup)
	}
	if pol.GrievanceOfficer.Email != "" {
		with, err := sweepCount(ctx, store, "SELECT count(DISTINCT request_id) FROM outbox_messages WHERE template = 'overdue_staff'")
		if err != nil {
			return res, err
		}
		if with < len(due) {
			return res, fmt.Errorf("%d of %d escalated requests have a staff notice", with, len(due))
		}
	}
	return res, nil
}

// sweepDue lists the requests whose escalation level is below what their
// clocks demand at now, decided in Go from every request the escalation
// could concern (the sweep's own queries are not trusted to count).
func sweepDue(ctx context.Context, store *models.Store, pol *policy.Policy, now time.Time) ([]string, error) {
	db, err := store.SQL()
	if err != nil {
		return nil, err
	}
	q := "SELECT id, status, regime, deadline_at, ack_due_at, acknowledged_at, escalation_level FROM requests WHERE status IN ($1, $2, $3, $4)"
	rows, err := db.QueryContext(ctx, q, lifecycle.PendingVerification, lifecycle.Open, lifecycle.InProgress, lifecycle.AwaitingRequester)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	w := escalation.Window{WarnBefore: pol.Escalation.WarnBefore, Grace: pol.Escalation.Grace}
	var due []string
	for rows.Next() {
		var id, status, regime string
		var deadline sweepTime
		var ack, acked sweepTime
		var level int
		if err := rows.Scan(&id, &status, &regime, &deadline, &ack, &acked, &level); err != nil {
			return nil, err
		}
		target, _ := escalation.Target(escalation.Clock{Deadline: deadline.t, AckDueAt: ack.ptr(), AcknowledgedAt: acked.ptr(),
			Paused:     status == lifecycle.AwaitingRequester && pol.Rules(regime).PauseWhileAwaiting,
			Unverified: status == lifecycle.PendingVerification}, w, now)
		if target > level {
			due = append(due, id)
		}
	}
	slices.Sort(due)
	return due, rows.Err()
}

// sweepTime scans a timestamp as either engine returns it (SQLite may
// give text).
type sweepTime struct {
	t     time.Time
	valid bool
}

func (s *sweepTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		s.valid = false
		return nil
	case time.Time:
		s.t, s.valid = x, true
		return nil
	case string:
		return s.parse(x)
	case []byte:
		return s.parse(string(x))
	}
	return fmt.Errorf("sweepTime: cannot scan %T", v)
}

func (s *sweepTime) parse(v string) error {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, v); err == nil {
			s.t, s.valid = t, true
			return nil
		}
	}
	return errors.New("sweepTime: unreadable time " + v)
}

func (s *sweepTime) ptr() *time.Time {
	if !s.valid {
		return nil
	}
	return &s.t
}

func sweepCount(ctx context.Context, store *models.Store, q string) (int, error) {
	db, err := store.SQL()
	if err != nil {
		return 0, err
	}
	var n int
	err = db.QueryRowContext(ctx, q).Scan(&n)
	return n, err
}
