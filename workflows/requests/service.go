// Package requests is the request workflow: intake, email verification, the
// staff actions and the queries of the queue. It is plain Go over the store,
// the policy and the clocks, and knows nothing of HTTP; handlers decode,
// call one method here, and encode what it returns.
package requests

import (
	"errors"
	"net/mail"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/consents"
	"github.com/rightsdesk/rightsdesk/workflows/fulfilment"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
)

// Errors the handlers map to statuses. Validation problems are *FieldError.
var (
	ErrNotFound = models.ErrNotFound
	// ErrConflict: someone changed the request meanwhile; nothing was written.
	ErrConflict = models.ErrConflict
	// ErrIllegalTransition: the action is not allowed in the current status.
	ErrIllegalTransition = lifecycle.ErrIllegal
	// ErrLinkUnknown and ErrLinkGone share one message so that a probe cannot
	// tell a token that never existed from one that was used.
	ErrLinkUnknown = errors.New(linkMessage)
	ErrLinkGone    = errors.New(linkMessage)
)

const linkMessage = "this link is not valid: it may have expired or already been used"

// FieldError is bad input in one field. Unprocessable marks input that is
// well-formed but refused by a rule (HTTP 422), such as an extension beyond
// the law's maximum.
type FieldError struct {
	Field         string
	Message       string
	Unprocessable bool
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func fieldErr(field, msg string) error { return &FieldError{Field: field, Message: msg} }

// Config is what the workflow needs from the server's configuration.
type Config struct {
	BaseURL  string // no trailing slash; every emailed link starts with it
	MailFrom string // sender address; the organisation's name is added
	Keys     secrets.Keys
	// StatusLinkTTL is how long a status-page link in an email stays valid.
	StatusLinkTTL time.Duration
	// Retention is how long a closed request keeps its personal data
	// (RIGHTSDESK_RETENTION_DAYS); zero means the contract's 730 days.
	Retention time.Duration
	// Consents records the consent changes that requests make (verified
	// opt_out and consent_withdrawal requests, GPC signals); nil records none.
	Consents *consents.Service
	// Fulfilment makes tasks for the data systems when a request starts,
	// holds completion until they are done, and packages access and export
	// answers; nil: requests have no tasks.
	Fulfilment *fulfilment.Service
}

// Service runs the request workflow.
type Service struct {
	store  *models.Store
	policy *policy.Policy
	cfg    Config
	now    func() time.Time
	from   string
}

// New returns a Service. now is the clock: tests pass a settable one.
func New(store *models.Store, pol *policy.Policy, cfg Config, now func() time.Time) *Service {
	if cfg.StatusLinkTTL == 0 {
		cfg.StatusLinkTTL = 90 * 24 * time.Hour
	}
	if cfg.Retention == 0 {
		cfg.Retention = 730 * 24 * time.Hour
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	from := (&mail.Address{Name: pol.Organization.Name, Address: cfg.MailFrom}).String()
	return &Service{store: store, policy: pol, cfg: cfg, now: now, from: from}
}

// Policy is the policy the service runs under.
func (s *Service) Policy() *policy.Policy { return s.policy }

// clock reads the injected clock at the precision the database keeps.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Actor is who takes an action; it is written into the event.
type Actor struct {
	Kind string // requester, staff, api_key, system
	Name string // the staff email or the key name; empty for the requester
	Role string // staff role, for authorization already done by the caller
}

// Requester is the actor for what the data subject does.
var Requester = Actor{Kind: "requester"}

// System is the actor for what rightsdesk does by itself.
var System = Actor{Kind: "system"}

func (a Actor) String() string {
	if a.Name == "" {
		return a.Kind
	}
	return a.Kind + ":" + a.Name
}
