package requests_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/audit"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// webRequest submits through the web form, confirms through the page's
// button and returns the request with the status token the page gets.
func (f *sweepFixture) webRequest(t *testing.T, in requests.Input) (*models.Request, string) {
	t.Helper()
	r, err := f.svc.SubmitWeb(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != "web" {
		t.Fatalf("source %q, want web", r.Source)
	}
	msgs, err := f.store.ListOutbox(ctx, models.OutboxFilter{RequestID: r.ID})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("want the verification email: %v %v", msgs, err)
	}
	m := verifyLink.FindStringSubmatch(msgs[0].TextBody)
	if m == nil {
		t.Fatalf("no verification link: %s", msgs[0].TextBody)
	}
	v, status, err := f.svc.VerifyForPage(ctx, m[1])
	if err != nil || v.Status != lifecycle.Open || len(status) < 20 {
		t.Fatalf("VerifyForPage: %v %q %v", v, status, err)
	}
	if d, err := f.svc.Status(ctx, status); err != nil || d.Request.ID != r.ID {
		t.Fatalf("the page's status token does not open the request: %v", err)
	}
	if _, _, err := f.svc.VerifyForPage(ctx, m[1]); !errors.Is(err, requests.ErrLinkGone) {
		t.Fatalf("second confirmation: %v, want ErrLinkGone", err)
	}
	return v, status
}

func (f *sweepFixture) actions(t *testing.T, id string) []string {
	t.Helper()
	events, err := f.store.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, e.Actor+":"+e.Action+":"+e.FromStatus+">"+e.ToStatus)
	}
	return out
}

// Dated vectors of the requester's answer. Each request is received on
// Monday 5 January 2026 at 10:00 UTC and due at the end of 5 February (one
// calendar month); staff ask on day X and the requester answers on day Y.
// Under uk_gdpr the clock stops, both days counted; gdpr and ccpa do not
// pause by default.
func TestAnswerResumesAndMovesTheDueDateWhereTheRegimePauses(t *testing.T) {
	cases := []struct {
		name, regime, asked, answered, due string
	}{
		{"uk_gdpr same day", "uk_gdpr", "2026-01-12T09:00:00Z", "2026-01-12T17:00:00Z", "2026-02-06T23:59:59Z"},
		{"uk_gdpr three days", "uk_gdpr", "2026-01-12T09:00:00Z", "2026-01-14T08:00:00Z", "2026-02-08T23:59:59Z"},
		{"uk_gdpr across the due date", "uk_gdpr", "2026-02-02T09:00:00Z", "2026-02-20T12:00:00Z", "2026-02-24T23:59:59Z"},
		{"gdpr does not pause", "gdpr", "2026-01-12T09:00:00Z", "2026-01-14T08:00:00Z", "2026-02-05T23:59:59Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newSweepFixture(t, "2026-01-05T10:00:00Z")
			r, status := f.webRequest(t, requests.Input{Type: "access", Email: "ed@example.co.uk", Regime: c.regime})
			if !r.DeadlineAt.Equal(mustTime("2026-02-05T23:59:59Z")) {
				t.Fatalf("due at receipt %s", r.DeadlineAt)
			}
			f.clock.Set(c.asked)
			if _, err := f.svc.Act(ctx, agent, r.ID, requests.ActionInput{Action: "request_info", Note: "Which account do you mean?"}); err != nil {
				t.Fatal(err)
			}
			f.clock.Set(c.answered)
			got, err := f.svc.Answer(ctx, status, "  The one I opened in 2019, user name ed_w.  ")
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != lifecycle.InProgress || got.AwaitingSince != nil || !got.DueAt.Equal(mustTime(c.due)) || !got.DeadlineAt.Equal(mustTime(c.due)) {
				t.Fatalf("after the answer: status %s, awaiting %v, due %s, deadline %s; want in_progress, due %s",
					got.Status, got.AwaitingSince, got.DueAt, got.DeadlineAt, c.due)
			}
			stored := f.get(t, r.ID)
			if !stored.DeadlineAt.Equal(mustTime(c.due)) || stored.Status != lifecycle.InProgress {
				t.Fatalf("stored: %s %s", stored.Status, stored.DeadlineAt)
			}
			events, _ := f.store.Events(ctx, r.ID)
			answer, resume := events[len(events)-2], events[len(events)-1]
			if answer.Action != "answer" || answer.Actor != "requester" || answer.Internal || answer.Note != "The one I opened in 2019, user name ed_w." ||
				answer.FromStatus != lifecycle.AwaitingRequester || answer.ToStatus != lifecycle.AwaitingRequester {
				t.Fatalf("answer event: %+v", answer)
			}
			if resume.Action != "resume" || resume.Actor != "requester" || resume.Internal ||
				resume.FromStatus != lifecycle.AwaitingRequester || resume.ToStatus != lifecycle.InProgress {
				t.Fatalf("resume event: %+v", resume)
			}
			if moved := c.regime == "uk_gdpr"; moved != strings.Contains(resume.Note, "due date moved") {
				t.Fatalf("resume note %q", resume.Note)
			}
			if _, err := audit.VerifyAll(ctx, f.store); err != nil {
				t.Fatalf("audit chain: %v", err)
			}
		})
	}
}

