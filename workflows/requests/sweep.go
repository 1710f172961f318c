package requests

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/audit"
	"github.com/rightsdesk/rightsdesk/workflows/escalation"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
)

// SweepReport counts what one sweep changed.
type SweepReport struct {
	Expired   int // unverified requests expired and purged
	Escalated int // requests raised to a higher escalation level
	Redacted  int // closed requests redacted after the retention period
	Finished  int // requests completed because every task was done
	Silent    int // tasks whose silence staff were told of
	Purged    int // packages deleted after their 7 days
}

// Changed reports whether the sweep changed anything.
func (r SweepReport) Changed() bool {
	return r.Expired+r.Escalated+r.Redacted+r.Finished+r.Silent+r.Purged > 0
}

// sweepPage is how many requests a sweep decides in one transaction.
const sweepPage = 200

// sweepList is how many escalation candidates one query lists (decided a
// page at a time).
const sweepList = 2000

// Sweep runs the clock once: it expires unverified requests, raises
// escalation levels (sending each level's notices), redacts closed
// requests past retention, completes requests whose tasks are all done,
// tells staff of silent tasks and deletes expired packages. It is idempotent (a second run at the same time
// changes nothing) and safe to run on several instances at once: the
// candidates are decided a page at a time, each page in a transaction of
// its own under row locks that other sweepers skip (each decides the rows
// it locked, re-read under the lock), and every update is version-checked,
// so a notice is queued at most once however many sweepers race. A failure
// on one request does not stop the others: a page whose transaction fails
// is decided again one request per transaction, and the errors are
// returned together.
func (s *Service) Sweep(ctx context.Context) (SweepReport, error) {
	var rep SweepReport
	now := s.clock()
	var errs []error
	n, err := s.sweepKeyset(ctx, func(after models.SweepCursor) ([]models.SweepCandidate, error) {
		return s.store.UnverifiedBefore(ctx, lifecycle.PendingVerification, now.Add(-s.policy.Verification.ExpireAfter), after, sweepPage)
	}, eachRequest(s.expireOne))
	rep.Expired, errs = n, append(errs, err)

	w := s.policy.Escalation
	n, err = s.sweepByID(ctx, func(after string) ([]string, error) {
		return s.store.EscalationCandidates(ctx, models.EscalationWindow{
			Now: now, WarnFrom: now.Add(w.WarnBefore), GraceTo: now.Add(-w.Grace),
		}, after, sweepList)
	}, s.escalatePage)
	rep.Escalated, errs = n, append(errs, err)

	n, err = s.sweepKeyset(ctx, func(after models.SweepCursor) ([]models.SweepCandidate, error) {
		return s.store.ClosedBefore(ctx, now.Add(-s.cfg.Retention), after, sweepPage)
	}, eachRequest(s.redactOne))
	rep.Redacted, errs = n, append(errs, err)

	rep.Finished, err = s.FinishReady(ctx)
	errs = append(errs, err)
	rep.Silent, err = s.NoticeSilentTasks(ctx)
	errs = append(errs, err)
	if s.cfg.Fulfilment != nil {
		rep.Purged, err = s.cfg.Fulfilment.PurgeExpired(ctx)
		errs = append(errs, err)
	}
	return rep, errors.Join(errs...)
}

var activeStatuses = []string{lifecycle.Open, lifecycle.InProgress, lifecycle.AwaitingRequester}

// pageDecider decides a page of requests, locked and read in tx, and
// returns how many it changed. An error undoes the whole page.
type pageDecider func(ctx context.Context, tx *models.Store, rs []models.Request, now time.Time) (int, error)

// eachRequest makes a pageDecider of a decision on one request.
func eachRequest(decide func(ctx context.Context, tx *models.Store, r *models.Request, now time.Time) (bool, error)) pageDecider {
	return func(ctx context.Context, tx *models.Store, rs []models.Request, now time.Time) (int, error) {
		n := 0
		for i := range rs {
			did, err := decide(ctx, tx, &rs[i], now)
			if err != nil {
				return 0, err
			}
			if did {
				n++
			}
		}
		return n, nil
	}
}

