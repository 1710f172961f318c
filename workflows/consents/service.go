// Package consents is the consent record: host applications, the consent
// center, GPC signals and requests write append-only consent events; the
// current state per subject and purpose is the latest event by time, else
// the policy's default. Reads on the hot path (Check) are served from a
// cache that every write invalidates after it commits, on every instance
// (internal/cachebus), so a withdrawal is answered by the very next check.
// The package knows nothing of HTTP.
package consents

import (
	"errors"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/rightsdesk/rightsdesk/internal/cache"
	"github.com/rightsdesk/rightsdesk/internal/cachebus"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

// Errors the handlers map to statuses. Validation problems are *FieldError.
var (
	ErrNotFound = models.ErrNotFound
	// ErrSubjectConflict: the email and the subject_id of one call belong
	// to two different subjects already; nothing was written.
	ErrSubjectConflict = errors.New("the email and the subject_id belong to different subjects")
	// ErrLink: a consent-center link that is unknown or expired (one
	// message for both, so a probe learns nothing).
	ErrLink = errors.New("this link is not valid: it may have expired")
)

// FieldError is bad input in one field.
type FieldError struct{ Field, Message string }

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func fieldErr(field, msg string) error { return &FieldError{Field: field, Message: msg} }

// Config is what the service needs from the server's configuration.
type Config struct {
	BaseURL  string // every emailed link starts with it
	MailFrom string
	Keys     secrets.Keys
	// LinkTTL is how long an emailed consent-center link works (90 days
	// when zero).
	LinkTTL time.Duration
	// CacheSize bounds the check cache, in subjects (0: the default;
	// negative: no cache).
	CacheSize int
}

// DefaultCacheSize holds the states of this many identities in memory.
const DefaultCacheSize = 200_000

// Service records and answers consent.
type Service struct {
	store   *models.Store
	policy  *policy.Policy
	cfg     Config
	now     func() time.Time
	from    string
	bus     *cachebus.Bus
	queue   *webhooks.Queue
	cache   *cache.Cache[string, *identityStates]
	purpose map[string]int // purpose key → position in the policy
	writers committer      // Record's group commit (writer.go)
}

// cacheTopic is the bus topic of the check cache; keys are identity keys.
const cacheTopic = "consent"

// New returns a Service. bus carries invalidations between instances;
// queue (may be nil) receives the webhook deliveries of each change.
func New(store *models.Store, pol *policy.Policy, cfg Config, now func() time.Time, bus *cachebus.Bus, queue *webhooks.Queue) *Service {
	if cfg.LinkTTL == 0 {
		cfg.LinkTTL = 90 * 24 * time.Hour
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	s := &Service{store: store, policy: pol, cfg: cfg, now: now, bus: bus, queue: queue,
		from:    (&mail.Address{Name: pol.Organization.Name, Address: cfg.MailFrom}).String(),
		cache:   cache.New[string, *identityStates](cfg.CacheSize),
		purpose: map[string]int{}}
	for i, p := range pol.Purposes {
		s.purpose[p.Key] = i
	}
	bus.Register(cacheTopic, s.cache)
	return s
}

// Policy is the policy the service runs under.
func (s *Service) Policy() *policy.Policy { return s.policy }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Identity names a subject: by email, by the host's subject_id, or both
// (which links them).
type Identity struct {
	Email     string
	SubjectID string
}

// identity is a validated Identity.
type identity struct {
	email     string // normalised; "" when not given
	subjectID string
}

const (
	maxSubjectID = 200
	maxEvidence  = 2000
	maxVersion   = 100
)

func (s *Service) validIdentity(in Identity, required bool) (identity, error) {
	var id identity
	if e := strings.TrimSpace(in.Email); e != "" {
		a, err := mail.ParseAddress(e)
		if err != nil || a.Address != e || len(e) > 254 || !strings.Contains(e, "@") {
			return id, fieldErr("email", "is not a valid email address")
		}
		id.email = models.NormalizeEmail(e)
	}
	if in.SubjectID != "" {
		if len(in.SubjectID) > maxSubjectID || strings.TrimSpace(in.SubjectID) != in.SubjectID || !printable(in.SubjectID) {
			return id, fieldErr("subject_id", "must be 1 to 200 printable characters without surrounding spaces")
		}
		id.subjectID = in.SubjectID
	}
	if required && id.email == "" && id.subjectID == "" {
		return id, fieldErr("email", "give the subject's email or subject_id")
	}
	return id, nil
}

func (s *Service) validPurpose(p string) error {
	if _, ok := s.purpose[p]; !ok {
		return fieldErr("purpose", "must be one of "+strings.Join(s.purposeKeys(), ", "))
	}
	return nil
}

func (s *Service) purposeKeys() []string {
	keys := make([]string, len(s.policy.Purposes))
	for i, p := range s.policy.Purposes {
		keys[i] = p.Key
	}
	return keys
}

func validAction(a string) error {
	if a != models.ConsentGrant && a != models.ConsentWithdraw {
		return fieldErr("action", "must be grant or withdraw")
	}
	return nil
}

func validSource(src string) error {
	if !slices.Contains(models.ConsentSources, src) {
		return fieldErr("source", "must be one of "+strings.Join(models.ConsentSources, ", "))
	}
	return nil
}

// plain accepts text without control characters other than line breaks
// and tabs, of at most max bytes.
func plain(field, v string, max int) error {
	if len(v) > max {
		return fieldErr(field, "is too long")
	}
	for _, r := range v {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return fieldErr(field, "contains control characters")
		}
	}
	return nil
}

func printable(v string) bool {
	for _, r := range v {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
