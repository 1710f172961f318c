package lifecycle

import (
	"errors"
	"testing"
)

func TestTransitions(t *testing.T) {
	cases := []struct{ from, action, to string }{
		{PendingVerification, Verify, Open},
		{PendingVerification, Expire, Expired},
		{PendingVerification, Withdraw, Withdrawn},
		{Open, Start, InProgress},
		{Open, RequestInfo, AwaitingRequester},
		{InProgress, RequestInfo, AwaitingRequester},
		{AwaitingRequester, Resume, InProgress},
		{InProgress, Complete, Completed},
		{Open, Deny, Denied},
		{AwaitingRequester, Deny, Denied},
		{InProgress, Assign, InProgress},
		{Open, Extend, Open},
		{AwaitingRequester, Escalate, AwaitingRequester},
		{Completed, Note, Completed},
		{Expired, Note, Expired},
	}
	for _, c := range cases {
		got, err := Next(c.from, c.action)
		if err != nil || got != c.to {
			t.Errorf("%s --%s--> got %q, %v; want %q", c.from, c.action, got, err, c.to)
		}
	}
}

func TestIllegalTransitions(t *testing.T) {
	cases := []struct{ from, action string }{
		{PendingVerification, Start},
		{PendingVerification, Complete},
		{Open, Complete}, // work must start first
		{Open, Resume},
		{InProgress, Verify},
		{Completed, Start},
		{Completed, Withdraw},
		{Denied, Deny},
		{Withdrawn, Resume},
		{Expired, Verify},
		{Completed, Extend},
		{Open, "fly"},
	}
	for _, c := range cases {
		if got, err := Next(c.from, c.action); !errors.Is(err, ErrIllegal) {
			t.Errorf("%s --%s--> got %q, %v; want ErrIllegal", c.from, c.action, got, err)
		}
	}
}

// Every terminal status refuses every action but a note.
func TestTerminalStatusesOnlyTakeNotes(t *testing.T) {
	for _, s := range Statuses {
		if !Terminal(s) {
			continue
		}
		for a := range transitions {
			_, err := Next(s, a)
			if (a == Note) != (err == nil) {
				t.Errorf("terminal %s with %s: err=%v", s, a, err)
			}
		}
	}
}
