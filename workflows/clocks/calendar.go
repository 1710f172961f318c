package clocks

import (
	"fmt"
	"time"

	"github.com/rickar/cal/v2/us"
)

// Date is a calendar date with no time of day and no zone. Legal clocks count
// dates, not durations: 30 days after a receipt at 23:00 is a date, and
// counting in hours would drift across DST changes.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar date of t in loc (UTC when loc is nil). The
// zone matters: 22:00 UTC is already the next day in Asia/Kolkata.
func DateOf(t time.Time, loc *time.Location) Date {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// ParseDate parses "YYYY-MM-DD" strictly: two-digit month and day, and a date
// that exists (2026-02-30 is refused rather than rolled into March).
func ParseDate(s string) (Date, error) {
	if len(s) != len("2006-01-02") {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD: %w", s, err)
	}
	return DateOf(t, time.UTC), nil
}

// String formats the date as YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// noon is d at noon UTC: a fixed anchor for date arithmetic that no zone
// offset or leap second can push onto another date.
func (d Date) noon() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)
}

// AddDays returns the date n calendar days later (earlier when n < 0).
func (d Date) AddDays(n int) Date {
	return DateOf(d.noon().AddDate(0, 0, n), time.UTC)
}

// Before reports whether d is strictly earlier than o.
func (d Date) Before(o Date) bool {
	if d.Year != o.Year {
		return d.Year < o.Year
	}
	if d.Month != o.Month {
		return d.Month < o.Month
	}
	return d.Day < o.Day
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.noon().Weekday() }

// AddCalendarMonths returns the same day n months later, or that month's last
// day when it has no such day (GDPR's "one month": 31 Jan → 28/29 Feb).
// time.AddDate would overflow instead (31 Jan + 1 month = 3 Mar), which would
// give the controller days the law does not.
func AddCalendarMonths(d Date, n int) Date {
	months := d.Year*12 + int(d.Month-1) + n
	y, m := months/12, time.Month(months%12+1)
	if months < 0 && months%12 != 0 { // floor division for years before 0
		y, m = months/12-1, time.Month(months%12+13)
	}
	return Date{y, m, min(d.Day, daysIn(y, m))}
}

// daysIn returns the number of days in month m of year y.
func daysIn(y int, m time.Month) int {
	// Day 0 of the next month is the last day of this one.
	return time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

// Calendar knows a policy's time zone and which dates are business days.
type Calendar struct {
	loc       *time.Location
	extra     map[Date]bool
	usFederal bool
}

// NewCalendar returns a calendar in loc (UTC when nil). extraHolidays come from
// the policy file; usFederal adds the US federal holidays on their observed
// dates (the regimes whose business days are US business days).
func NewCalendar(loc *time.Location, extraHolidays []Date, usFederal bool) *Calendar {
	if loc == nil {
		loc = time.UTC
	}
	extra := make(map[Date]bool, len(extraHolidays))
	for _, d := range extraHolidays {
		extra[d] = true
	}
	return &Calendar{loc: loc, extra: extra, usFederal: usFederal}
}

// Location returns the zone in which the calendar counts dates.
func (c *Calendar) Location() *time.Location { return c.loc }

// EndOfDay returns the last whole second of d in the calendar's zone: a due
// date is met by anything done on that day, wherever the server runs.
func (c *Calendar) EndOfDay(d Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 23, 59, 59, 0, c.loc)
}

// IsBusinessDay reports whether d is neither a weekend day nor a holiday.
func (c *Calendar) IsBusinessDay(d Date) bool {
	switch d.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	if c.extra[d] {
		return false
	}
	return !(c.usFederal && isUSFederalHoliday(d))
}

// AddBusinessDays returns the n-th business day after d. The day of receipt
// itself is never counted, even when it is a business day (contract:
// "Business-day clocks do not count the day of receipt"). n <= 0 returns d.
func (c *Calendar) AddBusinessDays(d Date, n int) Date {
	for n > 0 {
		d = d.AddDays(1)
		if c.IsBusinessDay(d) {
			n--
		}
	}
	return d
}

// isUSFederalHoliday reports whether d is a US federal holiday as observed:
// one falling on a Saturday is observed the Friday before, on a Sunday the
// Monday after. us.Holidays is exactly the federal list (5 U.S.C. 6103); the
// package's other days (e.g. the day after Thanksgiving) are not in it.
func isUSFederalHoliday(d Date) bool {
	// New Year's Day of next year may be observed on 31 December of this one.
	for _, y := range []int{d.Year, d.Year + 1} {
		for _, h := range us.Holidays {
			_, obs := h.Calc(y)
			if obs.IsZero() {
				continue
			}
			oy, om, od := obs.Date()
			if (Date{oy, om, od}) == d {
				return true
			}
		}
	}
	return false
}
