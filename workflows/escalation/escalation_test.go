package escalation

import (
	"slices"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr(t time.Time) *time.Time { return &t }

// The policy defaults: warn 7 days before, grace 7 days after.
var week = Window{WarnBefore: 168 * time.Hour, Grace: 168 * time.Hour}

func TestTargetDatedVectors(t *testing.T) {
	due := at("2026-03-31T23:59:59Z")
	grievanceAck := at("2026-03-02T10:00:00Z") // received 2026-03-01T10:00Z, 24 h
	cases := []struct {
		name   string
		clock  Clock
		w      Window
		now    string
		level  int
		reason string
	}{
		{"well before the window", Clock{Deadline: due}, week, "2026-03-20T00:00:00Z", Normal, ""},
		{"one second before the window", Clock{Deadline: due}, week, "2026-03-24T23:59:58Z", Normal, ""},
		{"window opens exactly 7 days before", Clock{Deadline: due}, week, "2026-03-24T23:59:59Z", DueSoon, ReasonDueSoon},
		{"due day itself", Clock{Deadline: due}, week, "2026-03-31T12:00:00Z", DueSoon, ReasonDueSoon},
		{"the last second is still on time", Clock{Deadline: due}, week, "2026-03-31T23:59:59Z", DueSoon, ReasonDueSoon},
		{"one second late", Clock{Deadline: due}, week, "2026-04-01T00:00:00Z", Overdue, ReasonOverdue},
		{"exactly at the end of grace", Clock{Deadline: due}, week, "2026-04-07T23:59:59Z", Overdue, ReasonOverdue},
		{"past grace", Clock{Deadline: due}, week, "2026-04-08T00:00:00Z", Late, ReasonGrace},
		{"a one-day window", Clock{Deadline: due}, Window{WarnBefore: 24 * time.Hour, Grace: time.Hour}, "2026-03-30T23:59:58Z", Normal, ""},
		{"a one-hour grace", Clock{Deadline: due}, Window{WarnBefore: 24 * time.Hour, Grace: time.Hour}, "2026-04-01T01:00:00Z", Late, ReasonGrace},
		{"grievance unacknowledged after 24 h", Clock{Deadline: due, AckDueAt: ptr(grievanceAck)}, week, "2026-03-02T10:00:01Z", Overdue, ReasonAckMissed},
		{"grievance at exactly 24 h is in time", Clock{Deadline: due, AckDueAt: ptr(grievanceAck)}, week, "2026-03-02T10:00:00Z", Normal, ""},
		{"grievance acknowledged in time", Clock{Deadline: due, AckDueAt: ptr(grievanceAck), AcknowledgedAt: ptr(at("2026-03-01T12:00:00Z"))}, week, "2026-03-05T00:00:00Z", Normal, ""},
		{"acknowledged late is no longer a breach to escalate", Clock{Deadline: due, AckDueAt: ptr(grievanceAck), AcknowledgedAt: ptr(at("2026-03-03T12:00:00Z"))}, week, "2026-03-05T00:00:00Z", Normal, ""},
		{"CCPA acknowledgement missed (10 business days)", Clock{Deadline: at("2026-04-15T23:59:59Z"), AckDueAt: ptr(at("2026-03-13T23:59:59Z"))}, week, "2026-03-14T00:00:00Z", Overdue, ReasonAckMissed},
		{"unverified: the answer clock does not escalate", Clock{Deadline: due, Unverified: true}, week, "2026-05-01T00:00:00Z", Normal, ""},
		{"unverified CCPA request past its acknowledgement", Clock{Deadline: due, AckDueAt: ptr(at("2026-03-13T23:59:59Z")), Unverified: true}, week, "2026-03-14T00:00:00Z", Overdue, ReasonAckMissed},
		{"paused clock is not overdue", Clock{Deadline: due, Paused: true}, week, "2026-05-01T00:00:00Z", Normal, ""},
		{"paused clock still owes the acknowledgement", Clock{Deadline: due, AckDueAt: ptr(grievanceAck), Paused: true}, week, "2026-03-03T00:00:00Z", Overdue, ReasonAckMissed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			level, reason := Target(c.clock, c.w, at(c.now))
			if level != c.level || reason != c.reason {
				t.Fatalf("Target at %s = %d %q, want %d %q", c.now, level, reason, c.level, c.reason)
			}
		})
	}
}

func TestNotices(t *testing.T) {
	cases := []struct {
		from, to int
		want     []int
	}{
		{0, 0, nil},
		{0, 1, []int{1}},
		{0, 2, []int{2}},
		{0, 3, []int{2, 3}},
		{1, 2, []int{2}},
		{1, 3, []int{2, 3}},
		{2, 3, []int{3}},
		{3, 3, nil},
		{2, 1, nil}, // levels never go down: nothing owed
	}
	for _, c := range cases {
		if got := Notices(c.from, c.to); !slices.Equal(got, c.want) {
			t.Errorf("Notices(%d, %d) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}
