package models

import (
	"context"
	"time"
)

// Webhook delivery states.
const (
	WebhookPending   = "pending"   // waiting for its next attempt
	WebhookSending   = "sending"   // claimed by a sender until LockedUntil
	WebhookDelivered = "delivered" // the endpoint answered 2xx
	WebhookCancelled = "cancelled" // its endpoint was disabled before delivery
)

// WebhookEndpoint is a host application's URL that hears of consent changes.
// Its signing secret is derived (secrets.Keys.WebhookSecret), never stored.
type WebhookEndpoint struct {
	ID          string
	URL         string
	Description string
	CreatedBy   string
	CreatedAt   time.Time
	DisabledAt  *time.Time
}

// WebhookDelivery is one message to one endpoint, written in the same
// transaction as the change it announces. Its ID is the delivery id the
// receiver uses to drop duplicates.
type WebhookDelivery struct {
	ID            string
	EndpointID    string
	EventType     string
	Body          string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LockedUntil   *time.Time
	LastError     string
	LastStatus    int
	CreatedAt     time.Time
	DeliveredAt   *time.Time
}

// CreateWebhookEndpoint stores an endpoint.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e *WebhookEndpoint) error {
	e.CreatedAt = utc(e.CreatedAt)
	return translate(s.with(ctx).Create(e).Error)
}

// ActiveWebhookEndpoints lists the endpoints that are not disabled, oldest
// first.
func (s *Store) ActiveWebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	var out []WebhookEndpoint
	err := s.with(ctx).Where("disabled_at IS NULL").Order("created_at, id").Find(&out).Error
	return out, translate(err)
}

// EnqueueWebhook stores a delivery.
func (s *Store) EnqueueWebhook(ctx context.Context, d *WebhookDelivery) error {
	d.CreatedAt = utc(d.CreatedAt)
	d.NextAttemptAt = utc(d.NextAttemptAt)
	if d.Status == "" {
		d.Status = WebhookPending
	}
	return translate(s.with(ctx).Create(d).Error)
}
