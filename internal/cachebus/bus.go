// Package cachebus tells every instance's caches what a write changed. On
// SQLite one process owns the database, so invalidation is a local call after
// the commit. On PostgreSQL several instances share the database: each write
// also sends NOTIFY in its transaction (delivered on commit) and every
// instance LISTENs. A notification reaches the other instances a little
// later than the writer, so the writer waits, before it answers, until every
// live peer has acknowledged that it applied the invalidation (peers are
// learnt from the channel itself: each instance says hello when it starts
// listening and every 10 s). A peer that does not acknowledge within Wait is
// taken for dead until it says hello again. While an instance's listener is
// down its caches are off and every read goes to the database.
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

// Channel is the PostgreSQL notification channel; a schema other than
// public gets its own (channels are shared by a whole database).
const Channel = "rightsdesk_cache"

func channelFor(store *models.Store) string {
	if sch := store.Schema(); sch != "" && sch != "public" {
		return Channel + "_" + sch
	}
	return Channel
}

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
	channel string
	healthy atomic.Bool
	// Wait bounds how long a writer waits for its own notification.
	Wait time.Duration

	mu     sync.Mutex
	topics map[string][]Cache
	wait   map[string]*waiter // nonce → the writer waiting for it
	early  map[string]*waiter // nonces whose news arrived before their writer looked
	peers  map[string]time.Time
}

// waiter collects what a writer waits for: its own notification back, and
// an acknowledgement from each peer.
type waiter struct {
	own  bool
	acks map[string]bool
	kick chan struct{} // signalled on every news
}

// peerTTL: a peer not heard from for this long is no longer waited for.
const peerTTL = 30 * time.Second

