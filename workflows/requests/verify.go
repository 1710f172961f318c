package requests

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
)

// sendVerification issues a single-use verification token and queues the
// email carrying it, in the caller's transaction.
func (s *Service) sendVerification(ctx context.Context, tx *models.Store, r *models.Request) error {
	tok, err := s.issueToken(ctx, tx, r, models.TokenVerify, s.policy.Verification.TokenTTL)
	if err != nil {
		return err
	}
	return s.email(ctx, tx, r, "verify", emailExtras{Link: s.cfg.BaseURL + "/verify/" + tok})
}

func (s *Service) issueToken(ctx context.Context, tx *models.Store, r *models.Request, purpose string, ttl time.Duration) (string, error) {
	tok := secrets.NewToken()
	now := s.clock()
	err := tx.CreateLinkToken(ctx, &models.LinkToken{
		ID: uuid.Must(uuid.NewV7()).String(), TokenHash: s.cfg.Keys.HashToken(tok), Purpose: purpose,
		RequestID: r.ID, CreatedAt: now, ExpiresAt: now.Add(ttl),
	})
	return tok, err
}

// statusLink issues a fresh status-page link. Tokens are stored only hashed,
// so every email that links the status page carries a new one.
func (s *Service) statusLink(ctx context.Context, tx *models.Store, r *models.Request) (string, error) {
	tok, err := s.issueToken(ctx, tx, r, models.TokenStatus, s.cfg.StatusLinkTTL)
	if err != nil {
		return "", err
	}
	return s.cfg.BaseURL + "/r/" + tok, nil
}

// lookupToken finds a live token of a purpose and its request. A token that
// never existed is ErrLinkUnknown; a used or expired one, or one whose
// request can no longer be verified, is ErrLinkGone.
func (s *Service) lookupToken(ctx context.Context, st *models.Store, purpose, token string) (*models.LinkToken, *models.Request, error) {
	if len(token) < 16 || len(token) > 64 {
		return nil, nil, ErrLinkUnknown
	}
	t, err := st.LinkTokenByHash(ctx, purpose, s.cfg.Keys.HashToken(token))
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, ErrLinkUnknown
	}
	if err != nil {
		return nil, nil, err
	}
	if (purpose == models.TokenVerify && t.UsedAt != nil) || !s.clock().Before(t.ExpiresAt) {
		return nil, nil, ErrLinkGone
	}
	r, err := st.GetRequest(ctx, t.RequestID)
	if err != nil {
		return nil, nil, err
	}
	return t, r, nil
}

// PeekVerification tells whether a verification link is good without using
// it: GET /verify/{token} shows a confirm button, because mail scanners
// fetch links and must not confirm anything.
func (s *Service) PeekVerification(ctx context.Context, token string) (*models.Request, error) {
	_, r, err := s.lookupToken(ctx, s.store, models.TokenVerify, token)
	if err != nil {
		return nil, err
	}
	if r.Status != lifecycle.PendingVerification {
		return nil, ErrLinkGone
	}
	return r, nil
}

// Verify uses a verification token: the request opens, is acknowledged
// (except grievances and appeals, which staff acknowledge), and the receipt
// email is queued, all in one transaction.
func (s *Service) Verify(ctx context.Context, token string) (*models.Request, error) {
	r, _, err := s.verify(ctx, token, false)
	return r, err
}

// VerifyForPage is Verify for the confirm button of the verification page:
// it also issues a fresh status-page token (in the same transaction), so
// that the page can send the requester straight on to their status page.
func (s *Service) VerifyForPage(ctx context.Context, token string) (*models.Request, string, error) {
	return s.verify(ctx, token, true)
}

func (s *Service) verify(ctx context.Context, token string, withStatusToken bool) (*models.Request, string, error) {
	var out *models.Request
	var status string
	err := s.store.InTx(ctx, func(tx *models.Store) error {
		t, r, err := s.lookupToken(ctx, tx, models.TokenVerify, token)
		if err != nil {
			return err
		}
		if r.Status != lifecycle.PendingVerification {
			return ErrLinkGone
		}
		if err := tx.ConsumeLinkToken(ctx, t.ID, s.clock()); errors.Is(err, models.ErrConflict) {
			return ErrLinkGone
		} else if err != nil {
			return err
		}
		if err := s.markVerified(ctx, tx, r, Requester, s.clock()); err != nil {
			return err
		}
		if withStatusToken {
			if status, err = s.issueToken(ctx, tx, r, models.TokenStatus, s.cfg.StatusLinkTTL); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	if errors.Is(err, models.ErrConflict) {
		// A concurrent confirmation of the same request won.
		return nil, "", ErrLinkGone
	}
	if err != nil {
		return nil, "", err
	}
	return out, status, nil
}

// markVerified opens a request and sends the receipt.
func (s *Service) markVerified(ctx context.Context, tx *models.Store, r *models.Request, actor Actor, now time.Time) error {
	from := r.Status
	to, err := lifecycle.Next(from, lifecycle.Verify)
	if err != nil {
		return err
	}
	r.Status, r.VerifiedAt = to, &now
	if !needsStaffAcknowledgement(r.Type) && r.AcknowledgedAt == nil {
		r.AcknowledgedAt = &now
	}
	r.UpdatedAt = s.clock()
	if err := tx.UpdateRequest(ctx, r); err != nil {
		return err
	}
	if err := s.event(ctx, tx, r, actor, lifecycle.Verify, from, "", false); err != nil {
		return err
	}
	if needsStaffAcknowledgement(r.Type) {
		if err := s.route(ctx, tx, r); err != nil {
			return err
		}
	}
	if withdrawsConsent(r.Type) && s.cfg.Consents != nil {
		return s.actOnConsent(ctx, tx, r, actor)
	}
	link, err := s.statusLink(ctx, tx, r)
	if err != nil {
		return err
	}
	return s.email(ctx, tx, r, "received", emailExtras{Link: link})
}

// needsStaffAcknowledgement: a grievance or an appeal is acknowledged by a
// person with the acknowledge action, not by the automatic receipt.
func needsStaffAcknowledgement(requestType string) bool {
	return requestType == "grievance" || requestType == "appeal"
}

// Status opens the requester's status page from an emailed status link.
// The link is not single-use (it is a bookmark), but it expires. Staff-only
// events are left out.
func (s *Service) Status(ctx context.Context, token string) (*Detail, error) {
	_, r, err := s.lookupToken(ctx, s.store, models.TokenStatus, token)
	if err != nil {
		return nil, err
	}
	events, err := s.store.Events(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	public := events[:0]
	for _, e := range events {
		if !e.Internal {
			public = append(public, e)
		}
	}
	return s.withFulfilment(ctx, &Detail{Request: r, Events: public})
}