// sweepKeyset pages through candidates listed after a cursor (along the
// index the query reads) and decides each page.
func (s *Service) sweepKeyset(ctx context.Context, list func(after models.SweepCursor) ([]models.SweepCandidate, error), decide pageDecider) (int, error) {
	changed := 0
	var after models.SweepCursor
	var errs []error
	for {
		cands, err := list(after)
		if err != nil {
			return changed, errors.Join(append(errs, err)...)
		}
		ids := make([]string, len(cands))
		for i, c := range cands {
			ids[i] = c.ID
		}
		n, err := s.decidePage(ctx, ids, decide)
		changed += n
		if err != nil {
			if ctx.Err() != nil {
				return changed, ctx.Err()
			}
			errs = append(errs, err)
		}
		if len(cands) < sweepPage {
			return changed, errors.Join(errs...)
		}
		last := cands[len(cands)-1]
		after = models.SweepCursor{At: last.At, ID: last.ID}
	}
}

// sweepByID pages through candidate ids listed in id order after the last
// one seen, and decides them a page at a time.
func (s *Service) sweepByID(ctx context.Context, list func(after string) ([]string, error), decide pageDecider) (int, error) {
	changed, after := 0, ""
	var errs []error
	for {
		ids, err := list(after)
		if err != nil {
			return changed, errors.Join(append(errs, err)...)
		}
		for page := range slices.Chunk(ids, sweepPage) {
			n, err := s.decidePage(ctx, page, decide)
			changed += n
			if err != nil {
				if ctx.Err() != nil {
					return changed, ctx.Err()
				}
				errs = append(errs, err)
			}
		}
		if len(ids) < sweepList {
			return changed, errors.Join(errs...)
		}
		after = ids[len(ids)-1]
	}
}

// decidePage locks the requests of ids (skipping those another sweeper
// holds) and decides them in one transaction. When that fails, it decides
// them again one request per transaction, so that one failing request
// does not hold back the others; a request another instance holds or just
// changed is left to it.
func (s *Service) decidePage(ctx context.Context, ids []string, decide pageDecider) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var changed int
	err := s.store.InTx(ctx, func(tx *models.Store) error {
		rs, err := tx.LockRequests(ctx, ids)
		if err != nil {
			return err
		}
		changed, err = decide(ctx, tx, rs, s.clock())
		return err
	})
	if err == nil || len(ids) == 1 && (errors.Is(err, models.ErrNotFound) || errors.Is(err, models.ErrConflict)) {
		return changed, nil
	}
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	if len(ids) == 1 {
		return 0, fmt.Errorf("request %s: %w", ids[0], err)
	}
	changed = 0
	var errs []error
	for _, id := range ids {
		n, err := s.decidePage(ctx, []string{id}, decide)
		changed += n
		if err != nil {
			if ctx.Err() != nil {
				return changed, ctx.Err()
			}
			errs = append(errs, err)
		}
	}
	return changed, errors.Join(errs...)
}

// expireOne expires a request never verified within the policy's window and
// purges its personal data.
func (s *Service) expireOne(ctx context.Context, tx *models.Store, r *models.Request, now time.Time) (bool, error) {
	window := s.policy.Verification.ExpireAfter
	if r.Status != lifecycle.PendingVerification || !r.CreatedAt.Before(now.Add(-window)) {
		return false, nil
	}
	from := r.Status
	to, err := lifecycle.Next(from, lifecycle.Expire)
	if err != nil {
		return false, err
	}
	if err := tx.RedactRequest(ctx, r, now); err != nil {
		return false, err
	}
	r.Status, r.ClosedAt, r.Outcome, r.UpdatedAt = to, &now, "expired", now
	if err := tx.UpdateRequest(ctx, r); err != nil {
		return false, err
	}
	note := fmt.Sprintf("not verified within %s; personal data purged", window)
	return true, s.event(ctx, tx, r, System, lifecycle.Expire, from, note, false)
}

