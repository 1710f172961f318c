package fulfilment

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
	"github.com/rightsdesk/rightsdesk/models"
)

// MaxAnswerBytes bounds one answer's body: large enough for a person's
// whole history, small enough that a runaway system cannot fill the disk.
const MaxAnswerBytes = 4 << 30

// ErrTooLarge: the answer is over MaxAnswerBytes.
var ErrTooLarge = errors.New("the answer is over 4 GiB")

// Caller is who answers a task: a data system (by its key) or staff.
type Caller struct {
	SystemID string // set for a system
	Name     string // what the task records as having answered
}

// Answer is an answer read and validated, not yet recorded.
type Answer struct {
	Task   *models.Task
	Result *Result
	// spool is the body on disk, relative to the files directory; kept
	// only when a package may be built from it.
	spool string
	s     *Service
}

// Prepare reads an answer to a task: it checks that the caller may answer
// it, spools the body to disk (never to memory) and validates it. Nothing
// is recorded; Record does that in the caller's transaction, and Discard
// drops the spool when the answer is not recorded.
func (s *Service) Prepare(ctx context.Context, c Caller, taskID string, body io.Reader) (*Answer, error) {
	t, err := s.store.GetTask(ctx, taskID)
	if err != nil {
		return nil, err
	}
	if c.SystemID != "" && t.SystemID != c.SystemID {
		return nil, ErrForbidden
	}
	if t.Status == models.TaskDone {
		return nil, ErrAnswered
	}
	rel := path.Join("results", t.RequestID, t.ID+"-"+uuid.NewString()+".json")
	if err := s.spool(rel, body); err != nil {
		return nil, err
	}
	a := &Answer{Task: t, spool: rel, s: s}
	res, err := ReadResult(s.path(rel))
	if err != nil {
		a.Discard()
		return nil, err
	}
	a.Result = res
	r, err := s.store.GetRequest(ctx, t.RequestID)
	if err != nil {
		a.Discard()
		return nil, err
	}
	// Data is kept only while a package may still be built from it: for a
	// done answer to an open access or export request.
	if res.Status != models.TaskDone || r.ClosedAt != nil || !Packaged(r.Type) {
		a.Discard()
	}
	return a, nil
}

// spool copies body to the file rel under the files directory.
func (s *Service) spool(rel string, body io.Reader) error {
	p := s.path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 64<<10)
	n, err := io.Copy(w, io.LimitReader(body, MaxAnswerBytes+1))
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > MaxAnswerBytes {
		err = ErrTooLarge
	}
	if err != nil {
		os.Remove(p)
	}
	return err
}

// Discard removes the spooled body (safe to call more than once).
func (a *Answer) Discard() {
	if a.spool != "" {
		os.Remove(a.s.path(a.spool))
		a.spool = ""
	}
}

// Record writes the answer to its task in tx. A task done meanwhile is
// ErrAnswered and nothing changes. It returns the task as recorded.
func (s *Service) Record(ctx context.Context, tx *models.Store, a *Answer, c Caller) (*models.Task, error) {
	t := *a.Task
	r := a.Result
	now := s.clock()
	t.Status = r.Status
	t.Note = strings.TrimSpace(strings.Join(nonEmpty(r.Reason, r.Note), " — "))
	t.Kept, t.Changed, t.Tables = nil, nil, nil
	for _, k := range r.Kept {
		t.Kept = append(t.Kept, models.TaskKept{Data: k.Data, Reason: k.Reason})
	}
	for _, ch := range r.Changed {
		t.Changed = append(t.Changed, models.TaskChange{Field: ch.Field, From: ch.From, To: ch.To})
	}
	for _, tb := range r.Tables {
		t.Tables = append(t.Tables, models.TaskTable{Name: tb.Name, Rows: tb.Rows})
	}
	t.ResultPath = a.spool
	t.AnsweredBy, t.AnsweredAt, t.UpdatedAt = c.Name, &now, now
	ok, err := tx.AnswerTask(ctx, &t)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrAnswered
	}
	return &t, nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}
