package clocks

import (
	"errors"
	"time"
)

// Reasons an extension is refused. The API maps each to 422 with field
// "days"; they are distinct so the message can say which limit was hit.
var (
	ErrNoExtension      = errors.New("this regime allows no extension")
	ErrExtensionTooLong = errors.New("extension goes past the regime's maximum")
	ErrExtensionTooLate = errors.New("an extension must be decided before the first due date")
	ErrInvalidDays      = errors.New("extension days must be at least 1")
)

// MaxExtendedDue returns the latest due date an extension may reach: the end
// of the day ExtensionMonths (clamped to month end) or ExtensionDays after
// the first due date. False when the regime allows no extension.
//
// Counting from the first due date, not from receipt, is the contract's
// wording for every regime; for ccpa (45 + 45) it is the same as "90 days
// from receipt at most".
func MaxExtendedDue(firstDue time.Time, r Rules, cal *Calendar) (time.Time, bool) {
	first := DateOf(firstDue, cal.Location())
	switch {
	case r.ExtensionMonths > 0:
		return cal.EndOfDay(AddCalendarMonths(first, r.ExtensionMonths)), true
	case r.ExtensionDays > 0:
		return cal.EndOfDay(first.AddDays(r.ExtensionDays)), true
	}
	return time.Time{}, false
}

// Extend moves currentDue later by days calendar days and returns the new
// due date. It may be called more than once (each call extends the current
// due date) as long as the total stays within MaxExtendedDue(firstDue).
//
// firstDue is the due date the regime first gave the request, moved by any
// pauses; a caller that shifts due_at on resume should shift firstDue too,
// or a paused request loses extension room it is owed.
//
// The decision must come before the first due date; "before" is read on the
// calendar's dates, so any moment of the due day itself is still in time
// (due dates are the end of that day anyway).
func Extend(now, firstDue, currentDue time.Time, days int, r Rules, cal *Calendar) (time.Time, error) {
	limit, ok := MaxExtendedDue(firstDue, r, cal)
	if !ok {
		return time.Time{}, ErrNoExtension
	}
	if days < 1 {
		return time.Time{}, ErrInvalidDays
	}
	if DateOf(firstDue, cal.Location()).Before(DateOf(now, cal.Location())) {
		return time.Time{}, ErrExtensionTooLate
	}
	// Days are compared before any date arithmetic: a huge count (the API
	// takes any int) would overflow it and wrap to a date before currentDue.
	if days > daysBetween(DateOf(currentDue, cal.Location()), DateOf(limit, cal.Location())) {
		return time.Time{}, ErrExtensionTooLong
	}
	next := ShiftDue(currentDue, days, cal)
	if next.After(limit) {
		return time.Time{}, ErrExtensionTooLong
	}
	return next, nil
}
