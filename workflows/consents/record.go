package consents

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/rightsdesk/rightsdesk/models"
)

// RecordInput is one consent event to record.
type RecordInput struct {
	Identity
	Purpose       string
	Action        string // grant or withdraw
	Source        string
	PolicyVersion string // the policy's version when empty
	Evidence      string
}

// EventView is a consent event as the API and the consent center show it.
type EventView struct {
	ID            string    `json:"id"`
	Subject       string    `json:"subject"` // the email when known, else the subject_id
	Email         string    `json:"email,omitempty"`
	SubjectID     string    `json:"subject_id,omitempty"`
	Purpose       string    `json:"purpose"`
	Action        string    `json:"action"`
	Granted       bool      `json:"granted"`
	Source        string    `json:"source"`
	PolicyVersion string    `json:"policy_version"`
	Evidence      string    `json:"evidence"`
	At            time.Time `json:"at"`
	RecordedAt    time.Time `json:"recorded_at"`
	ReceiptID     string    `json:"receipt_id"`
}

func view(sub *models.ConsentSubject, e *models.ConsentEvent) EventView {
	v := EventView{ID: e.ID, Purpose: e.Purpose, Action: e.Action, Granted: e.Action == models.ConsentGrant,
		Source: e.Source, PolicyVersion: e.PolicyVersion, Evidence: e.Evidence,
		At: e.At.UTC(), RecordedAt: e.RecordedAt.UTC(), ReceiptID: e.ID}
	if sub.EmailNorm != nil {
		v.Email = *sub.EmailNorm
	}
	if sub.SubjectID != nil {
		v.SubjectID = *sub.SubjectID
	}
	v.Subject = v.Email
	if v.Subject == "" {
		v.Subject = v.SubjectID
	}
	return v
}

// event is a validated RecordInput.
type event struct {
	id                                             identity
	purpose, action, source, policyVersion, evidnc string
	at                                             time.Time // zero: now
	externalID                                     string
}

func (s *Service) validate(in RecordInput) (*event, error) {
	id, err := s.validIdentity(in.Identity, true)
	if err != nil {
		return nil, err
	}
	if err := s.validPurpose(in.Purpose); err != nil {
		return nil, err
	}
	if err := validAction(in.Action); err != nil {
		return nil, err
	}
	if err := validSource(in.Source); err != nil {
		return nil, err
	}
	if err := plain("policy_version", in.PolicyVersion, maxVersion); err != nil {
		return nil, err
	}
	if err := plain("evidence", in.Evidence, maxEvidence); err != nil {
		return nil, err
	}
	ev := &event{id: id, purpose: in.Purpose, action: in.Action, source: in.Source,
		policyVersion: in.PolicyVersion, evidnc: in.Evidence}
	if ev.policyVersion == "" {
		ev.policyVersion = s.policy.Organization.PolicyVersion
	}
	return ev, nil
}

// Record writes one consent event from a host application, staff or the
// consent center (actor says who), and returns it.
func (s *Service) Record(ctx context.Context, actor string, in RecordInput) (*EventView, error) {
	ev, err := s.validate(in)
	if err != nil {
		return nil, err
	}
	var out *EventView
	err = s.retryRace(func() error {
		return s.store.InTx(ctx, func(tx *models.Store) error {
			v, _, err := s.record(ctx, tx, actor, ev)
			out = v
			return err
		})
	})
	return out, err
}

// retryRace runs fn again once when it lost a race to create or link the
// same subject (another call created it meanwhile; now it is found).
func (s *Service) retryRace(fn func() error) error {
	err := fn()
	if errors.Is(err, models.ErrDuplicate) || errors.Is(err, models.ErrConflict) {
		err = fn()
	}
	return err
}

