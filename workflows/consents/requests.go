package consents

import (
	"context"

	"github.com/rightsdesk/rightsdesk/models"
)

// GPCPurposes are withdrawn by a Global Privacy Control signal: the opt-out
// of sale and sharing, and of targeted advertising.
var GPCPurposes = []string{"sale_sharing", "targeted_ads"}

// WithdrawForRequest records, in the request's transaction, a withdraw
// event (source "request", the request's reference as evidence) for each
// purpose the policy knows, and returns the purposes withdrawn.
func (s *Service) WithdrawForRequest(ctx context.Context, tx *models.Store, actor, email, reference string, purposes []string) ([]string, error) {
	return s.withdrawAll(ctx, tx, actor, email, models.SourceRequest, reference, purposes)
}

// RecordGPC records, in the submission's transaction, the opt-out a
// browser's Sec-GPC: 1 header signals for the submitting email.
func (s *Service) RecordGPC(ctx context.Context, tx *models.Store, email, evidence string) ([]string, error) {
	return s.withdrawAll(ctx, tx, "requester", email, models.SourceGPC, evidence, GPCPurposes)
}

func (s *Service) withdrawAll(ctx context.Context, tx *models.Store, actor, email, source, evidence string, purposes []string) ([]string, error) {
	var done []string
	for _, p := range purposes {
		if _, ok := s.purpose[p]; !ok {
			continue
		}
		ev, err := s.validate(RecordInput{Identity: Identity{Email: email}, Purpose: p,
			Action: models.ConsentWithdraw, Source: source, Evidence: evidence})
		if err != nil {
			return nil, err
		}
		if _, _, err := s.record(ctx, tx, actor, ev); err != nil {
			return nil, err
		}
		done = append(done, p)
	}
	return done, nil
}
