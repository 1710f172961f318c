package requests

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/clocks"
	"github.com/rightsdesk/rightsdesk/workflows/escalation"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
)

// ActionInput is one staff action on a request.
type ActionInput struct {
	Action   string
	Reason   string
	Note     string
	Assignee string
	Days     int
}

// Act takes a staff action. The status change (if any), the event and any
// email commit together; an illegal action, bad input or a concurrent change
// leaves everything as it was.
func (s *Service) Act(ctx context.Context, actor Actor, id string, in ActionInput) (*models.Request, error) {
	if !lifecycle.KnownStaffAction(in.Action) {
		return nil, fieldErr("action", "must be one of "+strings.Join(lifecycle.StaffActions, ", "))
	}
	if err := plainText(in.Reason, maxDetails, true); err != nil {
		return nil, fieldErr("reason", err.Error())
	}
	if err := plainText(in.Note, maxDetails, true); err != nil {
		return nil, fieldErr("note", err.Error())
	}
	// A package is built before the transaction: a large one takes a while.
	var pkg *models.Package
	if in.Action == lifecycle.Complete {
		var err error
		if pkg, err = s.prepackage(ctx, id, in.Reason); err != nil {
			return nil, err
		}
	}
	var out *models.Request
	err := s.store.InTx(ctx, func(tx *models.Store) error {
		r, err := tx.GetRequest(ctx, id)
		if err != nil {
			return err
		}
		from := r.Status
		to, err := lifecycle.Next(from, in.Action)
		if err != nil {
			return err
		}
		note, internal, mail, err := s.apply(ctx, tx, actor, r, in, to, pkg)
		if err != nil {
			return err
		}
		r.Status = to
		r.UpdatedAt = s.clock()
		if err := tx.UpdateRequest(ctx, r); err != nil {
			return err
		}
		if err := s.event(ctx, tx, r, actor, in.Action, from, note, internal); err != nil {
			return err
		}
		if mail != nil {
			if err := mail(); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	if err != nil && pkg != nil {
		s.cfg.Fulfilment.DiscardPackage(pkg)
	}
	if err == nil {
		s.dropAnswers(ctx, out)
	}
	return out, err
}

// apply makes the action's own changes to r (not yet saved) and returns the
// event's note, whether the event is staff-only, and the email to queue
// after the request is saved (nil for none).
func (s *Service) apply(ctx context.Context, tx *models.Store, actor Actor, r *models.Request, in ActionInput, to string, pkg *models.Package) (string, bool, func() error, error) {
	now := s.clock()
	tell := func(template, note string) func() error {
		return func() error {
			link, err := s.statusLink(ctx, tx, r)
			if err != nil {
				return err
			}
			return s.email(ctx, tx, r, template, emailExtras{Link: link, Note: note})
		}
	}
	switch in.Action {
	case lifecycle.Assign:
		assignee := models.NormalizeEmail(in.Assignee)
		if assignee == "" {
			return "", false, nil, fieldErr("assignee", "is required: the email of a staff user")
		}
		u, err := tx.StaffUserByEmail(ctx, assignee)
		if errors.Is(err, models.ErrNotFound) || (err == nil && (u.Role == models.RoleAuditor || u.DisabledAt != nil)) {
			return "", false, nil, fieldErr("assignee", "is not a staff user who can work on requests")
		} else if err != nil {
			return "", false, nil, err
		}
		r.Assignee = u.Email
		return "assigned to " + u.Email, true, nil, nil
	case lifecycle.Acknowledge:
		if r.AcknowledgedAt != nil {
			return "", false, nil, fmt.Errorf("%w: the request was acknowledged already", lifecycle.ErrIllegal)
		}
		r.AcknowledgedAt = &now
		return in.Note, false, nil, nil
	case lifecycle.Start:
		if r.Assignee == "" && actor.Kind == "staff" {
			r.Assignee = actor.Name
		}
		tasks, _, err := s.startTasks(ctx, tx, r)
		if err != nil {
			return "", false, nil, err
		}
		return joinNotes(in.Note, tasks), false, nil, nil
	case lifecycle.RequestInfo:
		question := strings.TrimSpace(firstNonEmpty(in.Note, in.Reason))
		if question == "" {
			return "", false, nil, fieldErr("note", "is required: what the requester must provide")
		}
		r.AwaitingSince = &now
		return question, false, tell("info_needed", question), nil
	case lifecycle.Resume:
		return s.resume(r, now), false, nil, nil
	case lifecycle.Extend:
		return s.extend(ctx, tx, r, in, now, tell)
	case lifecycle.Complete:
		systems, stored, err := s.completion(ctx, tx, r, in.Reason, pkg)
		if err != nil {
			return "", false, nil, err
		}
		r.ClosedAt, r.Outcome, r.EscalationLevel = &now, "complied", 0
		note := strings.TrimSpace(firstNonEmpty(in.Reason, in.Note))
		return note, false, s.tellCompleted(ctx, tx, r, note, systems, stored), nil
	case lifecycle.Deny:
		reason := strings.TrimSpace(in.Reason)
		if reason == "" {
			return "", false, nil, fieldErr("reason", "is required: the requester is told why")
		}
		r.ClosedAt, r.Outcome = &now, "denied"
		return reason, false, tell("denied", reason), nil
	case lifecycle.Escalate:
		// A person escalating wants the next level's people told now; the
		// sweep then sees the level reached and sends nothing again.
		from := r.EscalationLevel
		if r.EscalationLevel < escalation.Late {
			r.EscalationLevel++
		}
		notify := func() error {
			_, err := s.notifyLevels(ctx, tx, r, from, r.EscalationLevel, reasonStaff)
			return err
		}
		return strings.TrimSpace(firstNonEmpty(in.Reason, in.Note)), true, notify, nil
	case lifecycle.Note:
		note := strings.TrimSpace(in.Note)
		if note == "" {
			return "", false, nil, fieldErr("note", "is required")
		}
		return note, true, nil, nil
	case lifecycle.Withdraw:
		r.ClosedAt, r.Outcome = &now, "withdrawn"
		return strings.TrimSpace(firstNonEmpty(in.Reason, in.Note)), false, tell("withdrawn", ""), nil
	}
	return "", false, nil, fmt.Errorf("requests: action %q has no handler", in.Action)
}

// resume restarts the clock. Where the regime pauses it, every calendar day
// spent awaiting the requester (the day asked and the day answered
// included) moves the due dates later.
func (s *Service) resume(r *models.Request, now time.Time) string {
	asked := r.AwaitingSince
	r.AwaitingSince = nil
	if asked == nil || !s.policy.Rules(r.Regime).PauseWhileAwaiting {
		return ""
	}
	cal := s.policy.Calendar(r.Regime)
	days := clocks.PausedDays(*asked, now, cal)
	before := r.DeadlineAt
	r.DueAt = clocks.ShiftDue(r.DueAt, days, cal)
	if r.ExtendedDueAt != nil {
		e := clocks.ShiftDue(*r.ExtendedDueAt, days, cal)
		r.ExtendedDueAt = &e
	}
	r.DeadlineAt = effectiveDeadline(r)
	return fmt.Sprintf("clock paused %d day(s); due date moved from %s to %s", days,
		before.In(cal.Location()).Format("2006-01-02"), r.DeadlineAt.In(cal.Location()).Format("2006-01-02"))
}

// extend moves the deadline within the regime's limits and tells the
// requester why.
func (s *Service) extend(ctx context.Context, tx *models.Store, r *models.Request, in ActionInput, now time.Time, tell func(string, string) func() error) (string, bool, func() error, error) {
	reason := strings.TrimSpace(in.Reason)
	if in.Days < 1 {
		return "", false, nil, fieldErr("days", "must be a positive number of days")
	}
	if reason == "" {
		return "", false, nil, fieldErr("reason", "is required: the requester is told why")
	}
	cal := s.policy.Calendar(r.Regime)
	next, err := clocks.Extend(now, r.DueAt, r.DeadlineAt, in.Days, s.policy.Rules(r.Regime), cal)
	if err != nil {
		return "", false, nil, &FieldError{Field: "days", Message: extensionMessage(err, r.Regime), Unprocessable: true}
	}
	r.ExtendedDueAt = &next
	r.DeadlineAt = next
	note := fmt.Sprintf("extended by %d day(s) to %s: %s", in.Days, next.In(cal.Location()).Format("2006-01-02"), reason)
	return note, false, tell("extended", reason), nil
}

func extensionMessage(err error, regime string) string {
	switch {
	case errors.Is(err, clocks.ErrNoExtension):
		return "the " + regime + " regime allows no extension"
	case errors.Is(err, clocks.ErrExtensionTooLate):
		return "an extension must be decided before the first due date"
	case errors.Is(err, clocks.ErrExtensionTooLong):
		return "the extension goes beyond the maximum the " + regime + " regime allows"
	}
	return "must be a positive number of days"
}

func effectiveDeadline(r *models.Request) time.Time {
	if r.ExtendedDueAt != nil {
		return *r.ExtendedDueAt
	}
	return r.DueAt
}

// tellCompleted queues the completion email: what each system did, and
// the package's link where there is one (the status page's, plus /package).
func (s *Service) tellCompleted(ctx context.Context, tx *models.Store, r *models.Request, note string, systems []string, pkg *models.Package) func() error {
	return func() error {
		link, err := s.statusLink(ctx, tx, r)
		if err != nil {
			return err
		}
		x := emailExtras{Link: link, Note: note, Systems: systems}
		if withdrawsConsent(r.Type) && s.cfg.Consents != nil {
			if x.ConsentLink, err = s.cfg.Consents.CenterLink(ctx, tx, r.Email); err != nil {
				return err
			}
		}
		if pkg != nil {
			x.PackageLink = link + "/package"
			x.ExpiresAt = pkg.ExpiresAt.In(s.policy.Location()).Format("2 January 2006 15:04 MST")
		}
		return s.email(ctx, tx, r, "completed", x)
	}
}

func joinNotes(notes ...string) string {
	var out []string
	for _, n := range notes {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, "; ")
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
