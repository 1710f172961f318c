package requests

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
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

// sweepPage is how many candidate ids a sweep reads at once.
const sweepPage = 200

// Sweep runs the clock once: it expires unverified requests, raises
// escalation levels (sending each level's notices), redacts closed
// requests past retention, completes requests whose tasks are all done,
// tells staff of silent tasks and deletes expired packages. It is idempotent (a second run at the same time
// changes nothing) and safe to run on several instances at once: each
// request is decided in a transaction of its own, under a row lock that
// other sweepers skip, and its update is version-checked, so a notice is
// queued at most once however many sweepers race. A failure on one request
// does not stop the others; the errors are returned together.
func (s *Service) Sweep(ctx context.Context) (SweepReport, error) {
	var rep SweepReport
	now := s.clock()
	var errs []error
	n, err := s.sweepEach(ctx, func(after string) ([]string, error) {
		return s.store.UnverifiedBefore(ctx, lifecycle.PendingVerification, now.Add(-s.policy.Verification.ExpireAfter), after, sweepPage)
	}, s.expireOne)
	rep.Expired, errs = n, append(errs, err)

	w := s.policy.Escalation
	n, err = s.sweepEach(ctx, func(after string) ([]string, error) {
		return s.store.EscalationCandidates(ctx, models.EscalationWindow{
			Statuses: escalatingStatuses, Now: now, WarnFrom: now.Add(w.WarnBefore), GraceTo: now.Add(-w.Grace),
		}, after, sweepPage)
	}, s.escalateOne)
	rep.Escalated, errs = n, append(errs, err)

	n, err = s.sweepEach(ctx, func(after string) ([]string, error) {
		return s.store.ClosedBefore(ctx, now.Add(-s.cfg.Retention), after, sweepPage)
	}, s.redactOne)
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

// escalatingStatuses are the statuses the escalation sweep looks at: the
// active ones, and unverified requests for their acknowledgement clock.
var escalatingStatuses = append([]string{lifecycle.PendingVerification}, activeStatuses...)

// sweepEach pages through candidate ids and gives each to decide in its own
// transaction, counting the requests decide changed. A request locked by
// another sweeper, or changed by someone meanwhile, is left to them.
func (s *Service) sweepEach(ctx context.Context, list func(after string) ([]string, error),
	decide func(ctx context.Context, tx *models.Store, r *models.Request, now time.Time) (bool, error)) (int, error) {
	changed, after := 0, ""
	var errs []error
	for {
		ids, err := list(after)
		if err != nil {
			return changed, err
		}
		for _, id := range ids {
			var did bool
			err := s.store.InTx(ctx, func(tx *models.Store) error {
				r, err := tx.LockRequest(ctx, id)
				if err != nil {
					return err
				}
				did, err = decide(ctx, tx, r, s.clock())
				return err
			})
			switch {
			case err == nil:
				if did {
					changed++
				}
			case errors.Is(err, models.ErrNotFound), errors.Is(err, models.ErrConflict):
				// Another instance holds or just changed it.
			case ctx.Err() != nil:
				return changed, ctx.Err()
			default:
				errs = append(errs, fmt.Errorf("request %s: %w", id, err))
			}
		}
		if len(ids) < sweepPage {
			return changed, errors.Join(errs...)
		}
		after = ids[len(ids)-1]
	}
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

// escalateOne raises a request to the level its clocks demand, records why,
// and queues the notices of every level it crossed.
func (s *Service) escalateOne(ctx context.Context, tx *models.Store, r *models.Request, now time.Time) (bool, error) {
	unverified := r.Status == lifecycle.PendingVerification
	if !unverified && !slices.Contains(activeStatuses, r.Status) {
		return false, nil
	}
	paused := r.Status == lifecycle.AwaitingRequester && s.policy.Rules(r.Regime).PauseWhileAwaiting
	w := escalation.Window{WarnBefore: s.policy.Escalation.WarnBefore, Grace: s.policy.Escalation.Grace}
	target, reason := escalation.Target(escalation.Clock{
		Deadline: r.DeadlineAt, AckDueAt: r.AckDueAt, AcknowledgedAt: r.AcknowledgedAt, Paused: paused, Unverified: unverified,
	}, w, now)
	if target <= r.EscalationLevel {
		return false, nil
	}
	from := r.EscalationLevel
	r.EscalationLevel, r.UpdatedAt = target, now
	if err := tx.UpdateRequest(ctx, r); err != nil {
		return false, err
	}
	sent, err := s.notifyLevels(ctx, tx, r, from, target, reason)
	if err != nil {
		return false, err
	}
	note := fmt.Sprintf("escalation level %d → %d: %s; %d notice(s) queued", from, target, reasonText[reason], sent)
	return true, s.event(ctx, tx, r, System, lifecycle.Escalate, r.Status, note, true)
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
