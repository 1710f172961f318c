package clocks

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	good := map[string]Date{
		"2026-01-31": {2026, time.January, 31},
		"2028-02-29": {2028, time.February, 29},
		"0999-12-01": {999, time.December, 1},
	}
	for s, want := range good {
		got, err := ParseDate(s)
		if err != nil || got != want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", s, got, err, want)
		}
		if got.String() != s {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), s)
		}
	}
	// Strict: no rolling over, no short fields, no trailing time, no spaces.
	for _, s := range []string{"", "2026-02-30", "2027-02-29", "2026-13-01", "2026-2-03", "2026-02-3",
		"26-02-03", " 2026-02-03", "2026-02-03 ", "2026-02-03T00:00:00Z", "2026/02/03"} {
		if d, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) = %v, want error", s, d)
		}
	}
}

func TestDateArithmetic(t *testing.T) {
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-12-31", 1, "2027-01-01"},
		{"2028-02-28", 1, "2028-02-29"},
		{"2027-02-28", 1, "2027-03-01"},
		{"2026-03-01", -1, "2026-02-28"},
		{"2026-01-01", 365, "2027-01-01"},
		{"2028-01-01", 366, "2029-01-01"},
		{"2026-05-05", 0, "2026-05-05"},
	}
	for _, tc := range tests {
		if got := mustDate(t, tc.from).AddDays(tc.n).String(); got != tc.want {
			t.Errorf("%s.AddDays(%d) = %s, want %s", tc.from, tc.n, got, tc.want)
		}
	}
	a, b := mustDate(t, "2026-12-31"), mustDate(t, "2027-01-01")
	if !a.Before(b) || b.Before(a) || a.Before(a) {
		t.Errorf("Before is not a strict order on %v, %v", a, b)
	}
	if w := mustDate(t, "2026-11-26").Weekday(); w != time.Thursday {
		t.Errorf("2026-11-26 is a %v, want Thursday", w)
	}
}

func TestAddCalendarMonths(t *testing.T) {
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-01-31", 1, "2026-02-28"},
		{"2028-01-31", 1, "2028-02-29"}, // leap year
		{"2026-03-31", 1, "2026-04-30"},
		{"2026-01-30", 1, "2026-02-28"},
		{"2028-02-29", 1, "2028-03-29"},
		{"2026-12-31", 1, "2027-01-31"},
		{"2026-08-31", 1, "2026-09-30"},
		{"2026-01-15", 1, "2026-02-15"},
		{"2026-12-31", 2, "2027-02-28"},
		{"2028-02-29", 12, "2029-02-28"},
		{"2026-03-31", -1, "2026-02-28"},
		{"2026-01-31", -2, "2025-11-30"},
		{"2026-07-31", 0, "2026-07-31"},
	}
	for _, tc := range tests {
		if got := AddCalendarMonths(mustDate(t, tc.from), tc.n).String(); got != tc.want {
			t.Errorf("AddCalendarMonths(%s, %d) = %s, want %s", tc.from, tc.n, got, tc.want)
		}
	}
}

func TestDateOfZone(t *testing.T) {
	// 20:00 UTC on 31 Jan is 01:30 on 1 Feb in India.
	ts := mustTime(t, "2026-01-31T20:00:00Z")
	if got := DateOf(ts, mustLoc(t, "Asia/Kolkata")).String(); got != "2026-02-01" {
		t.Errorf("Kolkata date = %s, want 2026-02-01", got)
	}
	if got := DateOf(ts, nil).String(); got != "2026-01-31" {
		t.Errorf("nil-zone date = %s, want 2026-01-31", got)
	}
}

