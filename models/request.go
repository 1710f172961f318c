package models

import (
	"context"
	"strings"
	"time"
)

// Correction is one change a requester asks for.
type Correction struct {
	Field     string `json:"field"`
	Current   string `json:"current,omitempty"`
	Requested string `json:"requested"`
}

// Nominee is the person a nomination names.
type Nominee struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Request is one privacy-rights request and its clock.
type Request struct {
	ID               string
	Reference        string
	Type             string
	Status           string
	Regime           string
	Relationship     string
	Source           string // web, api, staff
	Email            string
	EmailNorm        string
	Name             string
	Country          string
	Region           string
	Details          string
	Scope            []string     `gorm:"serializer:json"`
	Purposes         []string     `gorm:"serializer:json"`
	Corrections      []Correction `gorm:"serializer:json"`
	Nominee          *Nominee     `gorm:"serializer:json"`
	RelatedReference string
	ConcernsChild    bool
	ReceivedAt       time.Time
	VerifiedAt       *time.Time
	// DueAt is the legal due date (moved later by pauses), which also bounds
	// extensions; ExtendedDueAt is set by an extension; DeadlineAt is
	// whichever of the two applies, kept as a column so the queue can be
	// ordered by it.
	DueAt           time.Time
	ExtendedDueAt   *time.Time
	DeadlineAt      time.Time
	AckDueAt        *time.Time
	AcknowledgedAt  *time.Time
	AwaitingSince   *time.Time
	Assignee        string
	EscalationLevel int
	ClosedAt        *time.Time
	Outcome         string
	// RedactedAt is when the personal data was purged (expiry) or redacted
	// (retention); the reference, type, regime, dates and outcome remain.
	RedactedAt *time.Time
	// Version increments on every update: a write based on a stale read
	// fails with ErrConflict instead of overwriting.
	Version int
	// The workflow sets both from its clock (tests run at a set time), so
	// gorm must not stamp them with the wall clock.
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
}

// NormalizeEmail is the form emails are matched by: trimmed, case-folded.
func NormalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func (r *Request) normalise() {
	r.ReceivedAt = utc(r.ReceivedAt)
	r.DueAt = utc(r.DueAt)
	r.DeadlineAt = utc(r.DeadlineAt)
	r.VerifiedAt = utcPtr(r.VerifiedAt)
	r.ExtendedDueAt = utcPtr(r.ExtendedDueAt)
	r.AckDueAt = utcPtr(r.AckDueAt)
	r.AcknowledgedAt = utcPtr(r.AcknowledgedAt)
	r.AwaitingSince = utcPtr(r.AwaitingSince)
	r.ClosedAt = utcPtr(r.ClosedAt)
	r.RedactedAt = utcPtr(r.RedactedAt)
	r.CreatedAt = utc(r.CreatedAt)
	r.UpdatedAt = utc(r.UpdatedAt)
	if r.Scope == nil {
		r.Scope = []string{}
	}
	if r.Purposes == nil {
		r.Purposes = []string{}
	}
	if r.Corrections == nil {
		r.Corrections = []Correction{}
	}
}

// CreateRequest inserts a new request.
func (s *Store) CreateRequest(ctx context.Context, r *Request) error {
	r.normalise()
	r.Version = 1
	return translate(s.with(ctx).Create(r).Error)
}

// GetRequest loads a request by id.
func (s *Store) GetRequest(ctx context.Context, id string) (*Request, error) {
	var r Request
	if err := s.with(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, translate(err)
	}
	return &r, nil
}

// GetRequestByReference loads a request by its public reference.
func (s *Store) GetRequestByReference(ctx context.Context, ref string) (*Request, error) {
	var r Request
	if err := s.with(ctx).Where("reference = ?", ref).Take(&r).Error; err != nil {
		return nil, translate(err)
	}
	return &r, nil
}

// UpdateRequest writes every field of r, provided nobody else updated it
// since it was read (same Version); otherwise ErrConflict and nothing changes.
func (s *Store) UpdateRequest(ctx context.Context, r *Request) error {
	r.normalise()
	prev := r.Version
	r.Version = prev + 1
	res := s.with(ctx).Model(&Request{}).Where("id = ? AND version = ?", r.ID, prev).
		Select("*").Omit("id", "created_at").Updates(r)
	if res.Error != nil {
		r.Version = prev
		return translate(res.Error)
	}
	if res.RowsAffected != 1 {
		r.Version = prev
		return ErrConflict
	}
	return nil
}

// RequestFilter selects requests for the staff queue. Empty fields do not
// filter. After is the keyset cursor: the (deadline, id) of the last row seen.
type RequestFilter struct {
	Status          string
	Type            string
	Regime          string
	Assignee        string
	DueBefore       *time.Time
	EscalationLevel *int
	Query           string
	Limit           int
	AfterDeadline   *time.Time
	AfterID         string
}

// ListRequests returns up to Limit requests ordered by their effective due
// date, then id, starting after the cursor.
func (s *Store) ListRequests(ctx context.Context, f RequestFilter) ([]Request, error) {
	q := s.with(ctx).Model(&Request{})
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Type != "" {
		q = q.Where("type = ?", f.Type)
	}
	if f.Regime != "" {
		q = q.Where("regime = ?", f.Regime)
	}
	if f.Assignee != "" {
		q = q.Where("assignee = ?", f.Assignee)
	}
	if f.DueBefore != nil {
		q = q.Where("deadline_at < ?", utc(*f.DueBefore))
	}
	if f.EscalationLevel != nil {
		q = q.Where("escalation_level = ?", *f.EscalationLevel)
	}
	if f.Query != "" {
		// Staff search by reference, exact email or part of the name.
		like := "%" + escapeLike(strings.ToLower(f.Query)) + "%"
		q = q.Where("reference = ? OR email_norm = ? OR LOWER(name) LIKE ? ESCAPE '\\'",
			strings.ToUpper(strings.TrimSpace(f.Query)), NormalizeEmail(f.Query), like)
	}
	if f.AfterDeadline != nil {
		d := utc(*f.AfterDeadline)
		q = q.Where("(deadline_at > ? OR (deadline_at = ? AND id > ?))", d, d, f.AfterID)
	}
	var out []Request
	err := q.Order("deadline_at ASC, id ASC").Limit(f.Limit).Find(&out).Error
	return out, translate(err)
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// CountRequests counts every request (for tests and metrics).
func (s *Store) CountRequests(ctx context.Context) (int64, error) {
	var n int64
	err := s.with(ctx).Model(&Request{}).Count(&n).Error
	return n, translate(err)
}
