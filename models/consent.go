package models

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Consent actions and sources.
const (
	ConsentGrant    = "grant"
	ConsentWithdraw = "withdraw"

	SourceWebForm = "web_form"
	SourceAPI     = "api"
	SourceEmail   = "email"
	SourceGPC     = "gpc"
	SourceImport  = "import"
	SourceRequest = "request"
)

// ConsentSources lists every source a consent event may name.
var ConsentSources = []string{SourceWebForm, SourceAPI, SourceEmail, SourceGPC, SourceImport, SourceRequest}

// ConsentSubject is a person as host applications name them. EmailNorm and
// SubjectID are each unique; either may be unknown (nil).
type ConsentSubject struct {
	ID        string
	EmailNorm *string
	SubjectID *string
	CreatedAt time.Time
}

// ConsentEvent is one grant or withdrawal: the record, never changed or
// deleted. Its ID is the receipt id.
type ConsentEvent struct {
	ID            string
	Subject       string
	Purpose       string
	Action        string
	Source        string
	PolicyVersion string
	Evidence      string
	Actor         string
	ExternalID    *string // set by an import; unique
	At            time.Time
	RecordedAt    time.Time
}

// ConsentState is the current state of one purpose for one subject: the
// latest event by time.
type ConsentState struct {
	Subject string
	Purpose string
	Granted bool
	Since   time.Time
	Source  string
	EventID string
}

// ConsentSubjectByEmail finds a subject by normalised email.
func (s *Store) ConsentSubjectByEmail(ctx context.Context, emailNorm string) (*ConsentSubject, error) {
	var sub ConsentSubject
	if err := s.with(ctx).Where("email_norm = ?", emailNorm).Take(&sub).Error; err != nil {
		return nil, translate(err)
	}
	return &sub, nil
}

// ConsentSubjectBySubjectID finds a subject by the host's subject_id.
func (s *Store) ConsentSubjectBySubjectID(ctx context.Context, subjectID string) (*ConsentSubject, error) {
	var sub ConsentSubject
	if err := s.with(ctx).Where("subject_id = ?", subjectID).Take(&sub).Error; err != nil {
		return nil, translate(err)
	}
	return &sub, nil
}

// ConsentSubjectByID finds a subject by rightsdesk's id.
func (s *Store) ConsentSubjectByID(ctx context.Context, id string) (*ConsentSubject, error) {
	var sub ConsentSubject
	if err := s.with(ctx).Where("id = ?", id).Take(&sub).Error; err != nil {
		return nil, translate(err)
	}
	return &sub, nil
}

// CreateConsentSubject stores a subject; ErrDuplicate when its email or
// subject_id was taken meanwhile.
func (s *Store) CreateConsentSubject(ctx context.Context, sub *ConsentSubject) error {
	sub.CreatedAt = utc(sub.CreatedAt)
	return translate(s.with(ctx).Create(sub).Error)
}

// LinkConsentSubject sets the subject's email or subject_id where it is not
// set yet. ErrConflict when it was set meanwhile; ErrDuplicate when another
// subject holds the value.
func (s *Store) LinkConsentSubject(ctx context.Context, id, column, value string) error {
	if column != "email_norm" && column != "subject_id" {
		return errors.New("models: LinkConsentSubject: bad column")
	}
	res := s.with(ctx).Model(&ConsentSubject{}).Where("id = ? AND "+column+" IS NULL", id).Update(column, value)
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected != 1 {
		return ErrConflict
	}
	return nil
}

