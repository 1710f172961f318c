// Package outbox delivers the emails that workflows wrote to the outbox
// table. A message is claimed with a lease, sent with its own id as the
// provider's idempotency key, and marked sent; a sender that dies mid-send
// leaves the lease to expire, and the retry carries the same key, so the
// provider delivers it once.
package outbox

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/models"
)

// Defaults of a Dispatcher.
const (
	DefaultBatch = 20
	DefaultLease = 2 * time.Minute
	// GiveUpAfter stays inside Resend's 24-hour idempotency window: a retry
	// after that could be delivered a second time.
	GiveUpAfter = 23 * time.Hour
	firstDelay  = 10 * time.Second
	maxDelay    = time.Hour
	// recordTimeout bounds the write of a batch's outcomes, which goes on
	// after ctx ends: what the provider already accepted is worth keeping.
	recordTimeout = 10 * time.Second
)

// Dispatcher moves messages from the outbox to the provider.
type Dispatcher struct {
	Store *models.Store
	// Sender delivers; nil files every message in the dev outbox instead.
	Sender mail.Sender
	Now    func() time.Time
	Log    *slog.Logger
	Batch  int
	Lease  time.Duration
	// Concurrency is how many sends of a batch are in flight at once; 0 or
	// 1 sends them one after the other. The batch's outcomes are written
	// together once every send has answered.
	Concurrency int
}

// RunOnce claims one batch and handles each message, then records every
// outcome in one transaction. It returns how many messages it claimed.
// When ctx ends mid-batch the sends still unanswered are abandoned to
// their lease (the retry reuses their idempotency key), and the outcomes
// already known are recorded all the same.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	batch, lease := d.Batch, d.Lease
	if batch <= 0 {
		batch = DefaultBatch
	}
	if lease <= 0 {
		lease = DefaultLease
	}
	msgs, err := d.Store.ClaimOutbox(ctx, d.Now(), lease, batch)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	outs := make([]*models.OutboxOutcome, len(msgs))
	workers := min(max(d.Concurrency, 1), len(msgs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(msgs) || ctx.Err() != nil {
					return
				}
				outs[i] = d.deliver(ctx, &msgs[i])
			}
		})
	}
	wg.Wait()
	done := make([]models.OutboxOutcome, 0, len(msgs))
	for _, o := range outs {
		if o != nil {
			done = append(done, *o)
		}
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := d.Store.RecordOutboxOutcomes(rctx, done); err != nil {
		return len(msgs), err
	}
	if len(done) < len(msgs) {
		return len(msgs), ctx.Err()
	}
	return len(msgs), nil
}

// Run delivers until ctx ends, polling every interval and draining full
// batches without waiting.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.log().Error("outbox: batch failed", "error", err)
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// deliver sends one message and says what became of it; nil means ctx
// ended before the provider answered, and the message is left to its lease.
func (d *Dispatcher) deliver(ctx context.Context, m *models.OutboxMessage) *models.OutboxOutcome {
	now := d.Now()
	if d.Sender == nil {
		d.log().Info("outbox: email kept in the dev outbox (no RESEND_API_KEY)", "message_id", m.ID, "template", m.Template)
		return &models.OutboxOutcome{ID: m.ID, Status: models.OutboxDev, At: now}
	}
	providerID, err := d.Sender.Send(ctx, mail.Message{
		IdempotencyKey: m.ID, From: m.FromAddr, To: m.ToAddr,
		Subject: m.Subject, Text: m.TextBody, HTML: m.HTMLBody,
	})
	if err == nil {
		d.log().Info("outbox: email sent", "message_id", m.ID, "template", m.Template, "attempt", m.Attempts)
		return &models.OutboxOutcome{ID: m.ID, Status: models.OutboxSent, ProviderID: providerID, At: now}
	}
	if ctx.Err() != nil {
		// Shutting down: leave the lease to expire; the retry reuses the key.
		return nil
	}
	var se *mail.SendError
	if errors.As(err, &se) && se.Permanent {
		d.log().Warn("outbox: email refused by the provider", "message_id", m.ID, "template", m.Template, "error", err)
		return &models.OutboxOutcome{ID: m.ID, Status: models.OutboxFailed, Reason: err.Error()}
	}
	if now.Sub(m.CreatedAt) > GiveUpAfter {
		d.log().Error("outbox: giving up on email", "message_id", m.ID, "template", m.Template, "attempts", m.Attempts, "error", err)
		return &models.OutboxOutcome{ID: m.ID, Status: models.OutboxFailed, Reason: "gave up after " + GiveUpAfter.String() + ": " + err.Error()}
	}
	delay := Backoff(m.Attempts)
	if se != nil && se.RetryAfter > delay {
		delay = se.RetryAfter
	}
	d.log().Warn("outbox: email will be retried", "message_id", m.ID, "template", m.Template, "attempt", m.Attempts, "in", delay.String(), "error", err)
	return &models.OutboxOutcome{ID: m.ID, Status: models.OutboxPending, Next: now.Add(delay), Reason: err.Error()}
}

// Backoff is the delay before attempt n+1: 10 s doubling to an hour, with
// ±20 % jitter so that a provider outage does not end in a thundering herd.
func Backoff(attempt int) time.Duration {
	d := firstDelay
	for i := 1; i < attempt && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	jitter := time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
	return d + jitter
}

func (d *Dispatcher) log() *slog.Logger {
	if d.Log == nil {
		return slog.Default()
	}
	return d.Log
}
