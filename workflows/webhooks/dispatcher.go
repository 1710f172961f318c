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

// Message is one claimed message of an outbox the Dispatcher sends: a
// consent-change delivery to a host endpoint, or a job to a data system.
type Message struct {
	ID       string
	Attempts int // the claim's number, handed back to the outbox's marks
	URL      string
	Secret   string // signs the body (see Sign)
	Body     []byte
	Headers  map[string]string
	// Cancel says the target went away (an endpoint disabled, a task
	// answered) after the message was written: cancel it, do not send.
	Cancel bool
	// Ref is the outbox's own record of the message.
	Ref any
}

// Outbox is a table of messages sent by a Dispatcher: claimed under a
// lease, then marked delivered, retried or cancelled by claim number, so
// that a sender whose lease ran out cannot overwrite a later claim.
type Outbox interface {
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Message, error)
	// Delivered reports false when the claim was no longer current.
	Delivered(ctx context.Context, m *Message, httpStatus int, at time.Time) (bool, error)
	Retry(ctx context.Context, m *Message, next time.Time, httpStatus int, reason string) error
	Cancel(ctx context.Context, m *Message) error
}

// Dispatcher sends the messages of an outbox (by default the webhook
// outbox of consent changes) to their URLs. A message is claimed with a
// lease, signed at send time, and retried with backoff until its target
// answers 2xx or goes away; it is never given up on. Several dispatchers
// (one per server instance) may run at once.
type Dispatcher struct {
	// Outbox is what to send; nil means the webhook deliveries in Store,
	// signed with the endpoints' secrets derived from Keys.
	Outbox Outbox
	Store  *models.Store
	Keys   secrets.Keys
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

// RunOnce claims one batch and sends its messages, in parallel so that a
// slow target cannot hold the rest of the batch past its lease. It returns
// how many messages it claimed.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	batch, lease := d.batch(), d.lease()
	ob := d.outbox()
	claimed, err := ob.Claim(ctx, d.Now(), lease, batch)
	if err != nil || len(claimed) == 0 {
		return 0, err
	}
	client := d.client()
	errs := make([]error, len(claimed))
	var wg sync.WaitGroup
	for i := range claimed {
		wg.Go(func() { errs[i] = d.deliver(ctx, ob, client, &claimed[i], lease) })
	}
	wg.Wait()
	return len(claimed), errors.Join(errs...)
}

// Run delivers until ctx ends: at once when the queue signals a committed
// message, else every interval, and without waiting while batches come
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

// deliver sends one claimed message and records the outcome. Only ids and
// statuses are logged: the body holds personal data, and the URL may hold
// the target's own secret.
func (d *Dispatcher) deliver(ctx context.Context, ob Outbox, client *http.Client, m *Message, lease time.Duration) error {
	log := d.log().With("message_id", m.ID, "attempt", m.Attempts)
	if m.Cancel {
		log.Info("webhooks: target gone; message cancelled")
		return ob.Cancel(ctx, m)
	}
	// The send ends well inside the lease, so no other sender can claim
	// the message while this one may still deliver it.
	sctx, cancel := context.WithTimeout(ctx, lease/2)
	defer cancel()
	status, reason := d.send(sctx, client, m)
	now := d.Now()
	if reason == "" {
		ok, err := ob.Delivered(ctx, m, status, now)
		switch {
		case err != nil:
		case ok:
			log.Info("webhooks: delivered", "status", status)
		default:
			// Cancelled while in flight.
			log.Warn("webhooks: delivered, but the message was no longer claimed", "status", status)
		}
		return err
	}
	if ctx.Err() != nil {
		// Shutting down: the lease runs out and another sender retries.
		return ctx.Err()
	}
	delay := Backoff(m.Attempts)
	log.Warn("webhooks: delivery failed; will retry", "status", status, "in", delay.String())
	return ob.Retry(ctx, m, now.Add(delay), status, reason)
}

// send POSTs the body exactly as stored. It returns the HTTP status (0 when
// there was no answer) and, unless the target answered 2xx, why it failed.
func (d *Dispatcher) send(ctx context.Context, client *http.Client, m *Message) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return 0, "bad URL: " + err.Error()
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", userAgent)
	for k, v := range m.Headers {
		h.Set(k, v)
	}
	h.Set(SignatureHeader, Sign(m.Secret, d.Now(), m.Body))
	resp, err := client.Do(req)
	if err != nil {
		// The URL is left out of the reason: it may carry the target's token.
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

func (d *Dispatcher) outbox() Outbox {
	if d.Outbox != nil {
		return d.Outbox
	}
	return &EndpointOutbox{Store: d.Store, Keys: d.Keys}
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
