package handlers

import (
	"testing"
	"time"
)

func TestConsoleLoginLimiterPerKey(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	l := newConsoleLoginLimiter(func() time.Time { return now }, 5, 15*time.Minute)
	ip, ana, bob := "ip:10.0.0.1", "email:ana@example.com", "email:bob@example.com"

	// Failures spread over more than the window never add up to a lock.
	for range 4 {
		l.fail(ana)
		now = now.Add(5 * time.Minute)
	}
	now = now.Add(time.Minute) // the first failure is now 16 minutes old
	l.fail(ana)
	if _, blocked := l.blocked(ana); blocked {
		t.Fatal("failures older than the window counted")
	}
	// Five within the window lock the key for the window, and only it.
	for range 4 {
		l.fail(bob, ip)
	}
	if _, blocked := l.blocked(bob); blocked {
		t.Fatal("locked after four failures")
	}
	l.fail(bob, ip)
	wait, blocked := l.blocked(bob)
	if !blocked || wait != 15*time.Minute {
		t.Fatalf("after five failures: %v %v", wait, blocked)
	}
	if _, blocked := l.blocked(ana); blocked {
		t.Fatal("another email is locked too")
	}
	if _, blocked := l.blocked("email:carol@example.com", ip); !blocked {
		t.Fatal("the address is not locked")
	}
	now = now.Add(10 * time.Minute)
	if wait, _ := l.blocked(bob); wait != 5*time.Minute {
		t.Fatalf("remaining lock %v", wait)
	}
	now = now.Add(5 * time.Minute)
	if _, blocked := l.blocked(bob, ip); blocked {
		t.Fatal("still locked after the window")
	}
	// A success forgets the email's failures.
	for range 4 {
		l.fail(ana)
	}
	l.reset(ana)
	l.fail(ana)
	if _, blocked := l.blocked(ana); blocked {
		t.Fatal("reset did not forget")
	}
	// Sweeping drops what is neither locked nor recent.
	now = now.Add(time.Hour)
	l.sweep(now)
	if len(l.keys) != 0 {
		t.Fatalf("%d stale keys kept", len(l.keys))
	}
}