// AppendConsentEvent inserts an event. An event whose ExternalID is already
// recorded is skipped: inserted is false and nothing is written.
func (s *Store) AppendConsentEvent(ctx context.Context, e *ConsentEvent) (inserted bool, err error) {
	e.At, e.RecordedAt = utc(e.At), utc(e.RecordedAt)
	if e.ExternalID == nil {
		return true, translate(s.with(ctx).Create(e).Error)
	}
	res := s.with(ctx).Exec(`INSERT INTO consent_events
		(id, subject, purpose, action, source, policy_version, evidence, actor, external_id, at, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (external_id) DO NOTHING`,
		e.ID, e.Subject, e.Purpose, e.Action, e.Source, e.PolicyVersion, e.Evidence, e.Actor, *e.ExternalID, e.At, e.RecordedAt)
	if res.Error != nil {
		return false, translate(res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ApplyConsentState makes st the subject's state for its purpose unless a
// later event already holds it (an imported record can be older than the
// current state). One statement, so concurrent writers cannot interleave.
func (s *Store) ApplyConsentState(ctx context.Context, st ConsentState) error {
	return translate(s.with(ctx).Exec(`INSERT INTO consent_states (subject, purpose, granted, since, source, event_id)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (subject, purpose) DO UPDATE SET granted = excluded.granted, since = excluded.since,
			source = excluded.source, event_id = excluded.event_id
		WHERE consent_states.since <= excluded.since`,
		st.Subject, st.Purpose, st.Granted, utc(st.Since), st.Source, st.EventID).Error)
}

// ConsentStates returns a subject's recorded states (purposes without an
// event have none).
func (s *Store) ConsentStates(ctx context.Context, subject string) ([]ConsentState, error) {
	var out []ConsentState
	err := s.with(ctx).Where("subject = ?", subject).Order("purpose").Find(&out).Error
	return out, translate(err)
}

// ConsentHistory returns a subject's events, oldest first.
func (s *Store) ConsentHistory(ctx context.Context, subject string) ([]ConsentEvent, error) {
	var out []ConsentEvent
	err := s.with(ctx).Where("subject = ?", subject).Order("at, recorded_at, id").Find(&out).Error
	return out, translate(err)
}

// ConsentEventByID finds one event (a receipt).
func (s *Store) ConsentEventByID(ctx context.Context, id string) (*ConsentEvent, error) {
	var e ConsentEvent
	if err := s.with(ctx).Where("id = ?", id).Take(&e).Error; err != nil {
		return nil, translate(err)
	}
	return &e, nil
}

// ExistingExternalIDs returns which of ids are already recorded.
func (s *Store) ExistingExternalIDs(ctx context.Context, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var found []string
	err := s.with(ctx).Model(&ConsentEvent{}).Where("external_id IN ?", ids).Pluck("external_id", &found).Error
	for _, id := range found {
		out[id] = true
	}
	return out, translate(err)
}

// SubjectStates is what the consent check reads: whether the subject is
// known and its recorded state per purpose.
type SubjectStates struct {
	Known  bool
	States []ConsentState
}

// ConsentStatesByIdentity reads the states of the subject with that email
// (column "email_norm") or host subject_id (column "subject_id") in one
// indexed query: the hot path of the consent check.
func (s *Store) ConsentStatesByIdentity(ctx context.Context, column, value string) (SubjectStates, error) {
	var q string
	switch column {
	case "email_norm":
		q = stateByEmailSQL
	case "subject_id":
		q = stateBySubjectIDSQL
	default:
		return SubjectStates{}, errors.New("models: ConsentStatesByIdentity: bad column")
	}
	if s.hot == nil {
		// A transaction-bound store: go through the transaction.
		return s.statesViaGorm(ctx, q, value)
	}
	stmt, err := s.hot.prepare(ctx, s, q)
	if err != nil {
		return SubjectStates{}, err
	}
	rows, err := stmt.QueryContext(ctx, value)
	if err != nil {
		return SubjectStates{}, err
	}
	return scanStates(rows)
}

func (s *Store) statesViaGorm(ctx context.Context, q, value string) (SubjectStates, error) {
	rows, err := s.with(ctx).Raw(q, value).Rows()
	if err != nil {
		return SubjectStates{}, translate(err)
	}
	return scanStates(rows)
}

const (
	stateByEmailSQL = `SELECT s.id, st.purpose, st.granted, st.since, st.source, st.event_id
		FROM consent_subjects s LEFT JOIN consent_states st ON st.subject = s.id WHERE s.email_norm = ?`
	stateBySubjectIDSQL = `SELECT s.id, st.purpose, st.granted, st.since, st.source, st.event_id
		FROM consent_subjects s LEFT JOIN consent_states st ON st.subject = s.id WHERE s.subject_id = ?`
)

func scanStates(rows *sql.Rows) (SubjectStates, error) {
	defer rows.Close()
	var out SubjectStates
	for rows.Next() {
		var id string
		var purpose, source, eventID sql.NullString
		var granted sql.NullBool
		var since sql.NullTime
		if err := rows.Scan(&id, &purpose, &granted, &since, &source, &eventID); err != nil {
			return SubjectStates{}, err
		}
		out.Known = true
		if purpose.Valid {
			out.States = append(out.States, ConsentState{Subject: id, Purpose: purpose.String, Granted: granted.Bool,
				Since: since.Time.UTC(), Source: source.String, EventID: eventID.String})
		}
	}
	return out, rows.Err()
}

// hotStatements are the prepared statements of the hot path, prepared once
// per pool (database/sql re-prepares them per connection as needed).
type hotStatements struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func (h *hotStatements) prepare(ctx context.Context, s *Store, q string) (*sql.Stmt, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if st, ok := h.stmts[q]; ok {
		return st, nil
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	st, err := sqlDB.PrepareContext(ctx, s.rebind(q))
	if err != nil {
		return nil, err
	}
	if h.stmts == nil {
		h.stmts = map[string]*sql.Stmt{}
	}
	h.stmts[q] = st
	return st, nil
}

// rebind turns ? placeholders into $n for PostgreSQL's driver.
func (s *Store) rebind(q string) string {
	if s.dialect != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ConsentLink is an emailed consent-center link, stored only as its keyed
// hash. It is a bookmark (not single-use) and expires.
type ConsentLink struct {
	ID        string
	TokenHash string
	Subject   string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateConsentLink stores a link's hash.
func (s *Store) CreateConsentLink(ctx context.Context, l *ConsentLink) error {
	l.CreatedAt, l.ExpiresAt = utc(l.CreatedAt), utc(l.ExpiresAt)
	return translate(s.with(ctx).Create(l).Error)
}

// ConsentLinkByHash finds a link by its hash.
func (s *Store) ConsentLinkByHash(ctx context.Context, hash string) (*ConsentLink, error) {
	var l ConsentLink
	if err := s.with(ctx).Where("token_hash = ?", hash).Take(&l).Error; err != nil {
		return nil, translate(err)
	}
	return &l, nil
}
