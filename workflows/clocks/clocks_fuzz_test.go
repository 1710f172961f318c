package clocks

import (
	"errors"
	"math"
	"testing"
	"time"
)

// fuzzZones are zones whose quirks a clock must survive: half-hour and
// 45-minute offsets, DST at midnight, the date line, a skipped day (Apia,
// 30 December 2011).
var fuzzZones = []string{"UTC", "Asia/Kolkata", "America/Los_Angeles", "Europe/London", "America/Santiago",
	"Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Pacific/Apia"}

var fuzzTypes = []string{"access", "deletion", "correction", TypeOptOut, TypeGrievance, TypeAppeal}

// fuzzRules are a regime's default rules with some numbers replaced by the
// fuzzer: two bytes per field, in the range a policy file may give.
func fuzzRules(regime uint8, override []byte) Rules {
	r := DefaultRules()[Regimes[int(regime)%len(Regimes)]]
	fields := []*int{&r.RespondMonths, &r.RespondDays, &r.ExtensionMonths, &r.ExtensionDays, &r.AckBusinessDays,
		&r.OptOutBusinessDays, &r.AppealDays, &r.GrievanceAckHours, &r.GrievanceDays, &r.ChildGrievanceDays}
	for i, f := range fields {
		if len(override) < 2*(i+1) {
			break
		}
		*f = (int(override[2*i])<<8 | int(override[2*i+1])) % (MaxRuleValue + 1)
	}
	// A policy file needs one answer clock and refuses both units at once.
	if r.RespondMonths > 0 {
		r.RespondDays = 0
	} else if r.RespondDays == 0 {
		r.RespondDays = 1
	}
	if r.ExtensionMonths > 0 {
		r.ExtensionDays = 0
	}
	return r
}

// fuzzInstant maps any number onto an instant from 1990 to 2100, to the
// millisecond.
func fuzzInstant(n int64) time.Time {
	start := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	span := time.Date(2100, 12, 31, 0, 0, 0, 0, time.UTC).Sub(start).Milliseconds()
	return start.Add(time.Duration(uint64(n)%uint64(span)) * time.Millisecond)
}

// FuzzClocks checks the contract's invariants for any receipt, zone,
// regime, type, holiday, pause and extension: the answer and the
// acknowledgement are due after receipt, an extension never shortens and
// never passes the regime's maximum, a resume never moves a due date
// earlier, and business days only ever move forward.
func FuzzClocks(f *testing.F) {
	f.Add(int64(1_769_853_600_000), uint8(0), uint8(0), uint8(0), false, uint16(30), int64(86_400), int64(3*86_400), int64(30), []byte(nil))
	f.Add(int64(-1), uint8(9), uint8(2), uint8(3), true, uint16(0), int64(0), int64(0), int64(math.MaxInt64), []byte{0xff, 0xff})
	f.Add(int64(0), uint8(5), uint8(4), uint8(4), true, uint16(400), int64(-86_400), int64(1), int64(math.MinInt64),
		[]byte{0, 0, 0, 1, 0, 0, 0, 45, 0, 10, 0, 15, 0, 60, 0, 24, 0, 30, 0, 15})
	f.Fuzz(func(t *testing.T, receivedMs int64, zone, regime, typ uint8, child bool, holiday uint16,
		askedAfter, answeredAfter, extDays int64, override []byte) {
		loc, err := time.LoadLocation(fuzzZones[int(zone)%len(fuzzZones)])
		if err != nil {
			t.Skip(err) // no zoneinfo on this host
		}
		received := fuzzInstant(receivedMs).In(loc)
		r := fuzzRules(regime, override)
		day := DateOf(received, loc)
		cal := NewCalendar(loc, []Date{day.AddDays(int(holiday%400) - 30)}, r.USFederalHolidays)
		rtype := fuzzTypes[int(typ)%len(fuzzTypes)]

		due := DueAt(received, r, rtype, child, cal)
		if !due.After(received) {
			t.Fatalf("%+v %s received %s: due %s is not after receipt", r, rtype, received, due)
		}
		if ack, ok := AckDueAt(received, r, rtype, cal); ok && !ack.After(received) {
			t.Fatalf("%+v %s received %s: ack due %s is not after receipt", r, rtype, received, ack)
		}
		checkExtension(t, received, due, int(extDays), r, cal)
		checkResume(t, received, due, askedAfter, answeredAfter, cal)
		checkBusinessDays(t, day, int(holiday%90), cal)
	})
}

func checkExtension(t *testing.T, now, due time.Time, days int, r Rules, cal *Calendar) {
	t.Helper()
	limit, ok := MaxExtendedDue(due, r, cal)
	if ok && limit.Before(due) {
		t.Fatalf("%+v: max extended due %s is before the due date %s", r, limit, due)
	}
	next, err := Extend(now, due, due, days, r, cal)
	if err != nil {
		if !errors.Is(err, ErrNoExtension) && !errors.Is(err, ErrInvalidDays) && !errors.Is(err, ErrExtensionTooLate) && !errors.Is(err, ErrExtensionTooLong) {
			t.Fatalf("Extend: unexpected error %v", err)
		}
		return
	}
	if !next.After(due) || next.After(limit) {
		t.Fatalf("%+v: extending %s by %d days gave %s (max %s)", r, due, days, next, limit)
	}
	// A second extension counts from the first one's date and may only
	// move it later.
	again, err := Extend(now, due, next, 1, r, cal)
	if err == nil && !again.After(next) {
		t.Fatalf("%+v: extending %s again gave %s", r, next, again)
	}
}

func checkResume(t *testing.T, received, due time.Time, askedAfter, answeredAfter int64, cal *Calendar) {
	t.Helper()
	const year = 366 * 24 * time.Hour
	asked := received.Add(time.Duration(askedAfter % int64(year)))
	answered := asked.Add(time.Duration(answeredAfter % int64(year)))
	days := PausedDays(asked, answered, cal)
	if days < 0 || (!answered.Before(asked) && days < 1) {
		t.Fatalf("paused from %s to %s: %d days", asked, answered, days)
	}
	if moved := ShiftDue(due, days, cal); moved.Before(due) {
		t.Fatalf("resume after %d paused days moved due from %s to %s", days, due, moved)
	}
}

func checkBusinessDays(t *testing.T, day Date, n int, cal *Calendar) {
	t.Helper()
	got := cal.AddBusinessDays(day, n)
	if n > 0 && (!day.Before(got) || !cal.IsBusinessDay(got)) {
		t.Fatalf("%d business days after %s is %s", n, day, got)
	}
	if next := cal.AddBusinessDays(day, n+1); !got.Before(next) {
		t.Fatalf("%s: %d business days is %s, %d is %s", day, n, got, n+1, next)
	}
	if later := cal.AddBusinessDays(day.AddDays(1), n); later.Before(got) {
		t.Fatalf("%d business days after %s is %s, after the next day %s", n, day, got, later)
	}
	if m := AddCalendarMonths(day, n); m.Before(day) || (n > 0 && !day.Before(m)) || m.Day > day.Day {
		t.Fatalf("%s + %d months = %s", day, n, m)
	}
}

// FuzzParseDate: a date is accepted only in its one canonical spelling.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-01-26", "2028-02-29", "2026-02-30", "2026-1-26", "26-01-2026", "+026-01-26", "2026-01-26T00:00:00Z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q) = %s", s, d)
		}
		if back, err := ParseDate(d.String()); err != nil || back != d {
			t.Fatalf("%s does not round-trip: %v %v", d, back, err)
		}
	})
}