// The answer is the same resume as staff's: the same dates either way.
func TestAnswerMovesTheDueDateAsStaffResumeDoes(t *testing.T) {
	f := newSweepFixture(t, "2026-03-02T09:00:00Z")
	byPage, status := f.webRequest(t, requests.Input{Type: "deletion", Email: "a@example.co.uk", Country: "GB"})
	byStaff := f.open(t, requests.Input{Type: "deletion", Email: "b@example.co.uk", Country: "GB"})
	for _, id := range []string{byPage.ID, byStaff.ID} {
		if _, err := f.svc.Act(ctx, agent, id, requests.ActionInput{Action: "extend", Days: 30, Reason: "Many systems."}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Act(ctx, agent, id, requests.ActionInput{Action: "request_info", Note: "Which address?"}); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Set("2026-03-06T09:00:00Z") // asked 2 March, answered 6 March: 5 days
	a, err := f.svc.Answer(ctx, status, "12 High Street")
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.Act(ctx, agent, byStaff.ID, requests.ActionInput{Action: "resume"})
	if err != nil {
		t.Fatal(err)
	}
	if !a.DueAt.Equal(mustTime("2026-04-07T23:59:59Z")) || !a.DueAt.Equal(b.DueAt) ||
		a.ExtendedDueAt == nil || b.ExtendedDueAt == nil || !a.ExtendedDueAt.Equal(*b.ExtendedDueAt) || !a.DeadlineAt.Equal(b.DeadlineAt) {
		t.Fatalf("answer: due %s ext %v; staff resume: due %s ext %v", a.DueAt, a.ExtendedDueAt, b.DueAt, b.ExtendedDueAt)
	}
}

func TestAnswerRefusals(t *testing.T) {
	f := newSweepFixture(t, "2026-01-05T10:00:00Z")
	r, status := f.webRequest(t, requests.Input{Type: "access", Email: "ed@example.com"})
	var fe *requests.FieldError
	for _, text := range []string{"", "   \n ", strings.Repeat("é", requests.MaxAnswer+1), "bell\a"} {
		if _, err := f.svc.Answer(ctx, status, text); !errors.As(err, &fe) || fe.Field != "answer" {
			t.Fatalf("answer %.20q: %v, want a FieldError on answer", text, err)
		}
	}
	// Not awaiting the requester: nothing to answer.
	if _, err := f.svc.Answer(ctx, status, "hello"); !errors.Is(err, lifecycle.ErrIllegal) {
		t.Fatalf("answer while open: %v, want ErrIllegal", err)
	}
	if _, err := f.svc.Answer(ctx, "AAAAAAAAAAAAAAAAAAAAAAAAAA", "hello"); !errors.Is(err, requests.ErrLinkUnknown) {
		t.Fatalf("unknown token: %v", err)
	}
	if _, err := f.svc.Act(ctx, agent, r.ID, requests.ActionInput{Action: "request_info", Note: "Which one?"}); err != nil {
		t.Fatal(err)
	}
	// A long answer in characters, not bytes, is fine.
	if _, err := f.svc.Answer(ctx, status, strings.Repeat("é", requests.MaxAnswer)); err != nil {
		t.Fatalf("an answer of %d characters: %v", requests.MaxAnswer, err)
	}
	if _, err := f.svc.Answer(ctx, status, "again"); !errors.Is(err, lifecycle.ErrIllegal) {
		t.Fatalf("second answer: %v, want ErrIllegal", err)
	}
	// The status link expires (90 days by default).
	if _, err := f.svc.Act(ctx, agent, r.ID, requests.ActionInput{Action: "request_info", Note: "And the other one?"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(91 * 24 * time.Hour)
	if _, err := f.svc.Answer(ctx, status, "late"); !errors.Is(err, requests.ErrLinkGone) {
		t.Fatalf("expired token: %v, want ErrLinkGone", err)
	}
	if got := f.get(t, r.ID); got.Status != lifecycle.AwaitingRequester {
		t.Fatalf("a refused answer changed the request: %s", got.Status)
	}
}

func TestWithdrawByRequester(t *testing.T) {
	f := newSweepFixture(t, "2026-01-05T10:00:00Z")
	r, status := f.webRequest(t, requests.Input{Type: "deletion", Email: "wd@example.com"})
	var fe *requests.FieldError
	if _, err := f.svc.WithdrawByRequester(ctx, status, "bad\x00reason"); !errors.As(err, &fe) || fe.Field != "reason" {
		t.Fatalf("control characters in the reason: %v", err)
	}
	f.clock.Set("2026-01-07T08:00:00Z")
	got, err := f.svc.WithdrawByRequester(ctx, status, " Sorted it out myself. ")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != lifecycle.Withdrawn || got.Outcome != "withdrawn" || got.ClosedAt == nil || !got.ClosedAt.Equal(mustTime("2026-01-07T08:00:00Z")) {
		t.Fatalf("after withdrawal: %+v", got)
	}
	acts := f.actions(t, r.ID)
	if last := acts[len(acts)-1]; last != "requester:withdraw:open>withdrawn" {
		t.Fatalf("events %v", acts)
	}
	events, _ := f.store.Events(ctx, r.ID)
	if n := events[len(events)-1].Note; n != "Sorted it out myself." {
		t.Fatalf("withdraw note %q", n)
	}
	if mail := f.mail(t, r.ID); strings.Join(mail, ",") != "received→wd@example.com,verify→wd@example.com,withdrawn→wd@example.com" {
		t.Fatalf("emails %v", mail)
	}
	msgs, _ := f.store.ListOutbox(ctx, models.OutboxFilter{RequestID: r.ID})
	for _, m := range msgs {
		if m.Template == "withdrawn" && !strings.Contains(m.TextBody, "https://privacy.example.com/r/") {
			t.Fatalf("the withdrawn email links no status page: %s", m.TextBody)
		}
	}
	// Once withdrawn, nothing more: a second withdrawal changes nothing.
	if _, err := f.svc.WithdrawByRequester(ctx, status, ""); !errors.Is(err, lifecycle.ErrIllegal) {
		t.Fatalf("second withdrawal: %v, want ErrIllegal", err)
	}
	if len(f.mail(t, r.ID)) != 3 || len(f.actions(t, r.ID)) != len(acts) {
		t.Fatal("a refused withdrawal wrote something")
	}
	if requests.Withdrawable(lifecycle.Completed) || !requests.Withdrawable(lifecycle.AwaitingRequester) || !requests.Withdrawable(lifecycle.PendingVerification) {
		t.Fatal("Withdrawable disagrees with the lifecycle")
	}
}

// Withdrawing while awaiting the requester, and after staff completed it.
func TestWithdrawByRequesterFollowsTheLifecycle(t *testing.T) {
	f := newSweepFixture(t, "2026-01-05T10:00:00Z")
	waiting, s1 := f.webRequest(t, requests.Input{Type: "access", Email: "w1@example.com"})
	done, s2 := f.webRequest(t, requests.Input{Type: "access", Email: "w2@example.com"})
	if _, err := f.svc.Act(ctx, agent, waiting.ID, requests.ActionInput{Action: "request_info", Note: "Which?"}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"start", "complete"} {
		if _, err := f.svc.Act(ctx, agent, done.ID, requests.ActionInput{Action: a}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := f.svc.WithdrawByRequester(ctx, s1, ""); err != nil || got.Status != lifecycle.Withdrawn {
		t.Fatalf("withdraw while awaiting: %v %v", got, err)
	}
	if _, err := f.svc.WithdrawByRequester(ctx, s2, ""); !errors.Is(err, lifecycle.ErrIllegal) {
		t.Fatalf("withdraw a completed request: %v", err)
	}
	if got := f.get(t, done.ID); got.Status != lifecycle.Completed || got.Outcome != "complied" {
		t.Fatalf("the completed request changed: %s %s", got.Status, got.Outcome)
	}
}
