package requests_test

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/audit"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

var ctx = context.Background()

func newService(t *testing.T) (*requests.Service, *models.Store) {
	store := testdb.Open(t)
	now := func() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) }
	svc := requests.New(store, policy.Default("privacy@example.com"), requests.Config{
		BaseURL: "https://privacy.example.com/", MailFrom: "privacy@example.com", Keys: secrets.Derive([]byte("k")),
	}, now)
	return svc, store
}

var verifyLink = regexp.MustCompile(`https://privacy\.example\.com/verify/([A-Z2-7]+)`)

func submit(t *testing.T, svc *requests.Service, store *models.Store) (*models.Request, string) {
	t.Helper()
	r, err := svc.Submit(ctx, requests.Input{Type: "access", Email: "race@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := store.ListOutbox(ctx, models.OutboxFilter{RequestID: r.ID})
	m := verifyLink.FindStringSubmatch(msgs[0].TextBody)
	if m == nil {
		t.Fatalf("no verification link (BaseURL's trailing slash must not double): %s", msgs[0].TextBody)
	}
	return r, m[1]
}

// Five tabs confirm the same link at once: exactly one confirmation, one
// receipt email, one verify event.
func TestConcurrentConfirmationsConfirmOnce(t *testing.T) {
	svc, store := newService(t)
	r, token := submit(t, svc, store)
	var wg sync.WaitGroup
	results := make(chan error, 5)
	for range 5 {
		wg.Add(1)
		go func() { defer wg.Done(); _, err := svc.Verify(ctx, token); results <- err }()
	}
	wg.Wait()
	close(results)
	ok := 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, requests.ErrLinkGone):
			t.Errorf("unexpected error: %v", err)
		}
	}
	msgs, _ := store.ListOutbox(ctx, models.OutboxFilter{RequestID: r.ID})
	events, _ := store.Events(ctx, r.ID)
	if ok != 1 || len(msgs) != 2 || len(events) != 2 {
		t.Fatalf("confirmed %d times, %d emails, %d events; want 1, 2, 2", ok, len(msgs), len(events))
	}
}

// Two staff members start the same request at once: one wins, the other is
// refused, and the chain stays single.
func TestConcurrentActionsNeverForkTheChain(t *testing.T) {
	svc, store := newService(t)
	r, token := submit(t, svc, store)
	if _, err := svc.Verify(ctx, token); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svc.Act(ctx, requests.Actor{Kind: "staff", Name: "s@example.com"}, r.ID, requests.ActionInput{Action: "start"})
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, requests.ErrConflict), errors.Is(err, requests.ErrIllegalTransition), errors.Is(err, models.ErrDuplicate):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d starts succeeded, want 1", wins)
	}
	if n, err := audit.VerifyAll(ctx, store); err != nil || n != 3 {
		t.Fatalf("chain: %d events, %v", n, err)
	}
}

// A failed step rolls back the whole action: an extension refused by the
// clock leaves no event and no email behind.
func TestRefusedActionLeavesNoTrace(t *testing.T) {
	svc, store := newService(t)
	r, token := submit(t, svc, store)
	svc.Verify(ctx, token)
	_, err := svc.Act(ctx, requests.System, r.ID, requests.ActionInput{Action: "extend", Days: 400, Reason: "too long"})
	var fe *requests.FieldError
	if !errors.As(err, &fe) || fe.Field != "days" || !fe.Unprocessable {
		t.Fatalf("want a 422 on days, got %v", err)
	}
	events, _ := store.Events(ctx, r.ID)
	msgs, _ := store.ListOutbox(ctx, models.OutboxFilter{RequestID: r.ID})
	if len(events) != 2 || len(msgs) != 2 {
		t.Fatalf("a refused action left %d events, %d emails", len(events), len(msgs))
	}
}
