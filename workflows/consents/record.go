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
// consent center (actor says who), and returns it. Concurrent calls are
// committed together (see writer.go): the answer comes once the event is
// committed and every instance's cache has dropped the subject.
func (s *Service) Record(ctx context.Context, actor string, in RecordInput) (*EventView, error) {
	ev, err := s.validate(in)
	if err != nil {
		return nil, err
	}
	return s.writers.submit(ctx, s, actor, ev)
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
	p := &pending{actor: actor, ev: ev}
	if err := s.writeBatch(ctx, tx, []*pending{p}); err != nil {
		return nil, false, err
	}
	if p.err != nil {
		return nil, false, p.err
	}
	return p.view, p.inserted, nil
}

// pending is one event of a batch and, once written, what became of it.
type pending struct {
	actor string
	ev    *event
	// Results: view is set when the event was written (inserted is false
	// for an import's external id already recorded); err is the event's own
	// refusal (ErrSubjectConflict), which writes nothing for it and leaves
	// the transaction usable.
	view     *EventView
	inserted bool
	err      error

	sub *models.ConsentSubject
	e   *models.ConsentEvent
}

func (p *pending) reset() { p.view, p.inserted, p.err, p.sub, p.e = nil, false, nil, nil, nil }

// writeBatch writes items in tx, in their order, with one statement per
// table where it can: the subjects are read at once, the events inserted
// and the states applied in multi-row statements, the caches invalidated
// once (after commit, on every instance). An item the subject rules refuse
// gets its err and nothing is written for it; any other error is returned
// and the transaction must be rolled back (the callers then write the
// items one by one).
func (s *Service) writeBatch(ctx context.Context, tx *models.Store, items []*pending) error {
	idx := &subjectIndex{byEmail: map[string]*models.ConsentSubject{}, byID: map[string]*models.ConsentSubject{}}
	var emails, ids []string
	for _, p := range items {
		p.reset()
		if e := p.ev.id.email; e != "" && !idx.asked(emailKey(e)) {
			emails = append(emails, e)
		}
		if id := p.ev.id.subjectID; id != "" && !idx.asked(subjectKey(id)) {
			ids = append(ids, id)
		}
	}
	subs, err := tx.ConsentSubjectsByIdentity(ctx, emails, ids)
	if err != nil {
		return err
	}
	for i := range subs {
		idx.add(&subs[i])
	}
	events := make([]*models.ConsentEvent, 0, len(items))
	for _, p := range items {
		sub, err := s.resolveIn(ctx, tx, idx, p.ev.id, true)
		if errors.Is(err, ErrSubjectConflict) {
			p.err = err
			continue
		}
		if err != nil {
			return err
		}
		now := s.clock()
		at := p.ev.at
		if at.IsZero() {
			at = now
		}
		e := &models.ConsentEvent{ID: uuid.Must(uuid.NewV7()).String(), Subject: sub.ID, Purpose: p.ev.purpose,
			Action: p.ev.action, Source: p.ev.source, PolicyVersion: p.ev.policyVersion, Evidence: p.ev.evidnc,
			Actor: p.actor, At: at, RecordedAt: now}
		if p.ev.externalID != "" {
			x := p.ev.externalID
			e.ExternalID = &x
		}
		p.sub, p.e = sub, e
		events = append(events, e)
	}
	if len(events) == 0 {
		return nil
	}
	inserted, err := tx.InsertConsentEvents(ctx, events)
	if err != nil {
		return err
	}
	// One state per subject and purpose: the latest event by time, the
	// later item when two are at the same time (as when applied in turn).
	type pair struct{ subject, purpose string }
	latest := map[pair]*models.ConsentEvent{}
	var order []pair
	var keys []string
	seenKey := map[string]bool{}
	hooks := false
	for _, p := range items {
		if p.e == nil || !inserted[p.e.ID] {
			continue
		}
		p.inserted = true
		k := pair{p.e.Subject, p.e.Purpose}
		if cur, ok := latest[k]; !ok {
			order = append(order, k)
			latest[k] = p.e
		} else if !p.e.At.Before(cur.At) {
			latest[k] = p.e
		}
		for _, key := range identityKeys(p.sub) {
			if !seenKey[key] {
				seenKey[key] = true
				keys = append(keys, key)
			}
		}
		hooks = hooks || p.e.Source != models.SourceImport
	}
	states := make([]models.ConsentState, 0, len(order))
	for _, k := range order {
		e := latest[k]
		states = append(states, models.ConsentState{Subject: e.Subject, Purpose: e.Purpose,
			Granted: e.Action == models.ConsentGrant, Since: e.At, Source: e.Source, EventID: e.ID})
	}
	if len(states) > 0 {
		if err := tx.ApplyConsentStates(ctx, states); err != nil {
			return err
		}
	}
	if len(keys) > 0 {
		if err := s.bus.Publish(ctx, tx, cacheTopic, keys...); err != nil {
			return err
		}
	}
	// Imports bring history the hosts already know; everything else is a
	// change a host must act on at once. The endpoints are read once per
	// batch: most installations have none.
	if hooks && s.queue != nil {
		endpoints, err := tx.ActiveWebhookEndpoints(ctx)
		if err != nil {
			return err
		}
		hooks = len(endpoints) > 0
	}
	for _, p := range items {
		if p.e == nil {
			continue
		}
		v := view(p.sub, p.e)
		p.view = &v
		if hooks && p.inserted && s.queue != nil && p.e.Source != models.SourceImport {
			if err := s.queue.Enqueue(ctx, tx, p.e.ID, "consent.changed", v, p.e.RecordedAt); err != nil {
				return err
			}
		}
	}
	return nil
}

