package clocks

import (
	"errors"
	"testing"
	"time"
)

func TestMaxExtendedDue(t *testing.T) {
	tests := []struct {
		regime   string
		firstDue string // a due date; the instant is its 23:59:59 UTC
		want     string // "" = no extension
	}{
		{GDPR, "2026-02-28", "2026-04-28"}, // two months after the first due date, not receipt + 3
		{GDPR, "2026-12-31", "2027-02-28"}, // clamped
		{GDPR, "2027-12-31", "2028-02-29"}, // clamped, leap year
		{GDPR, "2026-07-31", "2026-09-30"}, // clamped
		{UKGDPR, "2026-03-31", "2026-05-31"},
		{CCPA, "2026-02-15", "2026-04-01"},    // receipt 1 Jan + 90
		{USState, "2027-01-15", "2027-03-01"}, // 45 more
		{Default, "2026-01-31", "2026-03-02"}, // 30 more
		{LGPD, "2026-01-31", ""},
		{DPDP, "2026-01-31", ""},
	}
	c := NewCalendar(nil, nil, false)
	for _, tc := range tests {
		got, ok := MaxExtendedDue(mustTime(t, tc.firstDue+"T23:59:59Z"), rules(t, tc.regime), c)
		if ok != (tc.want != "") {
			t.Errorf("%s %s: ok = %v", tc.regime, tc.firstDue, ok)
			continue
		}
		if ok {
			checkEndOfDay(t, got, tc.want, time.UTC)
		}
	}
}

func TestExtend(t *testing.T) {
	kolkata := mustLoc(t, "Asia/Kolkata")
	tests := []struct {
		name                      string
		regime                    string
		loc                       *time.Location
		now, firstDue, currentDue string // RFC 3339
		days                      int
		want                      string // new due date; "" when refused
		wantErr                   error
	}{
		{"gdpr up to the max", GDPR, nil, "2026-02-20T10:00:00Z", "2026-02-28T23:59:59Z", "2026-02-28T23:59:59Z", 59, "2026-04-28", nil},
		{"gdpr one day past the max", GDPR, nil, "2026-02-20T10:00:00Z", "2026-02-28T23:59:59Z", "2026-02-28T23:59:59Z", 60, "", ErrExtensionTooLong},
		{"gdpr clamped max", GDPR, nil, "2026-12-01T10:00:00Z", "2026-12-31T23:59:59Z", "2026-12-31T23:59:59Z", 59, "2027-02-28", nil},
		{"gdpr past clamped max", GDPR, nil, "2026-12-01T10:00:00Z", "2026-12-31T23:59:59Z", "2026-12-31T23:59:59Z", 60, "", ErrExtensionTooLong},
		{"ccpa 90 from receipt", CCPA, nil, "2026-01-20T10:00:00Z", "2026-02-15T23:59:59Z", "2026-02-15T23:59:59Z", 45, "2026-04-01", nil},
		{"ccpa 91 from receipt", CCPA, nil, "2026-01-20T10:00:00Z", "2026-02-15T23:59:59Z", "2026-02-15T23:59:59Z", 46, "", ErrExtensionTooLong},
		{"ccpa second extension fills the rest", CCPA, nil, "2026-02-10T10:00:00Z", "2026-02-15T23:59:59Z", "2026-03-07T23:59:59Z", 25, "2026-04-01", nil},
		{"ccpa second extension overruns", CCPA, nil, "2026-02-10T10:00:00Z", "2026-02-15T23:59:59Z", "2026-03-07T23:59:59Z", 26, "", ErrExtensionTooLong},
		{"on the first due day is in time", CCPA, nil, "2026-02-15T23:59:59.5Z", "2026-02-15T23:59:59Z", "2026-02-15T23:59:59Z", 10, "2026-02-25", nil},
		{"the day after is too late", CCPA, nil, "2026-02-16T00:00:01Z", "2026-02-15T23:59:59Z", "2026-02-15T23:59:59Z", 10, "", ErrExtensionTooLate},
		{"too late in kolkata though not in UTC", GDPR, kolkata, "2026-02-28T19:00:00Z", "2026-02-28T23:59:59+05:30", "2026-02-28T23:59:59+05:30", 10, "", ErrExtensionTooLate},
		{"default 30 more", Default, nil, "2026-01-10T10:00:00Z", "2026-01-31T23:59:59Z", "2026-01-31T23:59:59Z", 30, "2026-03-02", nil},
		{"default 31 more", Default, nil, "2026-01-10T10:00:00Z", "2026-01-31T23:59:59Z", "2026-01-31T23:59:59Z", 31, "", ErrExtensionTooLong},
		{"lgpd has none", LGPD, nil, "2026-01-10T10:00:00Z", "2026-01-16T23:59:59Z", "2026-01-16T23:59:59Z", 5, "", ErrNoExtension},
		{"dpdp has none", DPDP, nil, "2026-01-10T10:00:00Z", "2026-01-31T23:59:59Z", "2026-01-31T23:59:59Z", 5, "", ErrNoExtension},
		{"zero days", CCPA, nil, "2026-01-20T10:00:00Z", "2026-02-15T23:59:59Z", "2026-02-15T23:59:59Z", 0, "", ErrInvalidDays},
		{"negative days", GDPR, nil, "2026-02-20T10:00:00Z", "2026-02-28T23:59:59Z", "2026-02-28T23:59:59Z", -3, "", ErrInvalidDays},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loc := tc.loc
			if loc == nil {
				loc = time.UTC
			}
			r := rules(t, tc.regime)
			got, err := Extend(mustTime(t, tc.now), mustTime(t, tc.firstDue), mustTime(t, tc.currentDue), tc.days, r, NewCalendar(loc, nil, r.USFederalHolidays))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.want != "" {
				checkEndOfDay(t, got, tc.want, loc)
			}
		})
	}
}
