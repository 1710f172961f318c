package limits

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxKeys bounds the memory of a limiter: past it, idle keys are dropped.
const maxKeys = 100_000

// Buckets is a token bucket per key: a key may spend N at once, and gets
// N back per Per. A nil *Buckets (an Off rate) allows everything.
type Buckets struct {
	mu    sync.Mutex
	rate  Rate
	now   func() time.Time
	keys  map[string]*bucket
	limit rate.Limit
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

// NewBuckets makes the limiter; it returns nil when r is Off. now is the
// clock (time.Now in production).
func NewBuckets(r Rate, now func() time.Time) *Buckets {
	if r.Off() {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &Buckets{rate: r, now: now, keys: map[string]*bucket{},
		limit: rate.Limit(float64(r.N) / r.Per.Seconds())}
}

// Allow spends one token of key. When none is left it spends nothing and
// says how long until one is.
func (b *Buckets) Allow(key string) (wait time.Duration, ok bool) {
	if b == nil {
		return 0, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	k := b.keys[key]
	if k == nil {
		if len(b.keys) >= maxKeys {
			b.sweep(now)
		}
		k = &bucket{lim: rate.NewLimiter(b.limit, b.rate.N)}
		b.keys[key] = k
	}
	k.last = now
	r := k.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}

// sweep drops the keys idle for a whole period: their buckets are full
// again, so forgetting them changes nothing.
func (b *Buckets) sweep(now time.Time) {
	for k, v := range b.keys {
		if now.Sub(v.last) >= b.rate.Per {
			delete(b.keys, k)
		}
	}
}