// New returns a bus for store. On PostgreSQL the caches stay off until Run
// has its listener in place.
func New(store *models.Store, log *slog.Logger) *Bus {
	if log == nil {
		log = slog.Default()
	}
	b := &Bus{store: store, log: log, remote: store.Dialect() == "postgres", self: rand.Text()[:10], channel: channelFor(store),
		Wait: 500 * time.Millisecond, topics: map[string][]Cache{}, wait: map[string]*waiter{}, early: map[string]*waiter{},
		peers: map[string]time.Time{}}
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
		for _, payload := range payloads(topic, keys) {
			if err := tx.Notify(ctx, b.channel, payload); err != nil {
				return err
			}
		}
		// Notifications of one transaction arrive in order: once the sync
		// marker is back, the keys before it have been delivered too.
		nonce = b.self + rand.Text()[:16]
		if err := tx.Notify(ctx, b.channel, "sync:"+nonce); err != nil {
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

// maxPayload keeps a notification under PostgreSQL's limit (8000 bytes).
const maxPayload = 7800

// payloads are the notifications that carry keys of topic: as many keys
// per notification as fit ("keys:TOPIC\nKEY\nKEY…"), so a batch of writes
// costs a few statements rather than one per key. A key that cannot be
// packed (it holds a line break, or is too long) goes alone as "TOPIC:KEY".
func payloads(topic string, keys []string) []string {
	var out []string
	var b strings.Builder
	head := "keys:" + topic
	packed := 0
	flush := func() {
		if packed > 0 {
			out = append(out, b.String())
		}
		b.Reset()
		packed = 0
	}
	for _, k := range keys {
		if k == All || strings.Contains(k, "\n") || len(head)+1+len(k) > maxPayload || strings.Contains(topic, "\n") {
			out = append(out, topic+":"+k)
			continue
		}
		if packed > 0 && b.Len()+1+len(k) > maxPayload {
			flush()
		}
		if packed == 0 {
			b.WriteString(head)
		}
		b.WriteByte('\n')
		b.WriteString(k)
		packed++
	}
	flush()
	return out
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

// await blocks until the writer's own notification has come back and every
// live peer has acknowledged it, or Wait passes (peers that stayed silent
// are dropped), or the listener is down (then the caches are off anyway).
func (b *Bus) await(nonce string) {
	b.mu.Lock()
	w := b.early[nonce]
	delete(b.early, nonce)
	if w == nil {
		w = &waiter{acks: map[string]bool{}}
	}
	w.kick = make(chan struct{}, 1)
	b.wait[nonce] = w
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.wait, nonce)
		b.mu.Unlock()
	}()
	timeout := time.NewTimer(b.Wait)
	defer timeout.Stop()
	for {
		if !b.healthy.Load() {
			return
		}
		b.mu.Lock()
		missing := b.missing(w)
		b.mu.Unlock()
		if w.own && len(missing) == 0 {
			return
		}
		select {
		case <-w.kick:
		case <-timeout.C:
			b.mu.Lock()
			for _, p := range b.missing(w) {
				delete(b.peers, p)
			}
			b.mu.Unlock()
			b.log.Warn("cachebus: peers did not acknowledge an invalidation in time; no longer waiting for them",
				"peers", len(missing), "wait", b.Wait.String())
			return
		}
	}
}

// missing lists the live peers that have not acknowledged w. Call with mu.
func (b *Bus) missing(w *waiter) []string {
	var out []string
	now := time.Now()
	for p, seen := range b.peers {
		if now.Sub(seen) < peerTTL && !w.acks[p] {
			out = append(out, p)
		}
	}
	return out
}

// news records what arrived for a nonce: own is its own return, or ack a
// peer's acknowledgement. Call with mu.
func (b *Bus) news(nonce string, own bool, ack string) {
	w := b.wait[nonce]
	if w == nil {
		if w = b.early[nonce]; w == nil {
			if len(b.early) > 10_000 {
				clear(b.early) // writers that never looked (rolled back after Publish)
			}
			w = &waiter{acks: map[string]bool{}}
			b.early[nonce] = w
		}
	}
	if own {
		w.own = true
	}
	if ack != "" {
		w.acks[ack] = true
	}
	if w.kick != nil {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
}

// receive handles one notification: an invalidation, a writer's sync
// marker, a peer's acknowledgement or a peer's hello.
func (b *Bus) receive(payload string) {
	kind, rest, ok := strings.Cut(payload, ":")
	if !ok {
		return
	}
	switch kind {
	case "hello":
		if rest != b.self {
			b.mu.Lock()
			b.peers[rest] = time.Now()
			b.mu.Unlock()
		}
	case "sync":
		writer := rest[:min(len(rest), len(b.self))]
		b.mu.Lock()
		if writer == b.self {
			b.news(rest, true, "")
			b.mu.Unlock()
			return
		}
		b.peers[writer] = time.Now()
		b.mu.Unlock()
		// The invalidations before the marker are applied (notifications
		// are handled in order): say so to the writer.
		go func() { _ = b.store.Notify(context.Background(), b.channel, "ack:"+rest+":"+b.self) }()
	case "keys":
		topic, list, _ := strings.Cut(rest, "\n")
		keys := strings.Split(list, "\n")
		if len(keys) == 1 && keys[0] == All {
			return // never packed so: not a flush
		}
		b.invalidate(topic, keys...)
	case "ack":
		nonce, peer, ok := strings.Cut(rest, ":")
		if !ok || !strings.HasPrefix(nonce, b.self) {
			return
		}
		b.mu.Lock()
		b.peers[peer] = time.Now()
		b.news(nonce, false, peer)
		b.mu.Unlock()
	default:
		b.invalidate(kind, rest)
	}
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
		clear(b.early)
		for _, w := range b.wait {
			select {
			case w.kick <- struct{}{}: // the writer sees the bus down and returns
			default:
			}
		}
	}
	b.mu.Unlock()
	for _, c := range all {
		c.SetEnabled(on)
	}
}

// hello tells the peers this instance listens, now and every 10 s.
func (b *Bus) hello(ctx context.Context) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		_ = b.store.Notify(ctx, b.channel, "hello:"+b.self)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
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
		lctx, stopHello := context.WithCancel(ctx)
		err := b.store.Listen(lctx, b.channel, func() {
			b.setHealthy(true)
			delay = 100 * time.Millisecond
			go b.hello(lctx)
		}, b.receive)
		stopHello()
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

// Peers is how many other live instances this one waits for.
func (b *Bus) Peers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, seen := range b.peers {
		if time.Since(seen) < peerTTL {
			n++
		}
	}
	return n
}
