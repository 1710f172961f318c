package requests

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
)

// What the requester does from the public pages: submit through the web
// form, and from their status page withdraw the request or answer the
// question staff asked. The status-page token (an emailed, expiring,
// reusable link) is what proves who they are.

// MaxAnswer is the longest answer a requester may give, in characters.
const MaxAnswer = 10000

// SubmitWeb is Submit for the public web form: the same checks, clock and
// verification email, recorded with source "web" instead of "api".
func (s *Service) SubmitWeb(ctx context.Context, in Input) (*models.Request, error) {
	v, err := s.validate(in)
	if err != nil {
		return nil, err
	}
	return s.create(ctx, v, "web", s.clock(), Requester, "submit", "", func(tx *models.Store, r *models.Request) error {
		if err := s.recordGPC(ctx, tx, r, in.GPC); err != nil {
			return err
		}
		return s.sendVerification(ctx, tx, r)
	})
}

// Withdrawable reports whether the requester may still withdraw a request
// in this status.
func Withdrawable(status string) bool {
	_, err := lifecycle.Next(status, lifecycle.Withdraw)
	return err == nil
}

// WithdrawByRequester withdraws the request of a status-page token, as the
// staff withdraw action does: the request closes with outcome withdrawn,
// the withdraw event (reason as its note) and the "withdrawn" email commit
// together. A request that can no longer be withdrawn is
// lifecycle.ErrIllegal; a bad reason a *FieldError on "reason".
func (s *Service) WithdrawByRequester(ctx context.Context, statusToken, reason string) (out *models.Request, err error) {
	reason = strings.TrimSpace(reason)
	if err := plainText(reason, maxDetails, true); err != nil {
		return nil, fieldErr("reason", err.Error())
	}
	defer func() {
		if err == nil {
			s.dropAnswers(ctx, out)
		}
	}()
	return s.asRequester(ctx, statusToken, func(tx *models.Store, r *models.Request) error {
		from := r.Status
		to, err := lifecycle.Next(from, lifecycle.Withdraw)
		if err != nil {
			return err
		}
		now := s.clock()
		r.Status, r.ClosedAt, r.Outcome, r.UpdatedAt = to, &now, "withdrawn", now
		if err := tx.UpdateRequest(ctx, r); err != nil {
			return err
		}
		if err := s.event(ctx, tx, r, Requester, lifecycle.Withdraw, from, reason, false); err != nil {
			return err
		}
		link, err := s.statusLink(ctx, tx, r)
		if err != nil {
			return err
		}
		return s.email(ctx, tx, r, "withdrawn", emailExtras{Link: link})
	})
}

// Answer records the requester's answer to the question of a request
// awaiting them and resumes it, as the staff resume action does: where the
// regime pauses the clock, the due dates move later by the days spent
// waiting (the day asked and the day answered included). Two events commit
// together: "answer" (the text as its note) and "resume" (the clock's move
// as its note, as a staff resume writes it). A request not awaiting the
// requester is lifecycle.ErrIllegal; an empty or too long text a
// *FieldError on "answer".
func (s *Service) Answer(ctx context.Context, statusToken, text string) (*models.Request, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return nil, fieldErr("answer", "is required: write your answer to our question")
	case utf8.RuneCountInString(text) > MaxAnswer:
		return nil, fieldErr("answer", "is too long: at most 10000 characters")
	}
	if err := plainText(text, 4*MaxAnswer, true); err != nil {
		return nil, fieldErr("answer", err.Error())
	}
	return s.asRequester(ctx, statusToken, func(tx *models.Store, r *models.Request) error {
		from := r.Status
		to, err := lifecycle.Next(from, lifecycle.Resume)
		if err != nil {
			return err
		}
		if err := s.event(ctx, tx, r, Requester, "answer", from, text, false); err != nil {
			return err
		}
		now := s.clock()
		clockNote := s.resume(r, now)
		r.Status, r.UpdatedAt = to, now
		if err := tx.UpdateRequest(ctx, r); err != nil {
			return err
		}
		return s.event(ctx, tx, r, Requester, lifecycle.Resume, from, clockNote, false)
	})
}

// asRequester runs fn in one transaction on the request of a live
// status-page token.
func (s *Service) asRequester(ctx context.Context, statusToken string, fn func(tx *models.Store, r *models.Request) error) (*models.Request, error) {
	var out *models.Request
	err := s.store.InTx(ctx, func(tx *models.Store) error {
		_, r, err := s.lookupToken(ctx, tx, models.TokenStatus, statusToken)
		if err != nil {
			return err
		}
		if err := fn(tx, r); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, err
}
