package models

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode"
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
	// Query is the staff search: a reference (DSR-…, case-insensitive) or
	// an email (it has an @) is matched exactly; anything else matches the
	// names having a word that begins with each of its words (case and, on
	// SQLite, accents folded): "chen" and "ch" find "Wei Chen", "hen" does
	// not. Each is an index lookup, not a scan of every name.
	Query         string
	Limit         int
	AfterDeadline *time.Time
	AfterID       string
	// Statuses, Types and Regimes are every value the status, type and
	// regime columns can hold. When set, a filter on two of the three is
	// answered as one ordered range of an index per value of the third,
	// merged: a rare combination then costs a page, not a scan of every
	// row matching the commonest of its values.
	Statuses, Types, Regimes []string
}

// ListRequests returns up to Limit requests ordered by their effective due
// date, then id, starting after the cursor.
func (s *Store) ListRequests(ctx context.Context, f RequestFilter) ([]Request, error) {
	where, args := s.requestFilterSQL(f)
	var out []Request
	// With two of status, type and regime given (and no assignee or
	// search, which lead their own index), the third is enumerated: each
	// value is one range of requests_queue_str, already in queue order.
	var third []string
	var col string
	switch {
	case f.Assignee != "" || f.Query != "":
	case f.Status != "" && f.Type != "" && f.Regime == "":
		third, col = f.Regimes, "regime"
	case f.Status != "" && f.Type == "" && f.Regime != "":
		third, col = f.Types, "type"
	case f.Status == "" && f.Type != "" && f.Regime != "":
		third, col = f.Statuses, "status"
	}
	if len(third) == 0 {
		err := s.with(ctx).Where(where, args...).Order("deadline_at ASC, id ASC").Limit(f.Limit).Find(&out).Error
		return out, translate(err)
	}
	limit := strconv.Itoa(max(f.Limit, 1))
	parts := make([]string, len(third))
	var all []any
	for i, v := range third {
		// The value is bound, not spliced; col is one of three names.
		parts[i] = "SELECT * FROM (SELECT * FROM requests WHERE " + col + " = ? AND " + where +
			" ORDER BY deadline_at ASC, id ASC LIMIT " + limit + ") AS q" + strconv.Itoa(i)
		all = append(all, v)
		all = append(all, args...)
	}
	sql := "SELECT * FROM (" + strings.Join(parts, " UNION ALL ") + ") AS merged ORDER BY deadline_at ASC, id ASC LIMIT " + limit
	err := s.with(ctx).Raw(sql, all...).Scan(&out).Error
	return out, translate(err)
}

// looksLikeReference tells a search for a reference (DSR-XXXX-XXXX).
func looksLikeReference(q string) bool {
	return strings.HasPrefix(strings.ToUpper(q), "DSR-")
}

// nameWords splits a search into the words matched against names: runs of
// letters and digits, lowercased (both full-text indexes split names the
// same way, and these carry no operator of either query syntax).
func nameWords(q string) []string {
	return strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// requestFilterSQL is the WHERE clause of the queue's filter (never empty).
func (s *Store) requestFilterSQL(f RequestFilter) (string, []any) {
	conds := []string{"1 = 1"}
	var args []any
	add := func(c string, a ...any) { conds = append(conds, c); args = append(args, a...) }
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.Type != "" {
		add("type = ?", f.Type)
	}
	if f.Regime != "" {
		add("regime = ?", f.Regime)
	}
	if f.Assignee != "" {
		add("assignee = ?", f.Assignee)
	}
	if f.DueBefore != nil {
		add("deadline_at < ?", utc(*f.DueBefore))
	}
	if f.EscalationLevel != nil {
		add("escalation_level = ?", *f.EscalationLevel)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		switch words := nameWords(q); {
		case strings.Contains(q, "@"):
			add("email_norm = ?", NormalizeEmail(q))
		case looksLikeReference(q):
			add("reference = ?", strings.ToUpper(q))
		case len(words) == 0:
			add("1 = 0")
		case s.dialect == "postgres":
			for i := range words {
				words[i] += ":*"
			}
			add("to_tsvector('simple', name) @@ to_tsquery('simple', ?)", strings.Join(words, " & "))
		default:
			// SQLite: no index (an FTS4 index keeps a purged name in its
			// segments until they merge); the queue's order is walked and
			// stops after a page, so a common word is cheap and a rare one
			// reads every name.
			for _, w := range words {
				add(`(' ' || REPLACE(REPLACE(LOWER(name), '''', ' '), '-', ' ')) LIKE ? ESCAPE '\'`, "% "+escapeLike(w)+"%")
			}
		}
	}
	if f.AfterDeadline != nil {
		// A row value: both engines seek the index to it, so a deep page
		// costs what the first one does.
		add("(deadline_at, id) > (?, ?)", utc(*f.AfterDeadline), f.AfterID)
	}
	return strings.Join(conds, " AND "), args
}

// CountRequests counts every request (for tests and metrics).
func (s *Store) CountRequests(ctx context.Context) (int64, error) {
	var n int64
	err := s.with(ctx).Model(&Request{}).Count(&n).Error
	return n, translate(err)
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
