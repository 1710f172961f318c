package webhooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

// A delivery arrives signed, with its headers and the body as stored, and
// is marked delivered; a forged secret does not verify.
func TestDeliverySigned(t *testing.T) {
	e := newEnv(t)
	h := newHost(t, e.clock, http.StatusNoContent)
	id, secret := e.endpoint(h.URL + "/hooks/rightsdesk?team=privacy")
	e.change("0195a000-0000-7000-8000-000000000001")
	select {
	case <-e.queue.Woken():
	default:
		t.Fatal("the queue did not signal the committed delivery")
	}
	e.runOnce(1)

	got := h.requests()
	if len(got) != 1 {
		t.Fatalf("host got %d requests", len(got))
	}
	r, stored := got[0], e.deliveries()[0]
	if r.Body != stored.Body {
		t.Fatalf("body %q, stored %q", r.Body, stored.Body)
	}
	for k, want := range map[string]string{"Content-Type": "application/json", "User-Agent": "rightsdesk-webhooks",
		"Rightsdesk-Delivery": stored.ID, "Rightsdesk-Event": "consent.changed"} {
		if v := r.Header.Get(k); v != want {
			t.Errorf("%s: %q, want %q", k, v, want)
		}
	}
	sig := r.Header.Get("Rightsdesk-Signature")
	if err := webhooks.Verify(sig, []byte(r.Body), secret, e.clock.Now(), 5*time.Minute); err != nil {
		t.Fatalf("Verify: %v (header %q)", err, sig)
	}
	if secret != e.keys.WebhookSecret(id) {
		t.Fatal("the secret shown is not the endpoint's")
	}
	forged := e.keys.WebhookSecret("another-endpoint")
	if err := webhooks.Verify(sig, []byte(r.Body), forged, e.clock.Now(), 5*time.Minute); !errors.Is(err, webhooks.ErrSignatureMismatch) {
		t.Fatalf("a forged secret: %v", err)
	}
	if err := webhooks.Verify(sig, []byte(r.Body), secret, e.clock.Now().Add(10*time.Minute), 5*time.Minute); !errors.Is(err, webhooks.ErrSignatureTime) {
		t.Fatalf("a replay ten minutes later: %v", err)
	}

	var env webhooks.Envelope
	var data map[string]any
	env.Data = &data
	if err := json.Unmarshal([]byte(r.Body), &env); err != nil {
		t.Fatal(err)
	}
	if env.ID != "0195a000-0000-7000-8000-000000000001" || env.Type != "consent.changed" || data["purpose"] != "marketing_email" || !env.CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("envelope %+v %v", env, data)
	}

	d := e.deliveries()[0]
	if d.Status != models.WebhookDelivered || d.DeliveredAt == nil || !d.DeliveredAt.Equal(e.clock.Now()) ||
		d.LastStatus != http.StatusNoContent || d.Attempts != 1 || d.LockedUntil != nil {
		t.Fatalf("after delivery: %+v", d)
	}
	// Never sent again.
	e.clock.Add(48 * time.Hour)
	e.runOnce(0)
	if len(h.requests()) != 1 {
		t.Fatal("sent again after a 2xx")
	}
}

// A host that fails three times then answers 200 gets the same delivery
// four times, 10 s, 20 s and 40 s apart (plus at most 10 % jitter), and it
// is delivered once.
func TestRetriesWithBackoff(t *testing.T) {
	e := newEnv(t)
	h := newHost(t, e.clock, 500, 503, 500, 200)
	e.endpoint(h.URL)
	e.change("0195a000-0000-7000-8000-000000000002")

	for i, base := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second} {
		e.runOnce(1)
		d := e.deliveries()[0]
		wait := d.NextAttemptAt.Sub(e.clock.Now())
		if d.Status != models.WebhookPending || d.Attempts != i+1 || d.LastError == "" || d.LastStatus < 500 || d.LockedUntil != nil {
			t.Fatalf("after failure %d: %+v", i+1, d)
		}
		if wait < base || wait > base+base/10 {
			t.Fatalf("after failure %d: next attempt in %s, want %s to %s", i+1, wait, base, base+base/10)
		}
		// Not before its time.
		e.clock.Set(d.NextAttemptAt.Add(-time.Microsecond))
		e.runOnce(0)
		e.clock.Set(d.NextAttemptAt)
	}
	e.runOnce(1)

	got := h.requests()
	if len(got) != 4 {
		t.Fatalf("host got %d requests, want 4", len(got))
	}
	d := e.deliveries()[0]
	for i, r := range got {
		if r.Body != d.Body || r.Header.Get("Rightsdesk-Delivery") != d.ID {
			t.Fatalf("attempt %d differs: %s %q", i+1, r.Header.Get("Rightsdesk-Delivery"), r.Body)
		}
	}
	for i, base := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second} {
		if gap := got[i+1].At.Sub(got[i].At); gap < base || gap > base+base/10 {
			t.Errorf("gap %d: %s, want about %s", i+1, gap, base)
		}
	}
	if d.Status != models.WebhookDelivered || d.Attempts != 4 || d.LastStatus != 200 || d.LastError != "" {
		t.Fatalf("after delivery: %+v", d)
	}
	e.clock.Add(24 * time.Hour)
	e.runOnce(0)
	if len(h.requests()) != 4 {
		t.Fatal("sent again after a 2xx")
	}
}

