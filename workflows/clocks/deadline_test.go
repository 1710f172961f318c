package clocks

import (
	"testing"
	"time"
)

func TestDueAt(t *testing.T) {
	kolkata, saoPaulo, la := mustLoc(t, "Asia/Kolkata"), mustLoc(t, "America/Sao_Paulo"), mustLoc(t, "America/Los_Angeles")
	tests := []struct {
		name     string
		regime   string
		typ      string
		child    bool
		received string
		loc      *time.Location // nil = UTC
		want     string         // the due date in loc; due_at is its 23:59:59
	}{
		// GDPR: one calendar month, clamped to the month's last day.
		{"gdpr 31 jan", GDPR, "access", false, "2026-01-31T12:00:00Z", nil, "2026-02-28"},
		{"gdpr 31 jan leap", GDPR, "access", false, "2028-01-31T12:00:00Z", nil, "2028-02-29"},
		{"gdpr 31 mar", GDPR, "deletion", false, "2026-03-31T12:00:00Z", nil, "2026-04-30"},
		{"gdpr 30 jan", GDPR, "access", false, "2026-01-30T12:00:00Z", nil, "2026-02-28"},
		{"gdpr 29 feb", GDPR, "access", false, "2028-02-29T12:00:00Z", nil, "2028-03-29"},
		{"gdpr 31 dec", GDPR, "export", false, "2026-12-31T12:00:00Z", nil, "2027-01-31"},
		{"gdpr 31 aug", GDPR, "access", false, "2026-08-31T12:00:00Z", nil, "2026-09-30"},
		{"gdpr mid month", GDPR, "access", false, "2026-01-15T00:00:00Z", nil, "2026-02-15"},
		{"gdpr 28 feb", GDPR, "access", false, "2026-02-28T12:00:00Z", nil, "2026-03-28"},
		{"uk_gdpr 31 may", UKGDPR, "access", false, "2026-05-31T12:00:00Z", nil, "2026-06-30"},
		{"gdpr opt_out has no business-day clock", GDPR, "opt_out", false, "2026-01-31T12:00:00Z", nil, "2026-02-28"},
		// Calendar-day clocks; never moved off a weekend (2026-02-15 is a Sunday).
		{"ccpa 45 jan", CCPA, "access", false, "2026-01-01T12:00:00Z", nil, "2026-02-15"},
		{"ccpa 45 over new year", CCPA, "deletion", false, "2026-12-01T12:00:00Z", nil, "2027-01-15"},
		{"ccpa 45 leap feb", CCPA, "access", false, "2028-02-01T12:00:00Z", nil, "2028-03-17"},
		{"ccpa 45 common feb", CCPA, "access", false, "2027-02-01T12:00:00Z", nil, "2027-03-18"},
		{"us_state 45 over new year", USState, "access", false, "2026-11-20T12:00:00Z", nil, "2027-01-04"},
		{"us_state opt_out is calendar days", USState, "opt_out", false, "2026-11-20T12:00:00Z", nil, "2027-01-04"},
		{"lgpd 15 over new year", LGPD, "access", false, "2026-12-20T12:00:00Z", nil, "2027-01-04"},
		{"lgpd 15 leap", LGPD, "access", false, "2028-02-20T12:00:00Z", nil, "2028-03-06"},
		{"lgpd 15 common", LGPD, "access", false, "2026-02-20T12:00:00Z", nil, "2026-03-07"},
		{"dpdp 30 over feb", DPDP, "access", false, "2026-01-31T12:00:00Z", nil, "2026-03-02"},
		{"dpdp 30 over leap feb", DPDP, "access", false, "2028-01-31T12:00:00Z", nil, "2028-03-01"},
		{"default 30 over new year", Default, "access", false, "2026-12-15T12:00:00Z", nil, "2027-01-14"},
		{"default 30", Default, "correction", false, "2026-06-01T12:00:00Z", nil, "2026-07-01"},
		// Grievances and appeals.
		{"dpdp grievance 30", DPDP, "grievance", false, "2026-03-10T12:00:00Z", nil, "2026-04-09"},
		{"dpdp grievance child 15", DPDP, "grievance", true, "2026-03-10T12:00:00Z", nil, "2026-03-25"},
		{"dpdp grievance child over new year", DPDP, "grievance", true, "2026-12-25T12:00:00Z", nil, "2027-01-09"},
		{"gdpr grievance is 30 days, not a month", GDPR, "grievance", false, "2026-01-31T12:00:00Z", nil, "2026-03-02"},
		{"ccpa grievance ignores child", CCPA, "grievance", true, "2026-03-10T12:00:00Z", nil, "2026-04-09"},
		{"us_state appeal 60", USState, "appeal", false, "2026-11-15T12:00:00Z", nil, "2027-01-14"},
		{"gdpr appeal 30", GDPR, "appeal", false, "2026-01-31T12:00:00Z", nil, "2026-03-02"},
		{"dpdp appeal 30", DPDP, "appeal", false, "2026-02-10T12:00:00Z", nil, "2026-03-12"},
		{"ccpa appeal 30", CCPA, "appeal", false, "2026-01-01T12:00:00Z", nil, "2026-01-31"},
		// CCPA opt-out: 15 business days, US federal holidays skipped.
		{"ccpa opt_out over thanksgiving", CCPA, "opt_out", false, "2026-11-18T12:00:00Z", nil, "2026-12-10"},
		{"ccpa opt_out over christmas and new year", CCPA, "opt_out", false, "2026-12-18T12:00:00Z", nil, "2027-01-12"},
		// Zones: dates are counted where the policy is.
		{"kolkata: 20:00 UTC is already 1 feb", DPDP, "access", false, "2026-01-31T20:00:00Z", kolkata, "2026-03-03"},
		{"same instant in UTC", DPDP, "access", false, "2026-01-31T20:00:00Z", nil, "2026-03-02"},
		{"sao paulo: 01:00 UTC is still 31 dec", LGPD, "access", false, "2026-01-01T01:00:00Z", saoPaulo, "2026-01-15"},
		{"los angeles across DST start", CCPA, "access", false, "2026-02-01T07:30:00Z", la, "2026-03-17"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loc := tc.loc
			if loc == nil {
				loc = time.UTC
			}
			got := DueAt(mustTime(t, tc.received), rules(t, tc.regime), tc.typ, tc.child, calFor(t, tc.regime, loc))
			checkEndOfDay(t, got, tc.want, loc)
		})
	}
}

