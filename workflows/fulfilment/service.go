// Package fulfilment drives a request's work to the company's data
// systems: the systems registry, a task per system when a request starts, a
// signed job per webhook system sent from an outbox, the systems' answers
// spooled to disk, and the ZIP package of an access or export request. It
// is plain Go over the store and knows nothing of HTTP; the request
// lifecycle (events, emails, completion) stays in workflows/requests.
package fulfilment

import (
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

// Errors the handlers map to statuses. Validation problems are *FieldError
// (or *ResultError for an answer's body).
var (
	ErrNotFound = models.ErrNotFound
	// ErrForbidden: a system answering another system's task.
	ErrForbidden = errors.New("this task belongs to another system")
	// ErrAnswered: the task is done already; a second answer changes nothing.
	ErrAnswered = errors.New("this task is done already")
	// ErrDuplicateName: another system has the name.
	ErrDuplicateName = errors.New("a system with this name exists already")
	// ErrPackageGone: the package expired and was deleted.
	ErrPackageGone = errors.New("this package has expired and was deleted; ask for a new export")
)

// FieldError is bad input in one field.
type FieldError struct{ Field, Message string }

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// PackageTTL is how long a package is offered (the contract's 7 days).
const PackageTTL = 7 * 24 * time.Hour

// Config is what the service needs from the server's configuration.
type Config struct {
	BaseURL  string // result URLs start with it
	Keys     secrets.Keys
	FilesDir string // answers and packages live under it
	// SilentAfter is how long a task may go unanswered before staff are
	// told; zero means 7 days.
	SilentAfter time.Duration
}

// Service runs fulfilment.
type Service struct {
	store  *models.Store
	policy *policy.Policy
	cfg    Config
	now    func() time.Time
	queue  *webhooks.Queue
}

// New returns a Service; jobs written by it wake queue's dispatcher.
func New(store *models.Store, pol *policy.Policy, cfg Config, now func() time.Time) *Service {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.SilentAfter == 0 {
		cfg.SilentAfter = 7 * 24 * time.Hour
	}
	return &Service{store: store, policy: pol, cfg: cfg, now: now, queue: webhooks.NewQueue()}
}

// Queue wakes the job dispatcher when a job commits.
func (s *Service) Queue() *webhooks.Queue { return s.queue }

// SilentAfter is how long a task may stay unanswered before staff are told.
func (s *Service) SilentAfter() time.Duration { return s.cfg.SilentAfter }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// path resolves a path stored relative to the files directory.
func (s *Service) path(rel string) string {
	return filepath.Join(s.cfg.FilesDir, filepath.FromSlash(rel))
}

// ResultURL is where a task's system answers.
func (s *Service) ResultURL(taskID string) string {
	return s.cfg.BaseURL + "/api/v1/tasks/" + url.PathEscape(taskID) + "/result"
}

// FilesDir is where answers and packages are kept.
func (s *Service) FilesDir() string { return s.cfg.FilesDir }
