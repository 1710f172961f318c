// Package webhooks tells host applications of changes: a delivery per
// active endpoint is written to the webhook outbox in the transaction of the
// change, then sent signed, retried with backoff until the endpoint answers
// 2xx (never lost, never sent again after a 2xx).
package webhooks

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/rightsdesk/rightsdesk/models"
)

// Envelope is the JSON body of every delivery.
type Envelope struct {
	// ID identifies the change (not the delivery): the same in every
	// endpoint's delivery and in every retry, so receivers drop duplicates
	// by it.
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Data      any       `json:"data"`
}

// Queue writes deliveries and wakes the dispatcher when they commit.
type Queue struct {
	wake chan struct{}
}

// NewQueue returns a queue.
func NewQueue() *Queue { return &Queue{wake: make(chan struct{}, 1)} }

// Woken signals after a transaction that enqueued deliveries committed.
func (q *Queue) Woken() <-chan struct{} { return q.wake }

// Notify wakes the dispatcher (call it after a commit that wrote messages).
func (q *Queue) Notify() {
	select {
	case q.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Enqueue writes one delivery of the change to every active endpoint, in tx.
// id identifies the change (see Envelope.ID).
func (q *Queue) Enqueue(ctx context.Context, tx *models.Store, id, eventType string, data any, now time.Time) error {
	endpoints, err := tx.ActiveWebhookEndpoints(ctx)
	if err != nil || len(endpoints) == 0 {
		return err
	}
	body, err := json.Marshal(Envelope{ID: id, Type: eventType, CreatedAt: now.UTC(), Data: data})
	if err != nil {
		return err
	}
	for _, e := range endpoints {
		if err := tx.EnqueueWebhook(ctx, &models.WebhookDelivery{
			ID: uuid.Must(uuid.NewV7()).String(), EndpointID: e.ID, EventType: eventType,
			Body: string(body), CreatedAt: now, NextAttemptAt: now,
		}); err != nil {
			return err
		}
	}
	tx.AfterCommit(q.Notify)
	return nil
}
