package requests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/fulfilment"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
)

// ErrTasksPending: complete was asked while a task is not done, without a
// reason to override.
var ErrTasksPending = errors.New("a data system's task is not done; complete with a reason to override")

// startTasks makes the tasks of a request being started, in the start's
// transaction, and returns the start event's note about them.
func (s *Service) startTasks(ctx context.Context, tx *models.Store, r *models.Request) (string, []models.Task, error) {
	if s.cfg.Fulfilment == nil {
		return "", nil, nil
	}
	tasks, err := s.cfg.Fulfilment.StartTasks(ctx, tx, r)
	if err != nil || len(tasks) == 0 {
		return "", nil, err
	}
	names := make([]string, len(tasks))
	for i, t := range tasks {
		names[i] = t.SystemName
	}
	return fmt.Sprintf("%d task(s): %s", len(tasks), strings.Join(names, ", ")), tasks, nil
}

// prepackage builds, before the complete action's transaction, the
// package of an access or export request whose tasks have answered. It
// returns nil when there is nothing to package or the request cannot be
// completed anyway.
func (s *Service) prepackage(ctx context.Context, id, reason string) (*models.Package, error) {
	if s.cfg.Fulfilment == nil {
		return nil, nil
	}
	r, err := s.store.GetRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := lifecycle.Next(r.Status, lifecycle.Complete); err != nil || !fulfilment.Packaged(r.Type) {
		return nil, nil
	}
	tasks, err := s.store.TasksOf(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(fulfilment.Pending(tasks)) > 0 && strings.TrimSpace(reason) == "" {
		return nil, nil // refused as tasks_pending in the transaction: build nothing
	}
	return s.cfg.Fulfilment.BuildPackage(ctx, r, tasks)
}

// completion checks the tasks of a request being completed and returns
// what the completion email says of them: each system's outcome, and the
// package link. pkg (built by prepackage) is stored here, in the
// transaction; if the tasks changed since it was built, the completion is
// a conflict and the caller may try again.
func (s *Service) completion(ctx context.Context, tx *models.Store, r *models.Request, reason string, pkg *models.Package) ([]string, *models.Package, error) {
	if s.cfg.Fulfilment == nil {
		return nil, nil, nil
	}
	tasks, err := tx.TasksOf(ctx, r.ID)
	if err != nil {
		return nil, nil, err
	}
	if len(fulfilment.Pending(tasks)) > 0 && strings.TrimSpace(reason) == "" {
		return nil, nil, ErrTasksPending
	}
	if pkg != nil {
		if !slices.Equal(packagedTasks(tasks), pkg.Sources) {
			return nil, nil, ErrConflict
		}
		if err := tx.CreatePackage(ctx, pkg); err != nil {
			return nil, nil, err
		}
	} else if fulfilment.Packaged(r.Type) && len(packagedTasks(tasks)) > 0 {
		// Answers arrived after prepackage looked: build again.
		return nil, nil, ErrConflict
	}
	return s.taskSummary(tasks), pkg, nil
}

// packagedTasks lists the tasks a package is built from.
func packagedTasks(tasks []models.Task) []string {
	var out []string
	for _, t := range tasks {
		if t.Status == models.TaskDone && t.ResultPath != "" {
			out = append(out, t.ID)
		}
	}
	return out
}

// taskSummary says, for the requester, what each system did: when it
// confirmed, what it kept for a legal reason and what it changed.
func (s *Service) taskSummary(tasks []models.Task) []string {
	var out []string
	for _, t := range tasks {
		var line strings.Builder
		line.WriteString(t.SystemName)
		switch {
		case t.Status == models.TaskDone && t.AnsweredAt != nil:
			line.WriteString(": done on " + t.AnsweredAt.In(s.policy.Location()).Format("2 January 2006"))
		case t.Status == models.TaskDone:
			line.WriteString(": done")
		default:
			line.WriteString(": could not act on your request")
		}
		if t.Note != "" && t.Status == models.TaskDone {
			line.WriteString(" (" + t.Note + ")")
		}
		for _, c := range t.Changed {
			if c.From != "" {
				fmt.Fprintf(&line, "; %s changed from %q to %q", c.Field, c.From, c.To)
			} else {
				fmt.Fprintf(&line, "; %s changed to %q", c.Field, c.To)
			}
		}
		for _, k := range t.Kept {
			fmt.Fprintf(&line, "; kept %s: %s", k.Data, k.Reason)
		}
		out = append(out, line.String())
	}
	return out
}

// AnswerTask records a data system's or a staff member's answer to a task:
// the body is spooled to disk and validated, then the task and an internal
// event on its request commit together. A failed task tells staff at once.
// When the answer was the last one a request of the data subject waited
// for, the request completes itself (its package built first).
func (s *Service) AnswerTask(ctx context.Context, actor Actor, caller fulfilment.Caller, taskID string, body io.Reader) (*models.Task, error) {
	f := s.cfg.Fulfilment
	if f == nil {
		return nil, ErrNotFound
	}
	a, err := f.Prepare(ctx, caller, taskID, body)
	if err != nil {
		return nil, err
	}
	if caller.SystemID == "" && a.Result.Note == "" && a.Result.Reason == "" {
		a.Discard()
		return nil, fieldErr("note", "is required: say what was done in the system")
	}
	var task *models.Task
	var ready bool
	err = s.store.InTx(ctx, func(tx *models.Store) error {
		t, err := f.Record(ctx, tx, a, caller)
		if err != nil {
			return err
		}
		r, err := tx.GetRequest(ctx, t.RequestID)
		if err != nil {
			return err
		}
		note := t.SystemName + ": " + t.Status
		if err := s.event(ctx, tx, r, actor, "task", r.Status, note, true); err != nil {
			return err
		}
		if t.Status == models.TaskFailed {
			if err := s.taskNotice(ctx, tx, r, t, "its system reported that it failed"); err != nil {
				return err
			}
		}
		tasks, err := tx.TasksOf(ctx, r.ID)
		if err != nil {
			return err
		}
		ready = r.Status == lifecycle.InProgress && len(fulfilment.Pending(tasks)) == 0
		if ready && !self(r) {
			ready = false
			if err := s.event(ctx, tx, r, System, lifecycle.Note, r.Status,
				"every task is done; staff must check the requester's authority before completing", true); err != nil {
				return err
			}
		}
		task = t
		return nil
	})
	if err != nil {
		a.Discard()
		return nil, err
	}
	if ready {
		// The answer is recorded whatever happens here; the sweep completes
		// the request later if this fails or the process stops.
		_, _ = s.finish(ctx, task.RequestID)
	}
	return task, nil
}

// self reports whether the data subject made the request themselves.
func self(r *models.Request) bool { return r.Relationship == "" || r.Relationship == "self" }

// finish completes a request of the data subject whose tasks are all done.
// It reports whether it did; a request completed or changed meanwhile is
// left alone.
func (s *Service) finish(ctx context.Context, id string) (bool, error) {
	_, err := s.Act(ctx, System, id, ActionInput{Action: lifecycle.Complete})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, lifecycle.ErrIllegal), errors.Is(err, ErrTasksPending), errors.Is(err, ErrConflict):
		return false, nil
	}
	return false, err
}

