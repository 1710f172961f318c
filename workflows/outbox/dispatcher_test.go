package outbox_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/internal/testutil/fakeresend"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/outbox"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func enqueue(t *testing.T, s *models.Store, now time.Time, n int) {
	t.Helper()
	for i := range n {
		m := &models.OutboxMessage{ID: fmt.Sprintf("msg-%02d", i), Template: "verify", ToAddr: fmt.Sprintf("p%d@example.com", i),
			FromAddr: "Example Org <privacy@example.com>", Subject: "Confirm", TextBody: "text", HTMLBody: "<p>html</p>",
			CreatedAt: now, NextAttemptAt: now}
		if err := s.EnqueueEmail(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
}

func resendSender(t *testing.T, fake *fakeresend.Server) *mail.Resend {
	t.Helper()
	rs, err := mail.NewResend("re_test_key", fake.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestDeliversEachMessageOnceWithItsIdempotencyKey(t *testing.T) {
	ctx := context.Background()
	s := testdb.Open(t)
	fake := fakeresend.New(t)
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	enqueue(t, s, clk.Now(), 3)
	d := &outbox.Dispatcher{Store: s, Sender: resendSender(t, fake), Now: clk.Now}
	if n, err := d.RunOnce(ctx); err != nil || n != 3 {
		t.Fatalf("RunOnce: %d, %v", n, err)
	}
	if n, _ := d.RunOnce(ctx); n != 0 {
		t.Fatalf("second run claimed %d sent messages", n)
	}
	emails := fake.Emails()
	if len(emails) != 3 || fake.Attempts() != 3 {
		t.Fatalf("emails %d attempts %d", len(emails), fake.Attempts())
	}
	for _, e := range emails {
		if e.IdempotencyKey == "" || e.From != "Example Org <privacy@example.com>" || e.Text != "text" || e.HTML != "<p>html</p>" {
			t.Fatalf("email not as queued: %+v", e)
		}
	}
	m, _ := s.GetOutboxMessage(ctx, "msg-00")
	if m.Status != models.OutboxSent || m.ProviderID == "" || m.TextBody != "" {
		t.Fatalf("sent message: %+v", m)
	}
}

// dyingSender delivers the first `survive` messages, then delivers one more
// and "crashes" before the dispatcher can record it.
type dyingSender struct {
	inner   mail.Sender
	survive int
	cancel  context.CancelFunc
	n       int
}

func (d *dyingSender) Send(ctx context.Context, m mail.Message) (string, error) {
	id, err := d.inner.Send(ctx, m)
	d.n++
	if d.n > d.survive {
		d.cancel()
		return "", context.Canceled
	}
	return id, err
}

func TestRestartMidBatchSendsNothingTwice(t *testing.T) {
	s := testdb.Open(t)
	fake := fakeresend.New(t)
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	enqueue(t, s, clk.Now(), 5)

	ctx, cancel := context.WithCancel(context.Background())
	first := &outbox.Dispatcher{Store: s, Sender: &dyingSender{inner: resendSender(t, fake), survive: 2, cancel: cancel}, Now: clk.Now, Lease: time.Minute}
	if _, err := first.RunOnce(ctx); err == nil {
		t.Fatal("the dying sender should have stopped the batch")
	}
	if got := len(fake.Emails()); got != 3 {
		t.Fatalf("before the restart the provider has %d emails, want 3 (2 recorded + 1 unrecorded)", got)
	}
	// A new process starts; the dead one's leases expire.
	clk.Add(2 * time.Minute)
	second := &outbox.Dispatcher{Store: s, Sender: resendSender(t, fake), Now: clk.Now, Lease: time.Minute}
	if _, err := second.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	emails := fake.Emails()
	if len(emails) != 5 {
		t.Fatalf("provider delivered %d distinct emails, want 5", len(emails))
	}
	seen := map[string]bool{}
	for _, e := range emails {
		if seen[e.IdempotencyKey] {
			t.Fatalf("idempotency key %s delivered twice", e.IdempotencyKey)
		}
		seen[e.IdempotencyKey] = true
	}
	// The unrecorded message was retried with the same key: 6 attempts.
	if fake.Attempts() != 6 {
		t.Fatalf("attempts = %d, want 6", fake.Attempts())
	}
	sent, _ := s.ListOutbox(context.Background(), models.OutboxFilter{Status: models.OutboxSent})
	if len(sent) != 5 {
		t.Fatalf("%d messages marked sent, want 5", len(sent))
	}
}

func TestRetriesTransientFailuresAndFailsPermanentOnes(t *testing.T) {
	ctx := context.Background()
	s := testdb.Open(t)
	fake := fakeresend.New(t)
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	enqueue(t, s, clk.Now(), 1)
	d := &outbox.Dispatcher{Store: s, Sender: resendSender(t, fake), Now: clk.Now}

	fake.FailNext(1, http.StatusServiceUnavailable)
	d.RunOnce(ctx)
	m, _ := s.GetOutboxMessage(ctx, "msg-00")
	if m.Status != models.OutboxPending || m.LastError == "" || !m.NextAttemptAt.After(clk.Now()) {
		t.Fatalf("after a 503 the message should wait for a retry: %+v", m)
	}
	if n, _ := d.RunOnce(ctx); n != 0 {
		t.Fatal("retried before its backoff elapsed")
	}
	clk.Add(time.Minute)
	d.RunOnce(ctx)
	if m, _ = s.GetOutboxMessage(ctx, "msg-00"); m.Status != models.OutboxSent {
		t.Fatalf("after the backoff: %+v", m)
	}

	bad := &models.OutboxMessage{ID: "bad", Template: "verify", ToAddr: "x@example.com", FromAddr: "a@example.com", Subject: "s", TextBody: "t", HTMLBody: "h", CreatedAt: clk.Now(), NextAttemptAt: clk.Now()}
	s.EnqueueEmail(ctx, bad)
	fake.FailNext(1, http.StatusUnprocessableEntity)
	d.RunOnce(ctx)
	if m, _ = s.GetOutboxMessage(ctx, "bad"); m.Status != models.OutboxFailed || m.LastError == "" {
		t.Fatalf("a validation error should fail the message with its reason: %+v", m)
	}
}

func TestGivesUpInsideTheIdempotencyWindow(t *testing.T) {
	ctx := context.Background()
	s := testdb.Open(t)
	fake := fakeresend.New(t)
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	enqueue(t, s, clk.Now(), 1)
	d := &outbox.Dispatcher{Store: s, Sender: resendSender(t, fake), Now: clk.Now}
	clk.Add(outbox.GiveUpAfter + time.Minute)
	fake.FailNext(1, http.StatusInternalServerError)
	d.RunOnce(ctx)
	if m, _ := s.GetOutboxMessage(ctx, "msg-00"); m.Status != models.OutboxFailed {
		t.Fatalf("a message older than the window must not be retried: %+v", m)
	}
}

func TestDevOutboxKeepsMessages(t *testing.T) {
	ctx := context.Background()
	s := testdb.Open(t)
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	enqueue(t, s, clk.Now(), 2)
	d := &outbox.Dispatcher{Store: s, Now: clk.Now}
	d.RunOnce(ctx)
	dev, _ := s.ListOutbox(ctx, models.OutboxFilter{Status: models.OutboxDev})
	if len(dev) != 2 || dev[0].TextBody == "" {
		t.Fatalf("dev outbox should keep both messages with bodies: %+v", dev)
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	for a := 1; a <= 12; a++ { // 10 s doubling, capped at an hour, ±20 %
		d := outbox.Backoff(a)
		lo := min(10*time.Second<<(a-1), time.Hour) * 8 / 10
		hi := min(10*time.Second<<(a-1), time.Hour) * 12 / 10
		if d < lo || d > hi {
			t.Fatalf("attempt %d: backoff %v outside [%v, %v]", a, d, lo, hi)
		}
	}
}

// Concurrent sends: every message of every batch is delivered once with its
// key, the transient failures among them wait for their retry, and each
// outcome is recorded.
func TestConcurrentBatchesDeliverEachOnce(t *testing.T) {
	ctx := context.Background()
	s := testdb.Open(t)
	fake := fakeresend.New(t)
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	enqueue(t, s, clk.Now(), 45)
	fake.FailNext(3, http.StatusServiceUnavailable)
	d := &outbox.Dispatcher{Store: s, Sender: resendSender(t, fake), Now: clk.Now, Batch: 20, Concurrency: 8}
	claimed := 0
	for {
		n, err := d.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		claimed += n
	}
	if claimed != 45 || len(fake.Emails()) != 42 {
		t.Fatalf("claimed %d, delivered %d; want 45 and 42 (3 failed)", claimed, len(fake.Emails()))
	}
	retry, _ := s.ListOutbox(ctx, models.OutboxFilter{Status: models.OutboxPending})
	if len(retry) != 3 || retry[0].LastError == "" {
		t.Fatalf("the 3 failed sends should wait for a retry: %+v", retry)
	}
	clk.Add(time.Minute)
	if n, err := d.RunOnce(ctx); n != 3 || err != nil {
		t.Fatalf("retry run: %d, %v", n, err)
	}
	emails := fake.Emails()
	seen := map[string]bool{}
	for _, e := range emails {
		if seen[e.IdempotencyKey] {
			t.Fatalf("key %s delivered twice", e.IdempotencyKey)
		}
		seen[e.IdempotencyKey] = true
	}
	sent, _ := s.ListOutbox(ctx, models.OutboxFilter{Status: models.OutboxSent})
	if len(emails) != 45 || len(sent) != 45 || fake.Attempts() != 48 {
		t.Fatalf("delivered %d, marked sent %d, attempts %d; want 45, 45, 48", len(emails), len(sent), fake.Attempts())
	}
}
