// Package cache keeps answers of hot reads in memory and drops them when the
// data under them changes. It is built so that a write is never hidden by a
// stale entry:
//
//   - a reader takes a ticket (Ticket) before it reads the database and
//     stores its answer (Fill) only if no invalidation happened since: a
//     reader that raced a write cannot put the old value back;
//   - writers invalidate after their transaction commits (models.AfterCommit);
//   - when invalidations from other instances may be missed (the PostgreSQL
//     listener is down), the cache is switched off and every read goes to
//     the database until it is back.
package cache

import (
	"sync"
	"sync/atomic"
)

// Cache maps keys to values, holding at most Max entries.
type Cache[K comparable, V any] struct {
	mu  sync.RWMutex
	m   map[K]V
	gen uint64
	max int
	on  atomic.Bool
}

// New returns an enabled cache of at most max entries (max ≤ 0 disables it).
func New[K comparable, V any](max int) *Cache[K, V] {
	c := &Cache[K, V]{m: make(map[K]V), max: max}
	c.on.Store(max > 0)
	return c
}

// Get returns the cached value, if any.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	var zero V
	if !c.on.Load() {
		return zero, false
	}
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}

// Ticket is taken before reading the database; Fill checks it.
type Ticket uint64

// Ticket returns the current generation.
func (c *Cache[K, V]) Ticket() Ticket {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return Ticket(c.gen)
}

// Fill stores v for k unless an invalidation happened after t was taken.
// When full, it drops arbitrary entries (Go's map order is random) to make
// room: cheap, and good enough for keys read at random.
func (c *Cache[K, V]) Fill(t Ticket, k K, v V) {
	if !c.on.Load() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if Ticket(c.gen) != t {
		return
	}
	if len(c.m) >= c.max {
		drop := c.max/16 + 1
		for key := range c.m {
			delete(c.m, key)
			if drop--; drop == 0 {
				break
			}
		}
	}
	c.m[k] = v
}

// Invalidate drops keys and voids every ticket taken before.
func (c *Cache[K, V]) Invalidate(keys ...K) {
	c.mu.Lock()
	c.gen++
	for _, k := range keys {
		delete(c.m, k)
	}
	c.mu.Unlock()
}

// Flush drops everything and voids every ticket taken before.
func (c *Cache[K, V]) Flush() {
	c.mu.Lock()
	c.gen++
	clear(c.m)
	c.mu.Unlock()
}

// SetEnabled switches the cache on or off; either way it starts empty.
func (c *Cache[K, V]) SetEnabled(on bool) {
	c.Flush()
	c.on.Store(on && c.max > 0)
	c.Flush()
}

// Len is the number of entries (for tests and metrics).
func (c *Cache[K, V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