// redactOne redacts a closed request's personal data once the retention
// period after closing has passed.
func (s *Service) redactOne(ctx context.Context, tx *models.Store, r *models.Request, now time.Time) (bool, error) {
	if r.ClosedAt == nil || r.RedactedAt != nil || !r.ClosedAt.Before(now.Add(-s.cfg.Retention)) {
		return false, nil
	}
	if err := tx.RedactRequest(ctx, r, now); err != nil {
		return false, err
	}
	if f := s.cfg.Fulfilment; f != nil {
		id := r.ID
		tx.AfterCommit(func() { _ = f.RemoveFiles(context.Background(), id) })
	}
	r.UpdatedAt = now
	if err := tx.UpdateRequest(ctx, r); err != nil {
		return false, err
	}
	note := fmt.Sprintf("personal data redacted %d days after closing (retention period)", int(s.cfg.Retention/(24*time.Hour)))
	return true, s.event(ctx, tx, r, System, "redact", r.Status, note, false)
}

// escalatePage raises each request of a page to the level its clocks
// demand, queues the notices of every level it crossed and records why,
// writing the page's changes with a few multi-row statements.
func (s *Service) escalatePage(ctx context.Context, tx *models.Store, rs []models.Request, now time.Time) (int, error) {
	w := escalation.Window{WarnBefore: s.policy.Escalation.WarnBefore, Grace: s.policy.Escalation.Grace}
	type raise struct {
		r        *models.Request
		from, to int
		reason   string
	}
	var raises []raise
	byLevel := map[int]map[string]int{} // target level → id → version read
	for i := range rs {
		r := &rs[i]
		unverified := r.Status == lifecycle.PendingVerification
		if !unverified && !slices.Contains(activeStatuses, r.Status) {
			continue
		}
		paused := r.Status == lifecycle.AwaitingRequester && s.policy.Rules(r.Regime).PauseWhileAwaiting
		target, reason := escalation.Target(escalation.Clock{
			Deadline: r.DeadlineAt, AckDueAt: r.AckDueAt, AcknowledgedAt: r.AcknowledgedAt, Paused: paused, Unverified: unverified,
		}, w, now)
		if target <= r.EscalationLevel {
			continue
		}
		raises = append(raises, raise{r: r, from: r.EscalationLevel, to: target, reason: reason})
		if byLevel[target] == nil {
			byLevel[target] = map[string]int{}
		}
		byLevel[target][r.ID] = r.Version
	}
	if len(raises) == 0 {
		return 0, nil
	}
	for level, versions := range byLevel {
		if err := tx.RaiseEscalation(ctx, level, now, versions); err != nil {
			return 0, err
		}
	}
	var n notices
	staff := newStaffCache(tx)
	events := make([]*models.Event, 0, len(raises))
	for _, x := range raises {
		x.r.EscalationLevel, x.r.UpdatedAt, x.r.Version = x.to, now, x.r.Version+1
		sent, err := s.levelNotices(ctx, staff, &n, x.r, x.from, x.to, x.reason)
		if err != nil {
			return 0, err
		}
		note := fmt.Sprintf("escalation level %d → %d: %s; %d notice(s) queued", x.from, x.to, reasonText[x.reason], sent)
		events = append(events, &models.Event{RequestID: x.r.ID, At: s.clock(), Actor: System.String(), Action: lifecycle.Escalate,
			FromStatus: x.r.Status, ToStatus: x.r.Status, Note: note, Internal: true})
	}
	if err := n.write(ctx, tx); err != nil {
		return 0, err
	}
	if err := audit.AppendAll(ctx, tx, events); err != nil {
		return 0, err
	}
	return len(raises), nil
}

// reasonText is the fixed wording of each escalation reason, used in events
// and staff notices (never requester content).
var reasonText = map[string]string{
	escalation.ReasonDueSoon:   "due within the warning window",
	escalation.ReasonOverdue:   "past its due date",
	escalation.ReasonAckMissed: "the acknowledgement is overdue",
	escalation.ReasonGrace:     "still overdue after the grace period",
	reasonStaff:                "escalated by staff",
}

const reasonStaff = "staff"
