package limits

import (
	"sync"
	"time"
)

// Failures counts failures per key (an account, an address) on a clock.
// The N-th failure within Per locks the key for Per. A nil *Failures (an
// Off rate) never locks.
type Failures struct {
	// mu is read-locked by Blocked, which runs on every guarded call (the
	// consent check among them), and locked only to count a failure.
	mu   sync.RWMutex
	rate Rate
	now  func() time.Time
	keys map[string]*failures
}

type failures struct {
	at          []time.Time // failures within the window, oldest first
	lockedUntil time.Time
}

// NewFailures makes the counter; it returns nil when r is Off.
func NewFailures(r Rate, now func() time.Time) *Failures {
	if r.Off() {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &Failures{rate: r, now: now, keys: map[string]*failures{}}
}

// Blocked reports whether any of keys is locked, and for how long still.
func (l *Failures) Blocked(keys ...string) (time.Duration, bool) {
	if l == nil {
		return 0, false
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	now := l.now()
	var wait time.Duration
	for _, k := range keys {
		if f := l.keys[k]; f != nil && now.Before(f.lockedUntil) {
			wait = max(wait, f.lockedUntil.Sub(now))
		}
	}
	return wait, wait > 0
}

// Fail records a failure against every key.
func (l *Failures) Fail(keys ...string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.keys) >= maxKeys {
		l.sweep(now)
	}
	for _, k := range keys {
		f := l.keys[k]
		if f == nil {
			f = &failures{}
			l.keys[k] = f
		}
		f.at = append(recent(f.at, now.Add(-l.rate.Per)), now)
		if len(f.at) >= l.rate.N {
			f.lockedUntil, f.at = now.Add(l.rate.Per), nil
		}
	}
}

// Reset forgets a key's failures (after a successful sign-in).
func (l *Failures) Reset(key string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// Len is the number of keys remembered (for tests of the memory bound).
func (l *Failures) Len() int {
	if l == nil {
		return 0
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.keys)
}

// Sweep drops the keys that are neither locked nor have recent failures.
func (l *Failures) Sweep() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(l.now())
}

func (l *Failures) sweep(now time.Time) {
	for k, f := range l.keys {
		f.at = recent(f.at, now.Add(-l.rate.Per))
		if len(f.at) == 0 && !now.Before(f.lockedUntil) {
			delete(l.keys, k)
		}
	}
}

func recent(at []time.Time, since time.Time) []time.Time {
	i := 0
	for i < len(at) && !at[i].After(since) {
		i++
	}
	return at[i:]
}
