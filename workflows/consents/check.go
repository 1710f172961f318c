package consents

import (
	"context"
	"strconv"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
)

// State is the current consent of one subject for one purpose.
type State struct {
	Purpose string     `json:"purpose"`
	Granted bool       `json:"granted"`
	Since   *time.Time `json:"since"`  // nil while at the policy's default
	Source  string     `json:"source"` // "default" while at the policy's default
}

// AppendJSON appends the state as the check endpoint's JSON body, without
// reflection: the check is the hot path. Purpose keys are letters, digits
// and underscores (the policy file is validated) and sources are fixed
// words, so neither needs escaping.
func (st State) AppendJSON(b []byte) []byte {
	b = append(b, `{"purpose":"`...)
	b = append(b, st.Purpose...)
	b = append(b, `","granted":`...)
	b = strconv.AppendBool(b, st.Granted)
	b = append(b, `,"since":`...)
	if st.Since == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = st.Since.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	b = append(b, `,"source":"`...)
	b = append(b, st.Source...)
	return append(b, `"}`...)
}

// SourceDefault is State.Source for a purpose no event has touched.
const SourceDefault = "default"

// identityStates is what the cache holds per identity: the recorded state of
// each policy purpose (by position), or nothing for a subject never seen.
type identityStates struct {
	states []*models.ConsentState
}

// Check answers "may I?" for one subject and purpose: the hot path. The
// subject is named by subject_id when given, else by email.
func (s *Service) Check(ctx context.Context, in Identity, purpose string) (State, error) {
	// The hot path: an identity in the cache was valid when it was stored,
	// so a hit skips parsing the address.
	if pos, ok := s.purpose[purpose]; ok {
		key := subjectKey(in.SubjectID)
		if in.SubjectID == "" {
			key = emailKey(models.NormalizeEmail(in.Email))
		}
		if st, ok := s.cache.Get(key); ok {
			return s.stateOf(st, pos), nil
		}
	}
	id, err := s.validIdentity(in, true)
	if err != nil {
		return State{}, err
	}
	if err := s.validPurpose(purpose); err != nil {
		return State{}, err
	}
	st, err := s.lookup(ctx, id)
	if err != nil {
		return State{}, err
	}
	return s.stateOf(st, s.purpose[purpose]), nil
}

// lookup reads an identity's states from the cache, else from the database
// (then caches them, unless a write invalidated anything meanwhile).
func (s *Service) lookup(ctx context.Context, id identity) (*identityStates, error) {
	key, column, value := emailKey(id.email), "email_norm", id.email
	if id.subjectID != "" {
		key, column, value = subjectKey(id.subjectID), "subject_id", id.subjectID
	}
	if st, ok := s.cache.Get(key); ok {
		return st, nil
	}
	ticket := s.cache.Ticket()
	rows, err := s.store.ConsentStatesByIdentity(ctx, column, value)
	if err != nil {
		return nil, err
	}
	st := s.byPosition(rows.States)
	s.cache.Fill(ticket, key, st)
	return st, nil
}

// byPosition places recorded states at their purpose's position in the
// policy; purposes the policy no longer lists are left out.
func (s *Service) byPosition(states []models.ConsentState) *identityStates {
	st := &identityStates{states: make([]*models.ConsentState, len(s.policy.Purposes))}
	for i := range states {
		if pos, ok := s.purpose[states[i].Purpose]; ok {
			st.states[pos] = &states[i]
		}
	}
	return st
}

// stateOf is the state of the purpose at position pos.
func (s *Service) stateOf(st *identityStates, pos int) State {
	p := s.policy.Purposes[pos]
	if rec := st.states[pos]; rec != nil {
		since := rec.Since
		return State{Purpose: p.Key, Granted: rec.Granted, Since: &since, Source: rec.Source}
	}
	return State{Purpose: p.Key, Granted: p.DefaultGranted(), Source: SourceDefault}
}

// States returns the state of every policy purpose, in the policy's order.
func (s *Service) States(ctx context.Context, in Identity) ([]State, error) {
	id, err := s.validIdentity(in, true)
	if err != nil {
		return nil, err
	}
	st, err := s.lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]State, len(s.policy.Purposes))
	for i := range out {
		out[i] = s.stateOf(st, i)
	}
	return out, nil
}
