// Package lifecycle is the request state machine: one table of the legal
// transitions, and nothing else. Every status change in rightsdesk asks Next.
package lifecycle

import (
	"errors"
	"fmt"
)

// Statuses.
const (
	PendingVerification = "pending_verification"
	Open                = "open"
	InProgress          = "in_progress"
	AwaitingRequester   = "awaiting_requester"
	Completed           = "completed"
	Denied              = "denied"
	Withdrawn           = "withdrawn"
	Expired             = "expired"
)

// Statuses lists every status in lifecycle order.
var Statuses = []string{PendingVerification, Open, InProgress, AwaitingRequester, Completed, Denied, Withdrawn, Expired}

// Actions. Staff actions are the contract's; verify and expire are taken by
// the requester and the sweeper.
const (
	Verify      = "verify"
	Expire      = "expire"
	Assign      = "assign"
	Acknowledge = "acknowledge"
	Start       = "start"
	RequestInfo = "request_info"
	Resume      = "resume"
	Extend      = "extend"
	Complete    = "complete"
	Deny        = "deny"
	Escalate    = "escalate"
	Note        = "note"
	Withdraw    = "withdraw"
)

// StaffActions are the actions of POST /api/v1/requests/{id}/actions.
var StaffActions = []string{Assign, Acknowledge, Start, RequestInfo, Resume, Extend, Complete, Deny, Escalate, Note, Withdraw}

// ErrIllegal is returned for an action the current status does not allow.
var ErrIllegal = errors.New("illegal transition")

// same marks an action that leaves the status as it is.
const same = ""

var active = []string{Open, InProgress, AwaitingRequester}

// transitions maps action → from-status → to-status. An absent pair is
// illegal. This table is the whole state machine.
var transitions = map[string]map[string]string{
	Verify:      {PendingVerification: Open},
	Expire:      {PendingVerification: Expired},
	Start:       {Open: InProgress},
	RequestInfo: {Open: AwaitingRequester, InProgress: AwaitingRequester},
	Resume:      {AwaitingRequester: InProgress},
	Complete:    {InProgress: Completed},
	Deny:        {Open: Denied, InProgress: Denied, AwaitingRequester: Denied},
	Withdraw:    {PendingVerification: Withdrawn, Open: Withdrawn, InProgress: Withdrawn, AwaitingRequester: Withdrawn},
	Assign:      from(active, same),
	// Staff may acknowledge a request before the requester verifies it (a
	// letter sent after a phone call): the CCPA acknowledgement clock runs
	// from receipt, verified or not.
	Acknowledge: from(append([]string{PendingVerification}, active...), same),
	Extend:      from(active, same),
	Escalate:    from(active, same),
	// A note may be added at any time, closed requests included.
	Note: from(Statuses, same),
}

func from(statuses []string, to string) map[string]string {
	m := make(map[string]string, len(statuses))
	for _, s := range statuses {
		m[s] = to
	}
	return m
}

// Next returns the status after action is taken in status, or ErrIllegal.
func Next(status, action string) (string, error) {
	row, ok := transitions[action]
	if !ok {
		return "", fmt.Errorf("%w: unknown action %q", ErrIllegal, action)
	}
	to, ok := row[status]
	if !ok {
		return "", fmt.Errorf("%w: %s is not allowed when the request is %s", ErrIllegal, action, status)
	}
	if to == same {
		return status, nil
	}
	return to, nil
}

// Terminal reports whether no further status change is possible.
func Terminal(status string) bool {
	switch status {
	case Completed, Denied, Withdrawn, Expired:
		return true
	}
	return false
}

// KnownStatus reports whether s is a status.
func KnownStatus(s string) bool {
	for _, v := range Statuses {
		if v == s {
			return true
		}
	}
	return false
}

// KnownStaffAction reports whether a is an action staff may post.
func KnownStaffAction(a string) bool {
	for _, v := range StaffActions {
		if v == a {
			return true
		}
	}
	return false
}
