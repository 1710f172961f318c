package requests

import (
	"context"
	"strings"

	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
)

// withdrawsConsent: these request types are consent changes that
// rightsdesk makes itself once the requester is verified.
func withdrawsConsent(requestType string) bool {
	return requestType == "opt_out" || requestType == "consent_withdrawal"
}

// actOnConsent records the withdrawals a verified opt_out or
// consent_withdrawal request asks for (source "request", its reference as
// evidence), in the verification's transaction. A request the data subject
// made (relationship self) is then started; when no data system handles
// its type it completes at once and the requester is emailed what changed,
// else it completes when the systems' tasks are done. One made for
// someone else keeps the withdrawals (they only protect) but waits for
// staff to check the requester's authority before it is completed.
func (s *Service) actOnConsent(ctx context.Context, tx *models.Store, r *models.Request, actor Actor) error {
	purposes := r.Scope
	if r.Type == "consent_withdrawal" {
		purposes = r.Purposes
	}
	done, err := s.cfg.Consents.WithdrawForRequest(ctx, tx, actor.String(), r.Email, r.Reference, purposes)
	if err != nil {
		return err
	}
	note := "consent withdrawn: " + strings.Join(done, ", ")
	statusLink, err := s.statusLink(ctx, tx, r)
	if err != nil {
		return err
	}
	if r.Relationship != "" && r.Relationship != "self" {
		if err := s.event(ctx, tx, r, System, lifecycle.Note, r.Status, note+"; staff must check the requester's authority before completing", true); err != nil {
			return err
		}
		return s.email(ctx, tx, r, "received", emailExtras{Link: statusLink})
	}
	for _, action := range []string{lifecycle.Start, lifecycle.Complete} {
		from := r.Status
		to, err := lifecycle.Next(from, action)
		if err != nil {
			return err
		}
		now := s.clock()
		r.Status, r.UpdatedAt = to, now
		taskNote := ""
		if action == lifecycle.Start {
			// Systems that handle the type get their tasks; the request
			// then completes itself when the last one is done.
			if taskNote, _, err = s.startTasks(ctx, tx, r); err != nil {
				return err
			}
		} else {
			r.ClosedAt, r.Outcome, r.EscalationLevel = &now, "complied", 0
		}
		if err := tx.UpdateRequest(ctx, r); err != nil {
			return err
		}
		if err := s.event(ctx, tx, r, System, action, from, joinNotes(note, taskNote), false); err != nil {
			return err
		}
		if taskNote != "" {
			return s.email(ctx, tx, r, "received", emailExtras{Link: statusLink})
		}
	}
	centerLink, err := s.cfg.Consents.CenterLink(ctx, tx, r.Email)
	if err != nil {
		return err
	}
	return s.email(ctx, tx, r, "completed", emailExtras{Link: statusLink, Note: note,
		ConsentLink: centerLink, Purposes: s.cfg.Consents.PurposeChanges(done, "withdrawn")})
}

// recordGPC records the opt-out signalled by Sec-GPC: 1 on a public
// submission, in the submission's transaction.
func (s *Service) recordGPC(ctx context.Context, tx *models.Store, r *models.Request, gpc bool) error {
	if !gpc || s.cfg.Consents == nil {
		return nil
	}
	_, err := s.cfg.Consents.RecordGPC(ctx, tx, r.Email, "Sec-GPC: 1 with request "+r.Reference)
	return err
}
