package consents

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates"
)

// The consent center: a subject's own page, opened from an emailed link,
// showing each purpose's state and history and changing it in one click.

// PurposeView is one purpose as the consent center shows it.
type PurposeView struct {
	Key, Title, Description, LegalBasis string
	State
}

// CenterView is the consent center of one subject.
type CenterView struct {
	Email    string
	Purposes []PurposeView
	History  []EventView // oldest first
}

// SendCenterLink emails a consent-center link to email (the public "manage
// my choices" form). The subject is created if never seen, so that the
// answer is the same whether or not the email is known.
func (s *Service) SendCenterLink(ctx context.Context, email string) error {
	id, err := s.validIdentity(Identity{Email: email}, true)
	if err != nil {
		return err
	}
	return s.retryRace(func() error {
		return s.store.InTx(ctx, func(tx *models.Store) error {
			sub, err := s.resolve(ctx, tx, id, true)
			if err != nil {
				return err
			}
			link, expires, err := s.issueLink(ctx, tx, sub)
			if err != nil {
				return err
			}
			return s.email(ctx, tx, id.email, "consent_link", templates.EmailData{Link: link, ExpiresAt: s.date(expires)})
		})
	})
}

// CenterLink issues a consent-center link for email in the caller's
// transaction (for the emails of other workflows), creating the subject if
// never seen.
func (s *Service) CenterLink(ctx context.Context, tx *models.Store, email string) (string, error) {
	id, err := s.validIdentity(Identity{Email: email}, true)
	if err != nil {
		return "", err
	}
	sub, err := s.resolve(ctx, tx, id, true)
	if err != nil {
		return "", err
	}
	link, _, err := s.issueLink(ctx, tx, sub)
	return link, err
}

func (s *Service) issueLink(ctx context.Context, tx *models.Store, sub *models.ConsentSubject) (string, time.Time, error) {
	tok := secrets.NewToken()
	now := s.clock()
	l := &models.ConsentLink{ID: uuid.Must(uuid.NewV7()).String(), TokenHash: s.cfg.Keys.HashToken(tok),
		Subject: sub.ID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.LinkTTL)}
	if err := tx.CreateConsentLink(ctx, l); err != nil {
		return "", time.Time{}, err
	}
	return s.cfg.BaseURL + "/consents/" + tok, l.ExpiresAt, nil
}

func (s *Service) date(t time.Time) string {
	return t.In(s.policy.Location()).Format("2 January 2006")
}

// openLink finds the subject of a live consent-center link.
func (s *Service) openLink(ctx context.Context, st *models.Store, token string) (*models.ConsentSubject, error) {
	if len(token) < 16 || len(token) > 64 {
		return nil, ErrLink
	}
	l, err := st.ConsentLinkByHash(ctx, s.cfg.Keys.HashToken(token))
	if errors.Is(err, models.ErrNotFound) {
		return nil, ErrLink
	} else if err != nil {
		return nil, err
	}
	if !s.clock().Before(l.ExpiresAt) {
		return nil, ErrLink
	}
	return st.ConsentSubjectByID(ctx, l.Subject)
}

// Center opens the consent center of a link.
func (s *Service) Center(ctx context.Context, token string) (*CenterView, error) {
	sub, err := s.openLink(ctx, s.store, token)
	if err != nil {
		return nil, err
	}
	v, err := s.Subject(ctx, subjectIdentity(sub))
	if err != nil {
		return nil, err
	}
	out := &CenterView{Email: v.Email, History: v.History}
	for i, st := range v.Purposes {
		p := s.policy.Purposes[i]
		out.Purposes = append(out.Purposes, PurposeView{Key: p.Key, Title: p.Title, Description: p.Description,
			LegalBasis: p.LegalBasis, State: st})
	}
	return out, nil
}

func subjectIdentity(sub *models.ConsentSubject) Identity {
	var id Identity
	if sub.EmailNorm != nil {
		id.Email = *sub.EmailNorm
	}
	if sub.SubjectID != nil {
		id.SubjectID = *sub.SubjectID
	}
	return id
}

// CenterChange grants or withdraws one purpose from the consent center. A
// click that asks for the state already in force records nothing and
// returns nil. The subject is emailed a confirmation with a fresh link (in
// case someone else holds the link).
func (s *Service) CenterChange(ctx context.Context, token, purpose, action string) (*EventView, error) {
	if err := s.validPurpose(purpose); err != nil {
		return nil, err
	}
	if err := validAction(action); err != nil {
		return nil, err
	}
	var out *EventView
	err := s.retryRace(func() error {
		return s.store.InTx(ctx, func(tx *models.Store) error {
			sub, err := s.openLink(ctx, tx, token)
			if err != nil {
				return err
			}
			id := subjectIdentity(sub)
			states, err := s.States(ctx, id)
			if err != nil {
				return err
			}
			if states[s.purpose[purpose]].Granted == (action == models.ConsentGrant) {
				return nil
			}
			ev, err := s.validate(RecordInput{Identity: id, Purpose: purpose, Action: action,
				Source: models.SourceWebForm, Evidence: "consent center"})
			if err != nil {
				return err
			}
			if out, _, err = s.record(ctx, tx, "requester", ev); err != nil {
				return err
			}
			if sub.EmailNorm == nil {
				return nil
			}
			link, _, err := s.issueLink(ctx, tx, sub)
			if err != nil {
				return err
			}
			state := "withdrawn"
			if action == models.ConsentGrant {
				state = "granted"
			}
			return s.email(ctx, tx, *sub.EmailNorm, "consent_changed", templates.EmailData{
				Link: link, Purposes: s.PurposeChanges([]string{purpose}, state)})
		})
	})
	return out, err
}
