package limits

import (
	"fmt"
	"testing"
	"time"
)

func TestBucketsBurstThenRefill(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	b := NewBuckets(Rate{N: 3, Per: time.Minute}, func() time.Time { return now })
	for i := range 3 {
		if _, ok := b.Allow("email:ana@example.com"); !ok {
			t.Fatalf("refused call %d of the burst", i+1)
		}
	}
	wait, ok := b.Allow("email:ana@example.com")
	if ok || wait != 20*time.Second {
		t.Fatalf("fourth call: ok=%v wait=%v, want refused for 20s (3 per minute)", ok, wait)
	}
	// A refusal spends nothing: after the wait exactly one more is allowed.
	if _, ok := b.Allow("email:bob@example.com"); !ok {
		t.Fatal("another key is limited too")
	}
	now = now.Add(20 * time.Second)
	if _, ok := b.Allow("email:ana@example.com"); !ok {
		t.Fatal("refused after the wait")
	}
	if _, ok := b.Allow("email:ana@example.com"); ok {
		t.Fatal("allowed two after one refill")
	}
}

func TestBucketsMemoryIsBounded(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	b := NewBuckets(Rate{N: 1, Per: time.Second}, func() time.Time { return now })
	for i := range maxKeys {
		b.Allow(fmt.Sprint("ip:", i))
	}
	now = now.Add(time.Second)
	b.Allow("ip:new")
	if n := len(b.keys); n != 1 {
		t.Fatalf("%d keys kept after a sweep, want only the new one", n)
	}
	if _, ok := b.Allow("ip:new"); ok {
		t.Fatal("the new key's bucket was not kept")
	}
}

func TestParseRate(t *testing.T) {
	good := map[string]Rate{
		"30/1m": {30, time.Minute}, "5/h": {5, time.Hour}, "20/15m": {20, 15 * time.Minute},
		"off": {}, "0": {}, " 1/1s ": {1, time.Second},
	}
	for in, want := range good {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, err := ParseRate(got.String()); err != nil || back != got {
			t.Errorf("%q does not round-trip through %q: %v %v", in, got.String(), back, err)
		}
	}
	for _, in := range []string{"", "30", "x/1m", "-1/1m", "30/0s", "30/500ms", "30/1y", "30/200h", "2000000/1h", "1/1m/1"} {
		if r, err := ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) = %v, want an error", in, r)
		}
	}
}

func TestRetryAfterRoundsUp(t *testing.T) {
	for wait, want := range map[time.Duration]string{0: "1", time.Millisecond: "1", time.Second: "1", 1500 * time.Millisecond: "2", 15 * time.Minute: "900"} {
		if got := RetryAfter(wait); got != want {
			t.Errorf("RetryAfter(%v) = %s, want %s", wait, got, want)
		}
	}
}