func TestEndOfDay(t *testing.T) {
	ny, london := mustLoc(t, "America/New_York"), mustLoc(t, "Europe/London")
	tests := []struct {
		loc  *time.Location
		day  string
		want string // the instant, by hand, in UTC
	}{
		{nil, "2026-02-28", "2026-02-28T23:59:59Z"},
		{ny, "2026-03-07", "2026-03-08T04:59:59Z"},     // EST, -05:00
		{ny, "2026-03-08", "2026-03-09T03:59:59Z"},     // DST began that morning, -04:00
		{london, "2026-10-24", "2026-10-24T22:59:59Z"}, // BST
		{london, "2026-10-25", "2026-10-25T23:59:59Z"}, // back to GMT that morning
		{mustLoc(t, "Asia/Kolkata"), "2026-03-03", "2026-03-03T18:29:59Z"},
	}
	for _, tc := range tests {
		c := NewCalendar(tc.loc, nil, false)
		got := c.EndOfDay(mustDate(t, tc.day))
		if !got.Equal(mustTime(t, tc.want)) || got.Nanosecond() != 0 {
			t.Errorf("EndOfDay(%s) in %v = %s, want %s", tc.day, c.Location(), got.UTC().Format(time.RFC3339Nano), tc.want)
		}
	}
	if NewCalendar(nil, nil, false).Location() != time.UTC {
		t.Error("a nil location should mean UTC")
	}
}

func TestUSFederalHolidays(t *testing.T) {
	// Every weekday that is not a business day, by hand from OPM's lists.
	// 2026: 4 July is a Saturday, observed Friday 3 July.
	// 2027: Juneteenth, Christmas and New Year 2028 fall on Saturdays (observed
	// the Friday before, the last one in 2027), 4 July on a Sunday (observed
	// Monday 5 July). The day after Thanksgiving is not federal.
	want := map[int][]string{
		2026: {"2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19", "2026-07-03",
			"2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-25"},
		2027: {"2027-01-01", "2027-01-18", "2027-02-15", "2027-05-31", "2027-06-18", "2027-07-05",
			"2027-09-06", "2027-10-11", "2027-11-11", "2027-11-25", "2027-12-24", "2027-12-31"},
	}
	c := NewCalendar(nil, nil, true)
	for year, days := range want {
		var got []string
		for d := (Date{year, time.January, 1}); d.Year == year; d = d.AddDays(1) {
			if w := d.Weekday(); w != time.Saturday && w != time.Sunday && !c.IsBusinessDay(d) {
				got = append(got, d.String())
			}
		}
		if len(got) != len(days) {
			t.Errorf("%d: holidays %v, want %v", year, got, days)
			continue
		}
		for i := range days {
			if got[i] != days[i] {
				t.Errorf("%d: holidays %v, want %v", year, got, days)
				break
			}
		}
	}
	if !NewCalendar(nil, nil, false).IsBusinessDay(mustDate(t, "2026-11-26")) {
		t.Error("Thanksgiving is a business day when the calendar has no US holidays")
	}
}

func TestAddBusinessDays(t *testing.T) {
	extra := []Date{mustDate(t, "2026-01-26")} // a policy's Republic Day
	tests := []struct {
		name      string
		from      string
		n         int
		usFederal bool
		extra     []Date
		want      string
	}{
		{"receipt day not counted", "2026-03-02", 1, false, nil, "2026-03-03"},
		{"friday to monday", "2026-03-06", 1, false, nil, "2026-03-09"},
		{"from saturday", "2026-01-03", 10, true, nil, "2026-01-16"},
		{"over MLK day", "2026-01-09", 10, true, nil, "2026-01-26"},
		{"over MLK day and policy holiday", "2026-01-09", 10, true, extra, "2026-01-27"},
		{"policy holiday alone", "2026-01-23", 1, false, extra, "2026-01-27"},
		{"thanksgiving skipped", "2026-11-25", 1, true, nil, "2026-11-27"},
		{"thanksgiving without US holidays", "2026-11-25", 1, false, nil, "2026-11-26"},
		{"observed new year 2028 on 2027-12-31", "2027-12-30", 1, true, nil, "2028-01-03"},
		{"observed 4 July 2027 on monday", "2027-07-02", 1, true, nil, "2027-07-06"},
		{"zero", "2026-03-07", 0, true, nil, "2026-03-07"},
	}
	for _, tc := range tests {
		c := NewCalendar(nil, tc.extra, tc.usFederal)
		if got := c.AddBusinessDays(mustDate(t, tc.from), tc.n).String(); got != tc.want {
			t.Errorf("%s: AddBusinessDays(%s, %d) = %s, want %s", tc.name, tc.from, tc.n, got, tc.want)
		}
	}
}
