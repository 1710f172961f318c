package consents_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/cachebus"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/consents"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

var ctx = context.Background()

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	svc   *consents.Service
	store *models.Store
	clock *clock
	queue *webhooks.Queue
	bus   *cachebus.Bus
}

// newFixture opens a fresh database and a service over it, with its cache
// bus running (on PostgreSQL, a listener) until the test ends.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	store := testdb.Open(t)
	return newInstance(t, store)
}

// newInstance is another server instance over the same database.
func newInstance(t *testing.T, store *models.Store) *fixture {
	t.Helper()
	clk := &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	bus := cachebus.New(store, quiet)
	runBus(t, bus)
	queue := webhooks.NewQueue()
	svc := consents.New(store, policy.Default("privacy@example.com"), consents.Config{
		BaseURL: "https://privacy.example.com", MailFrom: "privacy@example.com", Keys: secrets.Derive([]byte("k")),
	}, clk.Now, bus, queue)
	return &fixture{svc: svc, store: store, clock: clk, queue: queue, bus: bus}
}

// runBus runs the bus for the test and waits until it listens.
func runBus(t testing.TB, bus *cachebus.Bus) {
	t.Helper()
	bctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); bus.Run(bctx) }()
	t.Cleanup(func() { stop(); <-done })
	deadline := time.Now().Add(10 * time.Second)
	for !bus.Healthy() {
		if time.Now().After(deadline) {
			t.Fatal("the cache bus did not start listening")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *fixture) record(t *testing.T, email, subjectID, purpose, action string) *consents.EventView {
	t.Helper()
	ev, err := f.svc.Record(ctx, "api_key:test", consents.RecordInput{
		Identity: consents.Identity{Email: email, SubjectID: subjectID}, Purpose: purpose, Action: action, Source: models.SourceAPI,
	})
	if err != nil {
		t.Fatalf("record %s %s %s: %v", email+subjectID, purpose, action, err)
	}
	return ev
}

func (f *fixture) check(t *testing.T, email, subjectID, purpose string) consents.State {
	t.Helper()
	st, err := f.svc.Check(ctx, consents.Identity{Email: email, SubjectID: subjectID}, purpose)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	return st
}
