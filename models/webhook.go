package models

import (
	"context"
	"time"

	"gorm.io/gorm"
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

// GetWebhookEndpoint loads one endpoint, disabled or not.
func (s *Store) GetWebhookEndpoint(ctx context.Context, id string) (*WebhookEndpoint, error) {
	var e WebhookEndpoint
	if err := s.with(ctx).Where("id = ?", id).Take(&e).Error; err != nil {
		return nil, translate(err)
	}
	return &e, nil
}

// ListWebhookEndpoints lists every endpoint, disabled ones included, newest
// first.
func (s *Store) ListWebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	var out []WebhookEndpoint
	err := s.with(ctx).Order("created_at DESC, id DESC").Find(&out).Error
	return out, translate(err)
}

// DisableWebhookEndpoint marks an endpoint disabled at at (keeping the
// first time when it already is) and cancels its undelivered deliveries.
// Call it in a transaction so that both happen or neither. An unknown id is
// ErrNotFound.
func (s *Store) DisableWebhookEndpoint(ctx context.Context, id string, at time.Time) error {
	res := s.with(ctx).Model(&WebhookEndpoint{}).Where("id = ?", id).
		Update("disabled_at", gorm.Expr("COALESCE(disabled_at, ?)", utc(at)))
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return translate(s.with(ctx).Model(&WebhookDelivery{}).
		Where("endpoint_id = ? AND status IN ?", id, []string{WebhookPending, WebhookSending}).
		Updates(map[string]any{"status": WebhookCancelled, "locked_until": nil}).Error)
}

// ClaimWebhookDeliveries leases up to limit deliveries that are due:
// pending ones whose next attempt has come, and sending ones whose lease ran
// out (their sender died). Each claim counts as an attempt; the returned
// Attempts is the claim's number, which the Mark methods take so that a
// sender whose lease ran out cannot overwrite a later claim's result. On
// PostgreSQL, SKIP LOCKED lets several senders claim disjoint batches;
// SQLite serialises writers anyway.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]WebhookDelivery, error) {
	return claimLeased(s, ctx, "webhook_deliveries", now, lease, limit,
		func(d *WebhookDelivery) (time.Time, string) { return d.NextAttemptAt, d.ID })
}

// MarkWebhookDelivered records that the endpoint answered 2xx to the claim
// numbered attempt. It reports false when the claim was no longer current
// (cancelled meanwhile, or its lease ran out and another sender took it).
func (s *Store) MarkWebhookDelivered(ctx context.Context, id string, attempt, httpStatus int, at time.Time) (bool, error) {
	res := s.with(ctx).Model(&WebhookDelivery{}).
		Where("id = ? AND status = ? AND attempts = ?", id, WebhookSending, attempt).
		Updates(map[string]any{"status": WebhookDelivered, "delivered_at": utc(at), "locked_until": nil,
			"last_status": httpStatus, "last_error": ""})
	return res.RowsAffected == 1, translate(res.Error)
}

// MarkWebhookRetry releases the claim numbered attempt for another attempt
// at next, keeping why this one failed (httpStatus 0: no HTTP answer).
func (s *Store) MarkWebhookRetry(ctx context.Context, id string, attempt int, next time.Time, httpStatus int, reason string) error {
	return releaseLeased(s, ctx, &WebhookDelivery{}, id, attempt, next, httpStatus, reason)
}

// releaseLeased is the retry both signed outboxes (webhook deliveries, task
// jobs) use: the claim numbered attempt, if still current, goes back to
// pending for next, keeping why it failed. Their status values are the
// same words ("sending", "pending").
func releaseLeased(s *Store, ctx context.Context, model any, id string, attempt int, next time.Time, httpStatus int, reason string) error {
	return translate(s.with(ctx).Model(model).
		Where("id = ? AND status = ? AND attempts = ?", id, "sending", attempt).
		Updates(map[string]any{"status": "pending", "next_attempt_at": utc(next), "locked_until": nil,
			"last_status": httpStatus, "last_error": reason}).Error)
}

