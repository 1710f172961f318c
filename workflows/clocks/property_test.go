package clocks

import (
	"testing"
	"time"
)

// Properties over 800 consecutive receipt days (Dec 2026 to Feb 2029: the
// 2028 leap day, every month end, DST changes), every regime, every clocked
// type, at the start and end of the day in three zones.

var propertyTypes = []string{"access", "deletion", "opt_out", "grievance", "appeal"}

func forEachReceipt(t *testing.T, fn func(received time.Time, regime, typ string, child bool, cal *Calendar)) {
	t.Helper()
	zones := []*time.Location{time.UTC, mustLoc(t, "Asia/Kolkata"), mustLoc(t, "America/Los_Angeles")}
	start := time.Date(2026, time.December, 1, 0, 0, 0, 0, time.UTC)
	for _, loc := range zones {
		for _, regime := range Regimes {
			cal := NewCalendar(loc, []Date{{2027, time.January, 26}}, rules(t, regime).USFederalHolidays)
			for i := range 800 {
				day := DateOf(start, time.UTC).AddDays(i)
				for _, clock := range [][2]int{{0, 0}, {23, 59}} {
					received := time.Date(day.Year, day.Month, day.Day, clock[0], clock[1], 0, 0, loc)
					for _, typ := range propertyTypes {
						for _, child := range []bool{false, true} {
							fn(received, regime, typ, child, cal)
						}
					}
				}
			}
		}
	}
}

func TestPropertyDueNeverBeforeReceipt(t *testing.T) {
	forEachReceipt(t, func(received time.Time, regime, typ string, child bool, cal *Calendar) {
		r := rules(t, regime)
		due := DueAt(received, r, typ, child, cal)
		if !due.After(received) {
			t.Fatalf("%s %s received %s: due %s is not after receipt", regime, typ, received, due)
		}
		if l := due.In(cal.Location()); l.Hour() != 23 || l.Minute() != 59 || l.Second() != 59 {
			t.Fatalf("%s %s received %s: due %s is not the end of a day", regime, typ, received, l)
		}
		// A business-day clock always ends on a business day.
		if typ == "opt_out" && r.OptOutBusinessDays > 0 && !cal.IsBusinessDay(DateOf(due, cal.Location())) {
			t.Fatalf("%s opt_out received %s: due %s is not a business day", regime, received, due)
		}
		if ack, ok := AckDueAt(received, r, typ, cal); ok && !ack.After(received) {
			t.Fatalf("%s %s received %s: ack due %s is not after receipt", regime, typ, received, ack)
		}
	})
}

func TestPropertyExtensionNeverShortens(t *testing.T) {
	forEachReceipt(t, func(received time.Time, regime, typ string, child bool, cal *Calendar) {
		if child || typ != "access" {
			return // one type is enough here; the loop is already large
		}
		r := rules(t, regime)
		first := DueAt(received, r, typ, false, cal)
		limit, ok := MaxExtendedDue(first, r, cal)
		if ok && limit.Before(first) {
			t.Fatalf("%s received %s: max %s before first due %s", regime, received, limit, first)
		}
		for _, days := range []int{1, 15, 30, 45, 59, 61, 62, 90} {
			next, err := Extend(received, first, first, days, r, cal)
			if err != nil {
				if ok && days <= 28 {
					t.Fatalf("%s received %s: %d days refused: %v", regime, received, days, err)
				}
				continue
			}
			if !next.After(first) || next.After(limit) {
				t.Fatalf("%s received %s: extended %d days to %s, first %s, max %s", regime, received, days, next, first, limit)
			}
		}
	})
}
