package webhooks_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

// clock is a settable clock: retries are tested by moving it, never by
// sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// env is a store, a service and a dispatcher sharing one clock.
type env struct {
	t     *testing.T
	ctx   context.Context
	store *models.Store
	keys  secrets.Keys
	clock *clock
	queue *webhooks.Queue
	svc   *webhooks.Service
	disp  *webhooks.Dispatcher
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), store: testdb.Open(t),
		keys:  secrets.Derive([]byte("test secret of at least thirty-two bytes!")),
		clock: &clock{t: time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)}, queue: webhooks.NewQueue()}
	e.svc = webhooks.NewService(e.store, e.keys, e.queue, e.clock.Now)
	e.disp = e.dispatcher()
	return e
}

func (e *env) dispatcher() *webhooks.Dispatcher {
	return &webhooks.Dispatcher{Store: e.store, Keys: e.keys, Queue: e.queue, Now: e.clock.Now, Log: quiet}
}

// endpoint registers url and returns its id and signing secret.
func (e *env) endpoint(url string) (string, string) {
	e.t.Helper()
	ep, secret, err := e.svc.CreateEndpoint(e.ctx, url, "test host", "admin@example.com")
	if err != nil {
		e.t.Fatal(err)
	}
	return ep.ID, secret
}

// change enqueues one consent change to every active endpoint, as the
// consent workflow does.
func (e *env) change(id string) {
	e.t.Helper()
	data := map[string]any{"event_id": id, "email": "ana@example.com", "purpose": "marketing_email",
		"action": "withdraw", "granted": false, "source": "api", "policy_version": "2026-01", "at": e.clock.Now()}
	err := e.store.InTx(e.ctx, func(tx *models.Store) error {
		return e.queue.Enqueue(e.ctx, tx, id, "consent.changed", data, e.clock.Now())
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// runOnce runs the dispatcher once and checks how many it claimed.
func (e *env) runOnce(want int) {
	e.t.Helper()
	n, err := e.disp.RunOnce(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if n != want {
		e.t.Fatalf("claimed %d, want %d", n, want)
	}
}

// deliveries lists every delivery, body included, oldest first.
func (e *env) deliveries() []models.WebhookDelivery {
	e.t.Helper()
	list, err := e.store.ListWebhookDeliveries(e.ctx, "", 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	out := make([]models.WebhookDelivery, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		d, err := e.store.GetWebhookDelivery(e.ctx, list[i].ID)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, *d)
	}
	return out
}

// received is one request a host got.
type received struct {
	At     time.Time // the test clock's time
	Header http.Header
	Body   string
}

// host is a receiving application: it records every request and answers
// with the next of its statuses (the last one repeats).
type host struct {
	*httptest.Server
	clock    *clock
	mu       sync.Mutex
	statuses []int
	got      []received
}

func newHost(t *testing.T, c *clock, statuses ...int) *host {
	h := &host{clock: c, statuses: statuses}
	h.Server = httptest.NewServer(h)
	t.Cleanup(h.Close)
	return h
}

func (h *host) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.got = append(h.got, received{At: h.clock.Now(), Header: r.Header.Clone(), Body: string(body)})
	status := http.StatusOK
	if len(h.statuses) > 0 {
		status = h.statuses[0]
		if len(h.statuses) > 1 {
			h.statuses = h.statuses[1:]
		}
	}
	h.mu.Unlock()
	if status >= 300 && status < 400 {
		w.Header().Set("Location", "/elsewhere")
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte("answer from the host"))
}

func (h *host) requests() []received {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]received(nil), h.got...)
}
