package webhooks

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/models"
)

// Defaults of a Dispatcher.
const (
	DefaultBatch = 20
	// DefaultLease is far longer than one send (the client's 10 s timeout):
	// a lease that ran out means the sender died, not that it is slow.
	DefaultLease  = 2 * time.Minute
	clientTimeout = 10 * time.Second
	firstDelay    = 10 * time.Second
	maxDelay      = time.Hour
	// maxResponse is how much of an endpoint's answer is read (and
	// dropped, so that the connection can be reused).
	maxResponse = 4 << 10
	userAgent   = "rightsdesk-webhooks"
)

// Dispatcher sends the deliveries of the webhook outbox to their endpoints.
// A delivery is claimed with a lease, signed at send time, and retried with
// backoff until its endpoint answers 2xx or is disabled; it is never given
// up on. Several dispatchers (one per server instance) may run at once.
type Dispatcher struct {
	Store *models.Store
	Keys  secrets.Keys
	// Queue wakes Run as soon as a delivery commits; nil: Run only polls.
	Queue *Queue
	// Client sends; nil means a client with a 10 s timeout. Redirects are
	// never followed, whatever the client says.
	Client *http.Client
	Now    func() time.Time
	Log    *slog.Logger
	Batch  int
	Lease  time.Duration
}

// RunOnce claims one batch and sends its deliveries, in parallel so that a
// slow endpoint cannot hold the rest of the batch past its lease. It returns
// how many deliveries it claimed.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	batch, lease := d.batch(), d.lease()
	claimed, err := d.Store.ClaimWebhookDeliveries(ctx, d.Now(), lease, batch)
	if err != nil || len(claimed) == 0 {
		return 0, err
	}
	endpoints := map[string]*models.WebhookEndpoint{}
	for _, w := range claimed {
		if _, ok := endpoints[w.EndpointID]; ok {
			continue
		}
		e, err := d.Store.GetWebhookEndpoint(ctx, w.EndpointID)
		if err != nil {
			return 0, err
		}
		endpoints[w.EndpointID] = e
	}
	client := d.client()
	errs := make([]error, len(claimed))
	var wg sync.WaitGroup
	for i := range claimed {
		wg.Go(func() { errs[i] = d.deliver(ctx, client, endpoints[claimed[i].EndpointID], &claimed[i], lease) })
	}
	wg.Wait()
	return len(claimed), errors.Join(errs...)
}

// Run delivers until ctx ends: at once when the queue signals a committed
// delivery, else every interval, and without waiting while batches come
// back full.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var woken <-chan struct{}
	if d.Queue != nil {
		woken = d.Queue.Woken()
	}
	for {
		n, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.log().Error("webhooks: batch failed", "error", err)
		}
		if n >= d.batch() && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-woken:
		}
	}
}

// deliver sends one claimed delivery and records the outcome. Only ids and
// statuses are logged: the body holds personal data, and the URL may hold
// the host's own secret.
func (d *Dispatcher) deliver(ctx context.Context, client *http.Client, e *models.WebhookEndpoint, w *models.WebhookDelivery, lease time.Duration) error {
	log := d.log().With("delivery_id", w.ID, "endpoint_id", w.EndpointID, "attempt", w.Attempts)
	if e.DisabledAt != nil {
		// Enqueued while the endpoint was being disabled.
		log.Info("webhooks: endpoint disabled; delivery cancelled")
		return d.Store.CancelWebhookDelivery(ctx, w.ID)
	}
	// The send ends well inside the lease, so no other sender can claim
	// the delivery while this one may still deliver it.
	sctx, cancel := context.WithTimeout(ctx, lease/2)
	defer cancel()
	status, reason := d.send(sctx, client, e, w)
	now := d.Now()
	if reason == "" {
		ok, err := d.Store.MarkWebhookDelivered(ctx, w.ID, w.Attempts, status, now)
		switch {
		case err != nil:
		case ok:
			log.Info("webhooks: delivered", "status", status)
		default:
			// Cancelled while in flight (its endpoint was disabled).
			log.Warn("webhooks: delivered, but the delivery was no longer claimed", "status", status)
		}
		return err
	}
	if ctx.Err() != nil {
		// Shutting down: the lease runs out and another sender retries.
		return ctx.Err()
	}
	delay := Backoff(w.Attempts)
	log.Warn("webhooks: delivery failed; will retry", "status", status, "in", delay.String())
	return d.Store.MarkWebhookRetry(ctx, w.ID, w.Attempts, now.Add(delay), status, reason)
}

// send POSTs the body exactly as stored. It returns the HTTP status (0 when
// there was no answer) and, unless the endpoint answered 2xx, why it failed.
func (d *Dispatcher) send(ctx context.Context, client *http.Client, e *models.WebhookEndpoint, w *models.WebhookDelivery) (int, string) {
	body := []byte(w.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "bad endpoint URL: " + err.Error()
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", userAgent)
	h.Set(SignatureHeader, Sign(d.Keys.WebhookSecret(e.ID), d.Now(), body))
	h.Set("Rightsdesk-Delivery", w.ID)
	h.Set("Rightsdesk-Event", w.EventType)
	resp, err := client.Do(req)
	if err != nil {
		// The URL is left out of the reason: it may carry the host's token.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err.Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, ""
	}
	reason := "HTTP " + strconv.Itoa(resp.StatusCode)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		reason += " (redirects are not followed)"
	}
	return resp.StatusCode, reason
}

// Backoff is the delay after the attempt-th attempt failed: 10 s doubling
// to an hour, plus up to 10 % jitter so that endpoints coming back after an
// outage are not hit by every delivery at once.
func Backoff(attempt int) time.Duration {
	d := firstDelay
	for i := 1; i < attempt && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}

// client is the configured client (or the default one) that never follows
// a redirect: a 3xx is a failure, so a delivery cannot be bounced to a URL
// nobody registered.
func (d *Dispatcher) client() *http.Client {
	c := http.Client{Timeout: clientTimeout}
	if d.Client != nil {
		c = *d.Client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func (d *Dispatcher) batch() int {
	if d.Batch <= 0 {
		return DefaultBatch
	}
	return d.Batch
}

func (d *Dispatcher) lease() time.Duration {
	if d.Lease <= 0 {
		return DefaultLease
	}
	return d.Lease
}

func (d *Dispatcher) log() *slog.Logger {
	if d.Log == nil {
		return slog.Default()
	}
	return d.Log
}