func TestBackoff(t *testing.T) {
	for attempt, base := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second,
		9: 2560 * time.Second, 10: time.Hour, 50: time.Hour, 10000: time.Hour} {
		for range 20 {
			if d := webhooks.Backoff(attempt); d < base || d > base+base/10 {
				t.Fatalf("Backoff(%d) = %s, want %s plus up to 10 %%", attempt, d, base)
			}
		}
	}
}

// A host that is down (nothing listens) and comes back gets the delivery
// once; the failure is recorded without an HTTP status.
func TestHostDownThenBack(t *testing.T) {
	e := newEnv(t)
	h := newHost(t, e.clock)
	addr := h.Listener.Addr().String()
	h.Close()
	e.endpoint("http://" + addr + "/hook")
	e.change("0195a000-0000-7000-8000-000000000003")

	e.runOnce(1)
	d := e.deliveries()[0]
	if d.Status != models.WebhookPending || d.LastStatus != 0 || d.LastError == "" {
		t.Fatalf("while down: %+v", d)
	}
	e.clock.Add(time.Minute)
	e.runOnce(1) // still down: retried later again, never given up
	d = e.deliveries()[0]
	if d.Status != models.WebhookPending || d.Attempts != 2 {
		t.Fatalf("while still down: %+v", d)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	back := &host{clock: e.clock}
	back.Server = httptest.NewUnstartedServer(back)
	back.Listener.Close()
	back.Listener = ln
	back.Start()
	t.Cleanup(back.Close)

	e.clock.Add(time.Minute)
	e.runOnce(1)
	e.clock.Add(time.Hour)
	e.runOnce(0)
	if got := back.requests(); len(got) != 1 || got[0].Body != d.Body {
		t.Fatalf("host back: %d requests", len(got))
	}
	if d := e.deliveries()[0]; d.Status != models.WebhookDelivered || d.Attempts != 3 {
		t.Fatalf("after the host came back: %+v", d)
	}
}

// A redirect is a failure: the delivery is not bounced to another URL.
func TestRedirectNotFollowed(t *testing.T) {
	e := newEnv(t)
	h := newHost(t, e.clock, http.StatusFound, http.StatusOK)
	e.endpoint(h.URL + "/hook")
	e.change("0195a000-0000-7000-8000-000000000004")
	e.runOnce(1)
	if got := h.requests(); len(got) != 1 || got[0].Header.Get("Rightsdesk-Delivery") == "" {
		t.Fatalf("the redirect was followed: %d requests", len(got))
	}
	if d := e.deliveries()[0]; d.Status != models.WebhookPending || d.LastStatus != http.StatusFound {
		t.Fatalf("after a 302: %+v", d)
	}
	// A client of the caller's own is not allowed to follow redirects either.
	e.disp.Client = &http.Client{}
	e.clock.Add(time.Minute)
	e.runOnce(1)
	if got := h.requests(); len(got) != 2 {
		t.Fatalf("%d requests", len(got))
	}
}

// Two dispatchers over the same 20 deliveries deliver each exactly once.
func TestConcurrentDispatchersDeliverOnce(t *testing.T) {
	e := newEnv(t)
	h := newHost(t, e.clock)
	e.endpoint(h.URL + "/a")
	e.endpoint(h.URL + "/b")
	for i := range 10 {
		e.change(fmt.Sprintf("0195a000-0000-7000-8000-%012d", 100+i))
	}
	var wg sync.WaitGroup
	claimed := make([]int, 2)
	for i := range 2 {
		d := e.dispatcher()
		d.Batch = 3
		wg.Go(func() {
			for {
				n, err := d.RunOnce(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
				claimed[i] += n
			}
		})
	}
	wg.Wait()
	// One may have stopped while the other still held leases: one more run
	// finds nothing left.
	e.runOnce(0)
	got := h.requests()
	seen := map[string]int{}
	for _, r := range got {
		seen[r.Header.Get("Rightsdesk-Delivery")]++
	}
	if len(got) != 20 || len(seen) != 20 || claimed[0]+claimed[1] != 20 {
		t.Fatalf("host got %d requests of %d deliveries; claimed %v", len(got), len(seen), claimed)
	}
	for _, d := range e.deliveries() {
		if d.Status != models.WebhookDelivered || d.Attempts != 1 || seen[d.ID] != 1 {
			t.Fatalf("delivery %+v sent %d times", d, seen[d.ID])
		}
	}
	t.Logf("claimed %v on %s", claimed, e.store.Dialect())
}

// A sender that died mid-send leaves a lease; once it runs out another
// sender retries, and the dead one's late answer cannot overwrite the new
// claim.
func TestExpiredLeaseIsReclaimed(t *testing.T) {
	e := newEnv(t)
	h := newHost(t, e.clock)
	e.endpoint(h.URL)
	e.change("0195a000-0000-7000-8000-000000000005")
	dead, err := e.store.ClaimWebhookDeliveries(e.ctx, e.clock.Now(), time.Minute, 10)
	if err != nil || len(dead) != 1 {
		t.Fatalf("claim: %v %d", err, len(dead))
	}
	e.runOnce(0) // leased
	e.clock.Add(time.Minute + time.Second)
	e.runOnce(1)
	if len(h.requests()) != 1 {
		t.Fatal("not retried after the lease ran out")
	}
	ok, err := e.store.MarkWebhookDelivered(e.ctx, dead[0].ID, dead[0].Attempts, 200, e.clock.Now())
	if err != nil || ok {
		t.Fatalf("a stale claim was marked: %v %v", ok, err)
	}
	if err := e.store.MarkWebhookRetry(e.ctx, dead[0].ID, dead[0].Attempts, e.clock.Now(), 500, "late"); err != nil {
		t.Fatal(err)
	}
	if d := e.deliveries()[0]; d.Status != models.WebhookDelivered || d.Attempts != 2 {
		t.Fatalf("%+v", d)
	}
}

// Disabling an endpoint cancels what it has not received, in the same
// transaction; it gets nothing more, while the other endpoint does.
func TestDisableCancelsPending(t *testing.T) {
	e := newEnv(t)
	off, on := newHost(t, e.clock, 500), newHost(t, e.clock)
	offID, _ := e.endpoint(off.URL)
	onID, _ := e.endpoint(on.URL)
	e.change("0195a000-0000-7000-8000-000000000006")
	e.runOnce(2) // off fails and waits for a retry
	e.change("0195a000-0000-7000-8000-000000000007")

	if err := e.svc.DisableEndpoint(e.ctx, offID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DisableEndpoint(e.ctx, offID); err != nil {
		t.Fatalf("disabling twice: %v", err)
	}
	if err := e.svc.DisableEndpoint(e.ctx, "0195a000-0000-7000-8000-00000000ffff"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("unknown endpoint: %v", err)
	}
	e.change("0195a000-0000-7000-8000-000000000008")
	// A delivery written as the endpoint was being disabled (the enqueuing
	// transaction read it as active) is cancelled by the sender.
	if err := e.store.EnqueueWebhook(e.ctx, &models.WebhookDelivery{ID: "0195a000-0000-7000-8000-0000000000aa",
		EndpointID: offID, EventType: "consent.changed", Body: "{}", CreatedAt: e.clock.Now(), NextAttemptAt: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour)
	e.runOnce(3) // on's two, and the late one for off
	e.clock.Add(2 * time.Hour)
	e.runOnce(0)

	if n := len(off.requests()); n != 1 {
		t.Fatalf("the disabled endpoint got %d requests, want only the first attempt", n)
	}
	if n := len(on.requests()); n != 3 {
		t.Fatalf("the active endpoint got %d requests", n)
	}
	for _, d := range e.deliveries() {
		want := models.WebhookDelivered
		if d.EndpointID == offID {
			want = models.WebhookCancelled
		}
		if d.Status != want {
			t.Errorf("delivery to %s: %s, want %s", d.EndpointID, d.Status, want)
		}
	}
	views, err := e.svc.Endpoints(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range views {
		switch v.ID {
		case offID:
			if v.DisabledAt == nil || v.Pending != 0 || v.Cancelled != 3 || v.Delivered != 0 {
				t.Errorf("disabled endpoint: %+v", v)
			}
		case onID:
			if v.DisabledAt != nil || v.Pending != 0 || v.Delivered != 3 || v.LastDeliveredAt == nil {
				t.Errorf("active endpoint: %+v", v)
			}
		}
	}
}

// Run sends at once when a delivery commits, without waiting for its poll.
func TestRunWakesOnEnqueue(t *testing.T) {
	e := newEnv(t)
	arrived := make(chan struct{}, 1)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		select {
		case arrived <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(hs.Close)
	e.endpoint(hs.URL)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.disp.Run(ctx, time.Hour) }()
	t.Cleanup(func() { cancel(); <-done })

	e.change("0195a000-0000-7000-8000-000000000009")
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not wake on the committed delivery")
	}
}
