package clocks

import "time"

// Request types with a clock of their own. Other types use the regime's
// general answer clock.
const (
	TypeGrievance = "grievance"
	TypeAppeal    = "appeal"
	TypeOptOut    = "opt_out"
)

// outsideRegimeDays is the clock of an appeal or a grievance in a regime that
// has no such clock of its own (contract: "due in 30 days").
const outsideRegimeDays = 30

// DueAt returns when the answer to a request received at received is due: the
// end of the due day in the calendar's zone. Dates are counted in that zone,
// so a receipt at 22:00 UTC counts from the next day in Asia/Kolkata.
func DueAt(received time.Time, r Rules, requestType string, concernsChild bool, cal *Calendar) time.Time {
	day := DateOf(received, cal.Location())
	switch {
	case requestType == TypeGrievance:
		n := outsideRegimeDays
		if r.GrievanceDays > 0 {
			n = r.GrievanceDays
			if concernsChild && r.ChildGrievanceDays > 0 {
				n = r.ChildGrievanceDays
			}
		}
		return cal.EndOfDay(day.AddDays(n))
	case requestType == TypeAppeal:
		n := outsideRegimeDays
		if r.AppealDays > 0 {
			n = r.AppealDays
		}
		return cal.EndOfDay(day.AddDays(n))
	case requestType == TypeOptOut && r.OptOutBusinessDays > 0:
		return cal.EndOfDay(cal.AddBusinessDays(day, r.OptOutBusinessDays))
	case r.RespondMonths > 0:
		return cal.EndOfDay(AddCalendarMonths(day, r.RespondMonths))
	default:
		// Receipt date + N: the day of receipt is day 0, as "30 days from
		// receipt" is read. RespondDays 0 would make it due the day received,
		// the conservative reading of a policy that sets no clock.
		return cal.EndOfDay(day.AddDays(r.RespondDays))
	}
}

// AckDueAt returns when the request must be acknowledged, and false when the
// regime sets no acknowledgement clock for this type.
func AckDueAt(received time.Time, r Rules, requestType string, cal *Calendar) (time.Time, bool) {
	switch {
	case requestType == TypeGrievance && r.GrievanceAckHours > 0:
		// "Within 24 hours" is a span, not a date: an exact instant.
		return received.Add(time.Duration(r.GrievanceAckHours) * time.Hour), true
	case r.AckBusinessDays > 0:
		day := DateOf(received, cal.Location())
		return cal.EndOfDay(cal.AddBusinessDays(day, r.AckBusinessDays)), true
	}
	return time.Time{}, false
}

// ShiftDue returns the end of the day that lies days calendar days after
// due's date. Going through the date rather than adding 24 h per day keeps
// the result at 23:59:59 across DST changes.
func ShiftDue(due time.Time, days int, cal *Calendar) time.Time {
	return cal.EndOfDay(DateOf(due, cal.Location()).AddDays(days))
}

// PausedDays returns how many calendar days the clock stood still while the
// request awaited the requester. The day asked and the day answered both
// count (contract, uk_gdpr), so an answer on the same day pauses one day. An
// answer dated before the question (clock skew, bad input) pauses nothing.
func PausedDays(askedAt, answeredAt time.Time, cal *Calendar) int {
	asked := DateOf(askedAt, cal.Location())
	answered := DateOf(answeredAt, cal.Location())
	if answered.Before(asked) {
		return 0
	}
	return daysBetween(asked, answered) + 1
}

// daysBetween returns the number of calendar days from a to b. Noon UTC has
// no DST, so the hour difference is an exact multiple of 24.
func daysBetween(a, b Date) int {
	return int(b.noon().Sub(a.noon()) / (24 * time.Hour))
}
