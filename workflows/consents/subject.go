package consents

import "context"

// SubjectView is what staff see of a subject: the state of every policy
// purpose and the full history, oldest first. A subject never seen has
// every purpose at its default and no history.
type SubjectView struct {
	Known     bool        `json:"known"`
	Email     string      `json:"email,omitempty"`
	SubjectID string      `json:"subject_id,omitempty"`
	Purposes  []State     `json:"purposes"`
	History   []EventView `json:"history"`
}

// Subject returns a subject's consent for staff.
func (s *Service) Subject(ctx context.Context, in Identity) (*SubjectView, error) {
	id, err := s.validIdentity(in, true)
	if err != nil {
		return nil, err
	}
	sub, err := s.resolve(ctx, s.store, id, false)
	if err != nil {
		return nil, err
	}
	out := &SubjectView{Purposes: make([]State, len(s.policy.Purposes)), History: []EventView{}}
	if sub == nil {
		for i := range out.Purposes {
			out.Purposes[i] = s.stateOf(s.byPosition(nil), i)
		}
		return out, nil
	}
	out.Known = true
	if sub.EmailNorm != nil {
		out.Email = *sub.EmailNorm
	}
	if sub.SubjectID != nil {
		out.SubjectID = *sub.SubjectID
	}
	states, err := s.store.ConsentStates(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	st := s.byPosition(states)
	for i := range out.Purposes {
		out.Purposes[i] = s.stateOf(st, i)
	}
	events, err := s.store.ConsentHistory(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	for i := range events {
		out.History = append(out.History, view(sub, &events[i]))
	}
	return out, nil
}
