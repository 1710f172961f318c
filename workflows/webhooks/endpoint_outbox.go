package webhooks

import (
	"context"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/models"
)

// EndpointOutbox is the webhook outbox of consent changes: deliveries to
// host endpoints, each signed with its endpoint's derived secret.
type EndpointOutbox struct {
	Store *models.Store
	Keys  secrets.Keys
}

// Claim leases due deliveries and looks up their endpoints.
func (o *EndpointOutbox) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Message, error) {
	claimed, err := o.Store.ClaimWebhookDeliveries(ctx, now, lease, limit)
	if err != nil || len(claimed) == 0 {
		return nil, err
	}
	endpoints := map[string]*models.WebhookEndpoint{}
	out := make([]Message, 0, len(claimed))
	for i := range claimed {
		w := &claimed[i]
		e, ok := endpoints[w.EndpointID]
		if !ok {
			if e, err = o.Store.GetWebhookEndpoint(ctx, w.EndpointID); err != nil {
				return nil, err
			}
			endpoints[w.EndpointID] = e
		}
		out = append(out, Message{
			ID: w.ID, Attempts: w.Attempts, URL: e.URL, Secret: o.Keys.WebhookSecret(e.ID), Body: []byte(w.Body),
			Headers: map[string]string{"Rightsdesk-Delivery": w.ID, "Rightsdesk-Event": w.EventType},
			// Enqueued while the endpoint was being disabled.
			Cancel: e.DisabledAt != nil,
		})
	}
	return out, nil
}

// Delivered marks a delivery delivered.
func (o *EndpointOutbox) Delivered(ctx context.Context, m *Message, httpStatus int, at time.Time) (bool, error) {
	return o.Store.MarkWebhookDelivered(ctx, m.ID, m.Attempts, httpStatus, at)
}

// Retry releases a delivery for another attempt.
func (o *EndpointOutbox) Retry(ctx context.Context, m *Message, next time.Time, httpStatus int, reason string) error {
	return o.Store.MarkWebhookRetry(ctx, m.ID, m.Attempts, next, httpStatus, reason)
}

// Cancel cancels a delivery.
func (o *EndpointOutbox) Cancel(ctx context.Context, m *Message) error {
	return o.Store.CancelWebhookDelivery(ctx, m.ID)
}