// subjectIndex holds the subjects a batch names, read at once and kept up
// to date as the batch creates and links subjects; a name looked up and not
// found is a subject not seen yet.
type subjectIndex struct {
	byEmail, byID map[string]*models.ConsentSubject
	seen          map[string]bool
}

// asked notes that key is looked up; true when it already was.
func (x *subjectIndex) asked(key string) bool {
	if x.seen == nil {
		x.seen = map[string]bool{}
	}
	if x.seen[key] {
		return true
	}
	x.seen[key] = true
	return false
}

func (x *subjectIndex) add(sub *models.ConsentSubject) {
	if sub.EmailNorm != nil {
		x.byEmail[*sub.EmailNorm] = sub
	}
	if sub.SubjectID != nil {
		x.byID[*sub.SubjectID] = sub
	}
}

// resolve finds the subject an identity names, linking an email and a
// subject_id named together, and creates it when create is set (else a
// subject never seen is nil).
func (s *Service) resolve(ctx context.Context, tx *models.Store, id identity, create bool) (*models.ConsentSubject, error) {
	return s.resolveIn(ctx, tx, nil, id, create)
}

// resolveIn is resolve reading from idx, when given, rather than the
// database, and keeping idx up to date.
func (s *Service) resolveIn(ctx context.Context, tx *models.Store, idx *subjectIndex, id identity, create bool) (*models.ConsentSubject, error) {
	var byEmail, byID *models.ConsentSubject
	var err error
	if id.email != "" {
		if idx != nil {
			byEmail = idx.byEmail[id.email]
		} else if byEmail, err = found(tx.ConsentSubjectByEmail(ctx, id.email)); err != nil {
			return nil, err
		}
	}
	if id.subjectID != "" {
		if idx != nil {
			byID = idx.byID[id.subjectID]
		} else if byID, err = found(tx.ConsentSubjectBySubjectID(ctx, id.subjectID)); err != nil {
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
		if idx != nil {
			idx.add(byEmail)
		}
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
		if idx != nil {
			idx.add(byID)
		}
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
	if err := tx.CreateConsentSubject(ctx, sub); err != nil {
		return nil, err
	}
	if idx != nil {
		idx.add(sub)
	}
	return sub, nil
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