// FinishReady completes every request of a data subject that is in
// progress with all its tasks done (the sweep's safety net for a finish
// that did not happen when the last answer came), and returns how many.
func (s *Service) FinishReady(ctx context.Context) (int, error) {
	ids, err := s.store.RequestsWithAllTasksDone(ctx, lifecycle.InProgress, 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		r, err := s.store.GetRequest(ctx, id)
		if err != nil {
			return n, err
		}
		if !self(r) {
			continue
		}
		ok, err := s.finish(ctx, id)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// taskNotice tells the request's assignee (every admin while nobody is
// assigned) that a task needs them, and stamps the task. The notice names
// the system, never the requester or the system's own words.
func (s *Service) taskNotice(ctx context.Context, tx *models.Store, r *models.Request, t *models.Task, why string) error {
	recipients, err := s.recipients(ctx, tx, r, 1)
	if err != nil {
		return err
	}
	for _, addr := range recipients {
		if err := s.staffEmail(ctx, tx, r, "task_staff", addr, r.EscalationLevel, "the task of "+t.SystemName+": "+why+"."); err != nil {
			return err
		}
	}
	return tx.MarkTaskEscalated(ctx, t.ID, s.clock())
}

// NoticeSilentTasks tells staff of every task unanswered for longer than
// the fulfilment's silence window, once per task, and returns how many.
func (s *Service) NoticeSilentTasks(ctx context.Context) (int, error) {
	f := s.cfg.Fulfilment
	if f == nil {
		return 0, nil
	}
	silent, err := s.store.SilentTasks(ctx, s.clock().Add(-f.SilentAfter()), 100)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := range silent {
		t := &silent[i]
		err := s.store.InTx(ctx, func(tx *models.Store) error {
			r, err := tx.GetRequest(ctx, t.RequestID)
			if err != nil {
				return err
			}
			if r.ClosedAt != nil {
				return tx.MarkTaskEscalated(ctx, t.ID, s.clock())
			}
			days := int(f.SilentAfter().Hours() / 24)
			why := fmt.Sprintf("no answer for %d day(s)", days)
			if t.Status == models.TaskPending && !t.Manual {
				why = fmt.Sprintf("its system has not taken the job for %d day(s)", days)
			}
			if err := s.taskNotice(ctx, tx, r, t, why); err != nil {
				return err
			}
			n++
			return s.event(ctx, tx, r, System, lifecycle.Note, r.Status, t.SystemName+": "+why+"; staff told", true)
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// DownloadPackage opens the package of the request of a status-page token
// and, when count is set (not a resumed download), records the download as
// an event. No package is ErrNotFound; one past
// its 7 days is fulfilment.ErrPackageGone.
func (s *Service) DownloadPackage(ctx context.Context, statusToken string, count bool) (*models.Package, *os.File, error) {
	if s.cfg.Fulfilment == nil {
		return nil, nil, ErrNotFound
	}
	_, r, err := s.lookupToken(ctx, s.store, models.TokenStatus, statusToken)
	if err != nil {
		return nil, nil, err
	}
	p, f, err := s.cfg.Fulfilment.Package(ctx, r.ID)
	if err != nil || !count {
		return p, f, err
	}
	err = s.store.InTx(ctx, func(tx *models.Store) error {
		r, err := tx.GetRequest(ctx, r.ID)
		if err != nil {
			return err
		}
		if err := tx.CountPackageDownload(ctx, p.ID); err != nil {
			return err
		}
		return s.event(ctx, tx, r, Requester, "download", r.Status, "package downloaded", false)
	})
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return p, f, nil
}

// dropAnswers deletes the answers spooled for a request that closed without
// a package to build from them: personal data is kept on disk no longer
// than it is needed. (A package's answers go when the package expires.)
func (s *Service) dropAnswers(ctx context.Context, r *models.Request) {
	if s.cfg.Fulfilment == nil || r == nil || r.ClosedAt == nil {
		return
	}
	if _, err := s.store.PackageOf(ctx, r.ID); errors.Is(err, models.ErrNotFound) {
		// Best effort: what is left is removed at redaction.
		_ = s.cfg.Fulfilment.RemoveFiles(ctx, r.ID)
	}
}