// record writes ev in tx: the subject (created or linked), the event, the
// current state, the cache invalidation (after commit, on every instance)
// and the webhook deliveries. inserted is false when an import's external id
// was already recorded (then nothing was written).
func (s *Service) record(ctx context.Context, tx *models.Store, actor string, ev *event) (*EventView, bool, error) {
	sub, err := s.resolve(ctx, tx, ev.id, true)
	if err != nil {
		return nil, false, err
	}
	now := s.clock()
	at := ev.at
	if at.IsZero() {
		at = now
	}
	e := &models.ConsentEvent{ID: uuid.Must(uuid.NewV7()).String(), Subject: sub.ID, Purpose: ev.purpose,
		Action: ev.action, Source: ev.source, PolicyVersion: ev.policyVersion, Evidence: ev.evidnc,
		Actor: actor, At: at, RecordedAt: now}
	if ev.externalID != "" {
		x := ev.externalID
		e.ExternalID = &x
	}
	inserted, err := tx.AppendConsentEvent(ctx, e)
	if err != nil || !inserted {
		return nil, false, err
	}
	if err := tx.ApplyConsentState(ctx, models.ConsentState{Subject: sub.ID, Purpose: e.Purpose,
		Granted: e.Action == models.ConsentGrant, Since: e.At, Source: e.Source, EventID: e.ID}); err != nil {
		return nil, false, err
	}
	if err := s.bus.Publish(ctx, tx, cacheTopic, identityKeys(sub)...); err != nil {
		return nil, false, err
	}
	v := view(sub, e)
	// Imports bring history the hosts already know; everything else is a
	// change a host must act on at once.
	if s.queue != nil && e.Source != models.SourceImport {
		if err := s.queue.Enqueue(ctx, tx, e.ID, "consent.changed", v, now); err != nil {
			return nil, false, err
		}
	}
	return &v, true, nil
}

// resolve finds the subject an identity names, linking an email and a
// subject_id named together, and creates it when create is set (else a
// subject never seen is nil).
func (s *Service) resolve(ctx context.Context, tx *models.Store, id identity, create bool) (*models.ConsentSubject, error) {
	var byEmail, byID *models.ConsentSubject
	var err error
	if id.email != "" {
		if byEmail, err = found(tx.ConsentSubjectByEmail(ctx, id.email)); err != nil {
			return nil, err
		}
	}
	if id.subjectID != "" {
		if byID, err = found(tx.ConsentSubjectBySubjectID(ctx, id.subjectID)); err != nil {
			return nil, err
		}
	}
	switch {
	case byEmail != nil && byID != nil:
		if byEmail.ID != byID.ID {
			return nil, ErrSubjectConflict
		}
		return byEmail, nil
	case byEmail != nil:
		if id.subjectID == "" {
			return byEmail, nil
		}
		if byEmail.SubjectID != nil || !create {
			return nil, ErrSubjectConflict
		}
		if err := tx.LinkConsentSubject(ctx, byEmail.ID, "subject_id", id.subjectID); err != nil {
			return nil, err
		}
		byEmail.SubjectID = &id.subjectID
		return byEmail, nil
	case byID != nil:
		if id.email == "" {
			return byID, nil
		}
		if byID.EmailNorm != nil || !create {
			return nil, ErrSubjectConflict
		}
		if err := tx.LinkConsentSubject(ctx, byID.ID, "email_norm", id.email); err != nil {
			return nil, err
		}
		byID.EmailNorm = &id.email
		return byID, nil
	case !create:
		return nil, nil
	}
	sub := &models.ConsentSubject{ID: uuid.Must(uuid.NewV7()).String(), CreatedAt: s.clock()}
	if id.email != "" {
		sub.EmailNorm = &id.email
	}
	if id.subjectID != "" {
		sub.SubjectID = &id.subjectID
	}
	return sub, tx.CreateConsentSubject(ctx, sub)
}

func found(sub *models.ConsentSubject, err error) (*models.ConsentSubject, error) {
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	return sub, err
}

// identityKeys are the cache keys under which a subject's states may be
// cached: one per way a host can name it.
func identityKeys(sub *models.ConsentSubject) []string {
	var keys []string
	if sub.EmailNorm != nil {
		keys = append(keys, emailKey(*sub.EmailNorm))
	}
	if sub.SubjectID != nil {
		keys = append(keys, subjectKey(*sub.SubjectID))
	}
	return keys
}

func emailKey(norm string) string { return "e:" + norm }
func subjectKey(id string) string { return "s:" + id }
