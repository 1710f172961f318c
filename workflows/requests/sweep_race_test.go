package requests_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/internal/testutil/fakeresend"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/outbox"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// Two instances on one database: two sweepers and two outbox senders run at
// once over overdue requests. Every escalation happens once, every notice is
// queued once, and every email reaches the provider exactly once.
func TestTwoSweepersAndTwoSendersNotifyExactlyOnce(t *testing.T) {
	f := newSweepFixture(t, "2026-01-05T09:00:00Z")
	const n = 25
	var ids []string
	for i := range n {
		r := f.open(t, requests.Input{Type: "deletion", Email: fmt.Sprintf("p%d@example.com", i), Regime: "lgpd"})
		ids = append(ids, r.ID)
	}
	f.clock.Set("2026-02-15T00:00:00Z") // past due and past grace: level 3
	// A second instance: its own service over the same database.
	other := requests.New(f.store, f.svc.Policy(), requests.Config{BaseURL: "https://privacy.example.com", MailFrom: "privacy@example.com"}, f.clock.Now)

	resend := fakeresend.New(t)
	sender, err := mail.NewResend("re_test", resend.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	senders := []*outbox.Dispatcher{
		{Store: f.store, Sender: sender, Now: f.clock.Now, Log: quiet, Batch: 7},
		{Store: f.store, Sender: sender, Now: f.clock.Now, Log: quiet, Batch: 7},
	}
	var wg sync.WaitGroup
	reports := make([]requests.SweepReport, 2)
	for i, svc := range []*requests.Service{f.svc, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := svc.Sweep(ctx)
			if err != nil {
				t.Error(err)
			}
			reports[i] = rep
		}()
	}
	stop := make(chan struct{})
	var senderWG sync.WaitGroup
	for _, d := range senders {
		senderWG.Add(1)
		go func() {
			defer senderWG.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := d.RunOnce(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	senderWG.Wait()
	for _, d := range senders { // drain what the sweep queued last
		for {
			claimed, err := d.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if claimed == 0 {
				break
			}
		}
	}

	if got := reports[0].Escalated + reports[1].Escalated; got != n {
		t.Fatalf("escalated %d times in total (%+v), want %d", got, reports, n)
	}
	// Per request: the receipt, then level 2 (officer user, policy officer,
	// the requester) and level 3 (the admin).
	want := n * 5
	emails := resend.Emails()
	if len(emails) != want || resend.Attempts() != want {
		t.Fatalf("%d distinct emails in %d attempts, want %d and %d", len(emails), resend.Attempts(), want, want)
	}
	perKey := map[string]int{}
	for _, e := range emails {
		perKey[e.IdempotencyKey]++
	}
	for key, c := range perKey {
		if c != 1 {
			t.Fatalf("message %s sent %d times", key, c)
		}
	}
	for _, id := range ids {
		events, _ := f.store.Events(ctx, id)
		escalations := 0
		for _, e := range events {
			if e.Action == "escalate" {
				escalations++
			}
		}
		msgs, _ := f.store.ListOutbox(ctx, models.OutboxFilter{RequestID: id})
		if escalations != 1 || len(msgs) != 5 {
			t.Fatalf("request %s: %d escalation events, %d messages", id, escalations, len(msgs))
		}
		for _, m := range msgs {
			if m.Status != models.OutboxSent {
				t.Fatalf("message %s is %s", m.ID, m.Status)
			}
		}
	}
}
