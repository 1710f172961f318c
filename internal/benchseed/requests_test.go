package benchseed_test

import (
	"context"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/benchseed"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/audit"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// The seed is what a server that ran for two years would hold: the real
// sweep finds exactly the overdue requests to escalate and nothing else,
// every audit chain verifies, and every status is present.
func TestSeedRequestsIsASteadyState(t *testing.T) {
	ctx := context.Background()
	store := testdb.Open(t)
	pol := policy.Default("privacy@bench.example")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	const count, overdue = 20_000, 100
	ids, err := benchseed.SeedRequests(ctx, store, benchseed.Requests{Count: count, Overdue: overdue, Now: now, Policy: pol,
		Assignees: []string{"officer@bench.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != overdue {
		t.Fatalf("%d overdue ids, want %d", len(ids), overdue)
	}
	n, err := store.CountRequests(ctx)
	if err != nil || n != count {
		t.Fatalf("%d requests stored (%v), want %d", n, err, count)
	}
	statuses := map[string]int{}
	for _, s := range lifecycle.Statuses {
		rows, err := store.ListRequests(ctx, models.RequestFilter{Status: s, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		statuses[s] = len(rows)
	}
	for s, n := range statuses {
		if n == 0 {
			t.Errorf("no request in status %s", s)
		}
	}
	checked, err := audit.VerifyAll(ctx, store)
	if err != nil || checked < count {
		t.Fatalf("audit: %d events checked, err %v", checked, err)
	}

	keys := secrets.Derive([]byte("test secret of at least thirty-two bytes!"))
	svc := requests.New(store, pol, requests.Config{BaseURL: "http://rightsdesk.test", MailFrom: "privacy@bench.example",
		Keys: keys, Retention: 730 * 24 * time.Hour}, func() time.Time { return now })
	first, err := svc.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := requests.SweepReport{Escalated: overdue}
	if first != want {
		t.Fatalf("first sweep %+v, want %+v", first, want)
	}
	for _, id := range ids {
		r, err := store.GetRequest(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.EscalationLevel < 2 {
			t.Fatalf("overdue request %s at level %d after the sweep", id, r.EscalationLevel)
		}
	}
	second, err := svc.Sweep(ctx)
	if err != nil || second.Changed() {
		t.Fatalf("second sweep %+v, %v: want no change", second, err)
	}
}
