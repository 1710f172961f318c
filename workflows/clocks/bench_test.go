package clocks

import (
	"testing"
	"time"
)

// The clock functions run on every intake, action and sweep: these
// benchmarks show a regression in a profile without a load run.

func BenchmarkDueAt(b *testing.B) {
	rules := DefaultRules()
	loc, _ := time.LoadLocation("Asia/Kolkata")
	received := time.Date(2026, 12, 24, 18, 30, 0, 0, time.UTC)
	for _, regime := range Regimes {
		cal := NewCalendar(loc, nil, rules[regime].USFederalHolidays)
		r := rules[regime]
		b.Run(regime, func(b *testing.B) {
			for b.Loop() {
				DueAt(received, r, "opt_out", false, cal)
			}
		})
	}
}

func BenchmarkAckDueAt(b *testing.B) {
	r := DefaultRules()[CCPA]
	cal := NewCalendar(time.UTC, nil, true)
	received := time.Date(2026, 12, 24, 18, 30, 0, 0, time.UTC)
	for b.Loop() {
		AckDueAt(received, r, "access", cal)
	}
}

func BenchmarkExtend(b *testing.B) {
	r := DefaultRules()[GDPR]
	cal := NewCalendar(time.UTC, nil, false)
	received := time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC)
	due := DueAt(received, r, "access", false, cal)
	for b.Loop() {
		if _, err := Extend(received.Add(24*time.Hour), due, due, 30, r, cal); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPausedDays(b *testing.B) {
	cal := NewCalendar(time.UTC, nil, false)
	asked := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	answered := asked.Add(40 * 24 * time.Hour)
	for b.Loop() {
		PausedDays(asked, answered, cal)
	}
}
