package limits

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkBlocked is the cost every Bearer call pays (the consent check
// among them): a read-locked map lookup.
func BenchmarkBlocked(b *testing.B) {
	f := NewFailures(Defaults().Tokens, nil)
	for i := range 1000 {
		f.Fail("ip:10.0.0." + strconv.Itoa(i))
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			f.Blocked("ip:127.0.0.1")
		}
	})
}

// BenchmarkAllow is the cost of a public post's per-address check.
func BenchmarkAllow(b *testing.B) {
	l := NewBuckets(Rate{N: 1 << 30, Per: time.Second}, nil)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Allow("ip:127.0.0.1")
		}
	})
}
