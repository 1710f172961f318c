package requests

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/clocks"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
)

// Submit takes a request from the public intake. It is stored unverified,
// its clock already running (receipt is when it reached us), and a
// verification email is queued in the same transaction.
func (s *Service) Submit(ctx context.Context, in Input) (*models.Request, error) {
	v, err := s.validate(in)
	if err != nil {
		return nil, err
	}
	return s.create(ctx, v, "api", s.clock(), Requester, "submit", "", func(tx *models.Store, r *models.Request) error {
		if err := s.recordGPC(ctx, tx, r, in.GPC); err != nil {
			return err
		}
		return s.sendVerification(ctx, tx, r)
	})
}

// StaffInput is a request received by another channel (post, phone, email).
type StaffInput struct {
	Input
	ReceivedAt time.Time
	// Verified says staff already checked the requester's identity; if not,
	// the requester is sent a verification email as for a web request.
	Verified bool
}

// SubmitForRequester records a request staff received elsewhere, with its
// original receipt time: the clock runs from then, not from now.
func (s *Service) SubmitForRequester(ctx context.Context, actor Actor, in StaffInput) (*models.Request, error) {
	now := s.clock()
	if in.ReceivedAt.IsZero() {
		return nil, fieldErr("received_at", "is required: when the request reached the organisation")
	}
	if in.ReceivedAt.After(now.Add(time.Minute)) {
		return nil, fieldErr("received_at", "is in the future")
	}
	v, err := s.validate(in.Input)
	if err != nil {
		return nil, err
	}
	received := in.ReceivedAt.UTC().Truncate(time.Microsecond)
	note := "received " + received.Format(time.RFC3339)
	return s.create(ctx, v, "staff", received, actor, "intake", note, func(tx *models.Store, r *models.Request) error {
		if !in.Verified {
			return s.sendVerification(ctx, tx, r)
		}
		return s.markVerified(ctx, tx, r, actor, now)
	})
}

// create stores a new request and its first event, then runs then (the
// verification step), all in one transaction under a fresh reference.
func (s *Service) create(ctx context.Context, v *validated, source string, received time.Time, actor Actor, action, note string,
	then func(tx *models.Store, r *models.Request) error) (*models.Request, error) {
	var out *models.Request
	err := s.withReference(ctx, func(ref string) error {
		return s.store.InTx(ctx, func(tx *models.Store) error {
			if err := s.checkRelated(ctx, tx, v); err != nil {
				return err
			}
			r := s.newRequest(v, ref, source, received)
			if err := tx.CreateRequest(ctx, r); err != nil {
				return err
			}
			if err := s.event(ctx, tx, r, actor, action, "", note, false); err != nil {
				return err
			}
			if err := then(tx, r); err != nil {
				return err
			}
			out = r
			return nil
		})
	})
	return out, err
}

// newRequest builds the row and runs the clocks of its regime.
func (s *Service) newRequest(v *validated, ref, source string, received time.Time) *models.Request {
	rules, cal := s.policy.Rules(v.Regime), s.policy.Calendar(v.Regime)
	due := clocks.DueAt(received, rules, v.Type, v.ConcernsChild, cal)
	r := &models.Request{
		ID: uuid.Must(uuid.NewV7()).String(), Reference: ref, Type: v.Type,
		Status: lifecycle.PendingVerification, Regime: v.Regime, Relationship: v.Relationship,
		Source: source, Email: v.Email, EmailNorm: v.emailNorm, Name: v.Name,
		Country: v.Country, Region: v.Region, Details: v.Details,
		Scope: v.Scope, Purposes: v.Purposes, Corrections: v.Corrections, Nominee: v.Nominee,
		RelatedReference: v.RelatedReference, ConcernsChild: v.ConcernsChild,
		ReceivedAt: received, DueAt: due, DeadlineAt: due,
		CreatedAt: s.clock(), UpdatedAt: s.clock(),
	}
	if ack, ok := clocks.AckDueAt(received, rules, v.Type, cal); ok {
		r.AckDueAt = &ack
	}
	return r
}

// checkRelated enforces the contract on related_reference: an appeal must
// name a denied request of the same email; a grievance may name any earlier
// request of the same email. Another person's reference is "not found", so
// the field cannot be used to probe references.
func (s *Service) checkRelated(ctx context.Context, tx *models.Store, v *validated) error {
	if v.RelatedReference == "" {
		return nil
	}
	rel, err := tx.GetRequestByReference(ctx, v.RelatedReference)
	if errors.Is(err, models.ErrNotFound) || (err == nil && rel.EmailNorm != v.emailNorm) {
		return fieldErr("related_reference", "names no request made with this email")
	}
	if err != nil {
		return err
	}
	if v.Type == "appeal" && rel.Status != lifecycle.Denied {
		return fieldErr("related_reference", "an appeal must name a denied request")
	}
	return nil
}

// withReference retries fn with a fresh reference on the (rare) collision.
func (s *Service) withReference(ctx context.Context, fn func(ref string) error) error {
	var err error
	for range 3 {
		err = fn(newReference())
		var dupe bool
		if err != nil && errors.Is(err, models.ErrDuplicate) && strings.Contains(err.Error(), "reference") {
			dupe = true
		}
		if !dupe {
			return err
		}
	}
	return fmt.Errorf("requests: could not allocate a reference: %w", err)
}

// newReference makes a reference people can read out on the phone:
// DSR-XXXX-XXXX, 40 random bits in base32 (no 0/1/8/9 to confuse with O/I/B/g).
func newReference() string {
	t := rand.Text()
	return "DSR-" + t[:4] + "-" + t[4:8]
}
