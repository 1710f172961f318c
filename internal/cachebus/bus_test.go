package cachebus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/cache"
	"github.com/rightsdesk/rightsdesk/internal/cachebus"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
)

func running(t *testing.T, store *models.Store) *cachebus.Bus {
	b, _ := stoppable(t, store)
	return b
}

func stoppable(t *testing.T, store *models.Store) (*cachebus.Bus, func()) {
	t.Helper()
	b := cachebus.New(store, nil)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	halt := func() { stop(); <-done }
	t.Cleanup(halt)
	for deadline := time.Now().Add(10 * time.Second); !b.Healthy(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("bus never listened")
		}
	}
	return b, func() { stop(); <-done }
}

// An invalidation lands after the commit, not before, and not at all when
// the transaction rolls back.
func TestInvalidationFollowsTheCommit(t *testing.T) {
	store := testdb.Open(t)
	b := running(t, store)
	c := cache.New[string, int](8)
	b.Register("t", c)
	c.Fill(c.Ticket(), "k", 1)
	boom := errors.New("boom")
	err := store.InTx(context.Background(), func(tx *models.Store) error {
		if err := b.Publish(context.Background(), tx, "t", "k"); err != nil {
			return err
		}
		if _, ok := c.Get("k"); !ok {
			t.Error("invalidated before the commit")
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, ok := c.Get("k"); !ok {
		t.Fatal("a rolled-back transaction invalidated")
	}
	if err := store.InTx(context.Background(), func(tx *models.Store) error { return b.Publish(context.Background(), tx, "t", "k") }); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Get("k"); ok {
		t.Fatal("a committed write left the entry")
	}
}

// On PostgreSQL, a second instance's cache is emptied before the writer
// returns, and a dead peer stops being waited for.
func TestPeersAcknowledge(t *testing.T) {
	store := testdb.Open(t)
	if store.Dialect() != "postgres" {
		t.Skip("SQLite has one instance")
	}
	a := running(t, store)
	b, stopB := stoppable(t, store)
	ca, cb := cache.New[string, int](8), cache.New[string, int](8)
	a.Register("t", ca)
	b.Register("t", cb)
	for deadline := time.Now().Add(10 * time.Second); a.Peers() < 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a never heard b")
		}
	}
	cb.Fill(cb.Ticket(), "k", 1)
	if err := store.InTx(context.Background(), func(tx *models.Store) error { return a.Publish(context.Background(), tx, "t", cachebus.All) }); err != nil {
		t.Fatal(err)
	}
	if _, ok := cb.Get("k"); ok {
		t.Fatal("the peer still had the entry when the writer returned")
	}
	// b dies: the next write waits for it at most Wait, then forgets it.
	stopB()
	a.Wait = 200 * time.Millisecond
	publish := func() time.Duration {
		start := time.Now()
		if err := store.InTx(context.Background(), func(tx *models.Store) error { return a.Publish(context.Background(), tx, "t", "k") }); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	if d := publish(); d < a.Wait {
		t.Fatalf("the write after b died took %s: it did not wait for b", d)
	}
	if a.Peers() != 0 {
		t.Fatal("the silent peer is still counted")
	}
	if d := publish(); d >= a.Wait {
		t.Fatalf("the next write still waited %s", d)
	}
}