// CancelWebhookDelivery cancels one undelivered delivery (its endpoint was
// disabled).
func (s *Store) CancelWebhookDelivery(ctx context.Context, id string) error {
	return translate(s.with(ctx).Model(&WebhookDelivery{}).
		Where("id = ? AND status IN ?", id, []string{WebhookPending, WebhookSending}).
		Updates(map[string]any{"status": WebhookCancelled, "locked_until": nil}).Error)
}

// GetWebhookDelivery loads one delivery, body included.
func (s *Store) GetWebhookDelivery(ctx context.Context, id string) (*WebhookDelivery, error) {
	var d WebhookDelivery
	if err := s.with(ctx).Where("id = ?", id).Take(&d).Error; err != nil {
		return nil, translate(err)
	}
	return &d, nil
}

// ListWebhookDeliveries lists an endpoint's deliveries (all endpoints' when
// endpointID is empty), newest first, without their bodies: lists never
// need them, and bodies hold personal data.
func (s *Store) ListWebhookDeliveries(ctx context.Context, endpointID string, limit int) ([]WebhookDelivery, error) {
	if limit <= 0 {
		limit = 50
	}
	q := s.with(ctx).Model(&WebhookDelivery{}).Omit("body")
	if endpointID != "" {
		q = q.Where("endpoint_id = ?", endpointID)
	}
	var out []WebhookDelivery
	err := q.Order("created_at DESC, id DESC").Limit(limit).Find(&out).Error
	return out, translate(err)
}

// WebhookStats sums up an endpoint's deliveries for the console and the
// API.
type WebhookStats struct {
	Pending         int // pending or being sent
	Delivered       int
	Cancelled       int
	LastError       string // why the latest failing undelivered delivery failed
	LastStatus      int    // its HTTP status (0: no answer)
	LastDeliveredAt *time.Time
}

// WebhookEndpointStats sums up the deliveries of the endpoints named, by
// endpoint id.
func (s *Store) WebhookEndpointStats(ctx context.Context, ids []string) (map[string]WebhookStats, error) {
	out := make(map[string]WebhookStats, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var counts []struct {
		EndpointID string
		Status     string
		N          int
	}
	err := s.with(ctx).Model(&WebhookDelivery{}).Select("endpoint_id, status, COUNT(*) AS n").
		Where("endpoint_id IN ?", ids).Group("endpoint_id, status").Scan(&counts).Error
	if err != nil {
		return nil, translate(err)
	}
	for _, c := range counts {
		st := out[c.EndpointID]
		switch c.Status {
		case WebhookPending, WebhookSending:
			st.Pending += c.N
		case WebhookDelivered:
			st.Delivered += c.N
		case WebhookCancelled:
			st.Cancelled += c.N
		}
		out[c.EndpointID] = st
	}
	// The latest ones, per endpoint: a handful of endpoints at most, and
	// MAX() over a timestamp loses its type on SQLite.
	for _, id := range ids {
		st := out[id]
		var last WebhookDelivery
		err := s.with(ctx).Omit("body").Where("endpoint_id = ? AND status = ?", id, WebhookDelivered).
			Order("delivered_at DESC").Limit(1).Find(&last).Error
		if err != nil {
			return nil, translate(err)
		}
		st.LastDeliveredAt = last.DeliveredAt
		var failing WebhookDelivery
		err = s.with(ctx).Omit("body").Where("endpoint_id = ? AND status IN ? AND last_error <> ''", id, []string{WebhookPending, WebhookSending}).
			Order("next_attempt_at DESC").Limit(1).Find(&failing).Error
		if err != nil {
			return nil, translate(err)
		}
		st.LastError, st.LastStatus = failing.LastError, failing.LastStatus
		out[id] = st
	}
	return out, nil
}
