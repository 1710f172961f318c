// Package cachebus tells every instance's caches what a write changed. On
// SQLite one process owns the database, so invalidation is a local call after
// the commit. On PostgreSQL several instances share the database: each write
// also sends NOTIFY in its transaction (delivered on commit), every instance
// LISTENs, and a writer waits until its own notification has come back
// through the database before it answers, so that by the time a host sees
// "201" every listening instance has been sent the invalidation. While an
// instance's listener is down its caches are off and every read goes to the
// database.
package cachebus

import (
	"context"
	"crypto/rand"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
)

// Channel is the PostgreSQL notification channel.
const Channel = "rightsdesk_cache"

// All, as a key, drops every entry of a topic.
const All = "*"

// Cache is what the bus drives; *cache.Cache[string, V] is one.
type Cache interface {
	Invalidate(keys ...string)
	Flush()
	SetEnabled(on bool)
}

// Bus routes invalidations to the caches registered under each topic.
type Bus struct {
	store   *models.Store
	log     *slog.Logger
	remote  bool   // PostgreSQL: other instances may write
	self    string // this instance's prefix for sync nonces
	healthy atomic.Bool
	// Wait bounds how long a writer waits for its own notification.
	Wait time.Duration

	mu     sync.Mutex
	topics map[string][]Cache
	wait   map[string]chan struct{} // nonce → closed when it arrives
	seen   map[string]bool          // nonces that arrived before their writer looked
}

// New returns a bus for store. On PostgreSQL the caches stay off until Run
// has its listener in place.
func New(store *models.Store, log *slog.Logger) *Bus {
	if log == nil {
		log = slog.Default()
	}
	b := &Bus{store: store, log: log, remote: store.Dialect() == "postgres", self: rand.Text()[:10],
		Wait: time.Second, topics: map[string][]Cache{}, wait: map[string]chan struct{}{}, seen: map[string]bool{}}
	b.healthy.Store(!b.remote)
	return b
}

// Register puts a cache under a topic.
func (b *Bus) Register(topic string, c Cache) {
	b.mu.Lock()
	b.topics[topic] = append(b.topics[topic], c)
	b.mu.Unlock()
	c.SetEnabled(b.healthy.Load())
}

// Publish invalidates keys of topic once tx commits, on every instance. Call
// it inside the writing transaction.
func (b *Bus) Publish(ctx context.Context, tx *models.Store, topic string, keys ...string) error {
	var nonce string
	if b.remote {
		for _, k := range keys {
			if err := tx.Notify(ctx, Channel, topic+":"+k); err != nil {
				return err
			}
		}
		// Notifications of one transaction arrive in order: once the sync
		// marker is back, the keys before it have been delivered too.
		nonce = b.self + rand.Text()[:16]
		if err := tx.Notify(ctx, Channel, "sync:"+nonce); err != nil {
			return err
		}
	}
	tx.AfterCommit(func() {
		b.invalidate(topic, keys...)
		if nonce != "" {
			b.await(nonce)
		}
	})
	return nil
}

func (b *Bus) invalidate(topic string, keys ...string) {
	b.mu.Lock()
	caches := b.topics[topic]
	b.mu.Unlock()
	for _, c := range caches {
		if len(keys) == 1 && keys[0] == All {
			c.Flush()
		} else {
			c.Invalidate(keys...)
		}
	}
}

// await blocks until the writer's own sync marker has come back, or Wait
// passes, or the listener is down (then the caches are off anyway).
func (b *Bus) await(nonce string) {
	b.mu.Lock()
	if b.seen[nonce] {
		delete(b.seen, nonce)
		b.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	b.wait[nonce] = ch
	b.mu.Unlock()
	if !b.healthy.Load() {
		b.forget(nonce)
		return
	}
	t := time.NewTimer(b.Wait)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
		b.forget(nonce)
		b.log.Warn("cachebus: own notification did not come back in time", "wait", b.Wait.String())
	}
}

func (b *Bus) forget(nonce string) {
	b.mu.Lock()
	delete(b.wait, nonce)
	b.mu.Unlock()
}

// receive handles one notification.
func (b *Bus) receive(payload string) {
	topic, key, ok := strings.Cut(payload, ":")
	if !ok {
		return
	}
	if topic != "sync" {
		b.invalidate(topic, key)
		return
	}
	if !strings.HasPrefix(key, b.self) {
		return // another instance's writer
	}
	b.mu.Lock()
	if ch, ok := b.wait[key]; ok {
		close(ch)
		delete(b.wait, key)
	} else {
		b.seen[key] = true
	}
	b.mu.Unlock()
}

// Healthy reports whether invalidations from every instance reach this one.
func (b *Bus) Healthy() bool { return b.healthy.Load() }

func (b *Bus) setHealthy(on bool) {
	b.healthy.Store(on)
	b.mu.Lock()
	var all []Cache
	for _, cs := range b.topics {
		all = append(all, cs...)
	}
	if !on {
		clear(b.seen)
		for n, ch := range b.wait {
			close(ch)
			delete(b.wait, n)
		}
	}
	b.mu.Unlock()
	for _, c := range all {
		c.SetEnabled(on)
	}
}

// Run keeps the PostgreSQL listener up until ctx ends, reconnecting with
// backoff; the caches are on only while it listens. On SQLite it returns at
// once.
func (b *Bus) Run(ctx context.Context) {
	if !b.remote {
		return
	}
	delay := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := b.store.Listen(ctx, Channel, func() {
			b.setHealthy(true)
			delay = 100 * time.Millisecond
		}, b.receive)
		b.setHealthy(false)
		if ctx.Err() != nil {
			return
		}
		b.log.Warn("cachebus: listener down; caches off until it is back", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, 30*time.Second)
	}
}
