package limits

import (
	"testing"
	"time"
)

func TestFailuresPerKey(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	l := NewFailures(Rate{N: 5, Per: 15 * time.Minute}, func() time.Time { return now })
	ip, ana, bob := "ip:10.0.0.1", "email:ana@example.com", "email:bob@example.com"

	// Failures spread over more than the window never add up to a lock.
	for range 4 {
		l.Fail(ana)
		now = now.Add(5 * time.Minute)
	}
	now = now.Add(time.Minute) // the first failure is now 16 minutes old
	l.Fail(ana)
	if _, blocked := l.Blocked(ana); blocked {
		t.Fatal("failures older than the window counted")
	}
	// Five within the window lock the key for the window, and only it.
	for range 4 {
		l.Fail(bob, ip)
	}
	if _, blocked := l.Blocked(bob); blocked {
		t.Fatal("locked after four failures")
	}
	l.Fail(bob, ip)
	wait, blocked := l.Blocked(bob)
	if !blocked || wait != 15*time.Minute {
		t.Fatalf("after five failures: %v %v", wait, blocked)
	}
	if _, blocked := l.Blocked(ana); blocked {
		t.Fatal("another email is locked too")
	}
	if _, blocked := l.Blocked("email:carol@example.com", ip); !blocked {
		t.Fatal("the address is not locked")
	}
	now = now.Add(10 * time.Minute)
	if wait, _ := l.Blocked(bob); wait != 5*time.Minute {
		t.Fatalf("remaining lock %v", wait)
	}
	now = now.Add(5 * time.Minute)
	if _, blocked := l.Blocked(bob, ip); blocked {
		t.Fatal("still locked after the window")
	}
	// A success forgets the email's failures.
	for range 4 {
		l.Fail(ana)
	}
	l.Reset(ana)
	l.Fail(ana)
	if _, blocked := l.Blocked(ana); blocked {
		t.Fatal("reset did not forget")
	}
	// Sweeping drops what is neither locked nor recent.
	now = now.Add(time.Hour)
	l.Sweep()
	if n := l.Len(); n != 0 {
		t.Fatalf("%d stale keys kept", n)
	}
}

func TestOffLimitsNothing(t *testing.T) {
	var f *Failures = NewFailures(Rate{}, nil)
	for range 100 {
		f.Fail("ip:1")
	}
	if _, blocked := f.Blocked("ip:1"); blocked {
		t.Fatal("an off failure counter locked")
	}
	b := NewBuckets(Rate{}, nil)
	for range 100 {
		if _, ok := b.Allow("ip:1"); !ok {
			t.Fatal("an off bucket refused")
		}
	}
}