func TestDueAtInstant(t *testing.T) {
	// The same vector as "los angeles across DST start", as an instant:
	// 17 March is PDT (-07:00), so the due moment is 06:59:59 UTC next day.
	la := mustLoc(t, "America/Los_Angeles")
	got := DueAt(mustTime(t, "2026-02-01T07:30:00Z"), rules(t, CCPA), "access", false, calFor(t, CCPA, la))
	if want := mustTime(t, "2026-03-18T06:59:59Z"); !got.Equal(want) {
		t.Errorf("due %s, want %s", got.UTC().Format(time.RFC3339), want.Format(time.RFC3339))
	}
}

func TestPolicyExtraHolidays(t *testing.T) {
	// A policy holiday on Monday 26 Jan pushes a ccpa opt-out one day later.
	r := rules(t, CCPA)
	received := mustTime(t, "2026-01-09T12:00:00Z") // Friday
	plain := NewCalendar(nil, nil, true)
	withExtra := NewCalendar(nil, []Date{mustDate(t, "2026-01-26")}, true)
	// 15 business days from Fri 9 Jan, skipping MLK day 19 Jan: 2 Feb.
	checkEndOfDay(t, DueAt(received, r, "opt_out", false, plain), "2026-02-02", time.UTC)
	checkEndOfDay(t, DueAt(received, r, "opt_out", false, withExtra), "2026-02-03", time.UTC)
	ack, ok := AckDueAt(received, r, "access", withExtra)
	if !ok {
		t.Fatal("ccpa has an acknowledgement clock")
	}
	checkEndOfDay(t, ack, "2026-01-27", time.UTC)
}

