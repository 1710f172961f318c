package clocks

import (
	"testing"
	"time"
)

// Expected values in these tests are written by hand (checked against a
// printed calendar), never computed by the code under test.

func mustDate(t *testing.T, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatalf("ParseDate(%q): %v", s, err)
	}
	return d
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time.Parse(%q): %v", s, err)
	}
	return ts
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

// checkEndOfDay fails unless got is 23:59:59.000 on the date want in loc.
func checkEndOfDay(t *testing.T, got time.Time, want string, loc *time.Location) {
	t.Helper()
	l := got.In(loc)
	if DateOf(got, loc).String() != want || l.Hour() != 23 || l.Minute() != 59 || l.Second() != 59 || l.Nanosecond() != 0 {
		t.Errorf("got %s (%s in %s), want %s 23:59:59", got.Format(time.RFC3339Nano), l.Format(time.RFC3339), loc, want)
	}
}

func rules(t *testing.T, regime string) Rules {
	t.Helper()
	r, ok := DefaultRules()[regime]
	if !ok {
		t.Fatalf("no default rules for %q", regime)
	}
	return r
}

// calFor is the calendar a regime's default rules ask for.
func calFor(t *testing.T, regime string, loc *time.Location) *Calendar {
	return NewCalendar(loc, nil, rules(t, regime).USFederalHolidays)
}
