package consents

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates"
)

// email renders a message to a subject and writes it to the outbox in the
// caller's transaction.
func (s *Service) email(ctx context.Context, tx *models.Store, to, name string, data templates.EmailData) error {
	data.OrgName = s.policy.Organization.Name
	msg, err := templates.RenderEmail(name, data)
	if err != nil {
		return fmt.Errorf("consents: render %s email: %w", name, err)
	}
	now := s.clock()
	return tx.EnqueueEmail(ctx, &models.OutboxMessage{
		ID: uuid.Must(uuid.NewV7()).String(), Template: name, ToAddr: to, FromAddr: s.from,
		Subject: msg.Subject, TextBody: msg.Text, HTMLBody: msg.HTML, CreatedAt: now, NextAttemptAt: now,
	})
}

// PurposeChanges lists purposes with a state, titled from the policy, for
// emails.
func (s *Service) PurposeChanges(purposes []string, state string) []templates.PurposeChange {
	out := make([]templates.PurposeChange, 0, len(purposes))
	for _, key := range purposes {
		title := key
		if p, ok := s.policy.Purpose(key); ok && p.Title != "" {
			title = p.Title
		}
		out = append(out, templates.PurposeChange{Title: title, State: state})
	}
	return out
}