func TestAckDueAt(t *testing.T) {
	kolkata := mustLoc(t, "Asia/Kolkata")
	hours48 := rules(t, DPDP)
	hours48.GrievanceAckHours = 48
	tests := []struct {
		name     string
		r        Rules
		typ      string
		received string
		loc      *time.Location
		wantOK   bool
		wantDay  string // end of this day, for business-day clocks
		wantExac string // an exact instant, for hour clocks
	}{
		{"dpdp grievance 24h", rules(t, DPDP), "grievance", "2026-03-10T22:15:00Z", nil, true, "", "2026-03-11T22:15:00Z"},
		{"dpdp grievance 24h in kolkata is still an instant", rules(t, DPDP), "grievance", "2026-03-10T22:15:00Z", kolkata, true, "", "2026-03-11T22:15:00Z"},
		{"policy 48h", hours48, "grievance", "2026-12-31T10:00:00Z", nil, true, "", "2027-01-02T10:00:00Z"},
		{"dpdp access has none", rules(t, DPDP), "access", "2026-03-10T12:00:00Z", nil, false, "", ""},
		{"gdpr has none", rules(t, GDPR), "access", "2026-03-10T12:00:00Z", nil, false, "", ""},
		{"ccpa 10 business days over christmas", rules(t, CCPA), "access", "2026-12-18T12:00:00Z", nil, true, "2027-01-05", ""},
		{"ccpa over juneteenth", rules(t, CCPA), "deletion", "2026-06-15T12:00:00Z", nil, true, "2026-06-30", ""},
		{"ccpa over 4 july observed friday", rules(t, CCPA), "access", "2026-07-01T12:00:00Z", nil, true, "2026-07-16", ""},
		{"ccpa from saturday", rules(t, CCPA), "access", "2026-01-03T12:00:00Z", nil, true, "2026-01-16", ""},
		{"us_state has none", rules(t, USState), "access", "2026-03-10T12:00:00Z", nil, false, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loc := tc.loc
			if loc == nil {
				loc = time.UTC
			}
			got, ok := AckDueAt(mustTime(t, tc.received), tc.r, tc.typ, NewCalendar(loc, nil, tc.r.USFederalHolidays))
			switch {
			case ok != tc.wantOK:
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			case tc.wantDay != "":
				checkEndOfDay(t, got, tc.wantDay, loc)
			case tc.wantExac != "" && !got.Equal(mustTime(t, tc.wantExac)):
				t.Errorf("ack due %s, want %s", got.Format(time.RFC3339), tc.wantExac)
			}
		})
	}
}

func TestPausedDays(t *testing.T) {
	kolkata := mustLoc(t, "Asia/Kolkata")
	tests := []struct {
		name            string
		asked, answered string
		loc             *time.Location
		want            int
	}{
		{"same day", "2026-03-10T09:00:00Z", "2026-03-10T17:00:00Z", nil, 1},
		{"next day", "2026-03-10T23:00:00Z", "2026-03-11T01:00:00Z", nil, 2},
		{"across a month end", "2026-01-30T10:00:00Z", "2026-02-02T10:00:00Z", nil, 4},
		{"across a leap day", "2028-02-28T10:00:00Z", "2028-03-01T10:00:00Z", nil, 3},
		{"across a year end", "2026-12-31T10:00:00Z", "2027-01-01T10:00:00Z", nil, 2},
		{"same day in kolkata", "2026-03-10T23:30:00Z", "2026-03-11T00:30:00Z", kolkata, 1},
		{"answer before question", "2026-03-10T10:00:00Z", "2026-03-09T10:00:00Z", nil, 0},
	}
	for _, tc := range tests {
		c := NewCalendar(tc.loc, nil, false)
		if got := PausedDays(mustTime(t, tc.asked), mustTime(t, tc.answered), c); got != tc.want {
			t.Errorf("%s: PausedDays = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestShiftDue(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	c := NewCalendar(ny, nil, false)
	// 1 March is EST; 11 March is EDT. Adding 10×24h would land at 00:59:59.
	got := ShiftDue(mustTime(t, "2026-03-01T23:59:59-05:00"), 10, c)
	if want := mustTime(t, "2026-03-11T23:59:59-04:00"); !got.Equal(want) {
		t.Errorf("ShiftDue = %s, want %s", got.Format(time.RFC3339), want.Format(time.RFC3339))
	}
	checkEndOfDay(t, ShiftDue(mustTime(t, "2026-02-28T23:59:59Z"), 4, NewCalendar(nil, nil, false)), "2026-03-04", time.UTC)
}
