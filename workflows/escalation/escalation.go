// Package escalation is the contract's escalation ladder as a pure function
// of a request's clock and "now". The sweeper asks Target for every active
// request; it never lowers a level (only completion resets it), so Target
// only says how high the request should be at least.
//
//	0  normal
//	1  due within the policy's warning window     → reminder to the assignee
//	2  overdue, or an acknowledgement not made in time
//	                                              → grievance officer(s)
//	3  still overdue after the policy's grace     → every admin
package escalation

import "time"

// Levels.
const (
	Normal  = 0
	DueSoon = 1
	Overdue = 2
	Late    = 3
)

// Reasons a level was reached, written into the escalation event.
const (
	ReasonDueSoon   = "due_soon"
	ReasonOverdue   = "overdue"
	ReasonAckMissed = "acknowledgement_overdue"
	ReasonGrace     = "overdue_past_grace"
)

// Clock is what Target needs to know about a request.
type Clock struct {
	Deadline       time.Time  // the effective due date (extended if extended)
	AckDueAt       *time.Time // nil: no acknowledgement clock
	AcknowledgedAt *time.Time
	// Paused: the request awaits the requester in a regime that stops the
	// clock meanwhile; its deadline will move on resume, so it is not late.
	Paused bool
	// Unverified: the requester has not confirmed the email yet. Only the
	// acknowledgement clock escalates (CCPA counts it from receipt); the
	// answer clock does not, because an unverified request expires instead.
	Unverified bool
}

// Window is the policy's escalation settings.
type Window struct {
	WarnBefore time.Duration // level 1 this long before the deadline
	Grace      time.Duration // level 3 this long after it
}

// Target returns the level a request should have reached at now, and why.
// An acknowledgement clock keeps running while the answer clock is paused:
// acknowledging is owed either way.
func Target(c Clock, w Window, now time.Time) (int, string) {
	ackMissed := c.AckDueAt != nil && c.AcknowledgedAt == nil && now.After(*c.AckDueAt)
	if c.Paused || c.Unverified {
		if ackMissed {
			return Overdue, ReasonAckMissed
		}
		return Normal, ""
	}
	switch {
	case now.After(c.Deadline.Add(w.Grace)):
		return Late, ReasonGrace
	case now.After(c.Deadline):
		return Overdue, ReasonOverdue
	case ackMissed:
		return Overdue, ReasonAckMissed
	case !now.Before(c.Deadline.Add(-w.WarnBefore)):
		return DueSoon, ReasonDueSoon
	}
	return Normal, ""
}

// Notices returns the levels whose notices are owed when a request rises
// from level from to level to: every level crossed, except that the
// level-1 reminder is skipped when the request goes straight past it (an
// "is due soon" email about a request already late would mislead).
func Notices(from, to int) []int {
	var out []int
	for l := from + 1; l <= to; l++ {
		if l == DueSoon && to > DueSoon {
			continue
		}
		out = append(out, l)
	}
	return out
}
