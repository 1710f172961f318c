package main

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/benchseed"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
)

// sweepNow is the instant the sweep measurements seed and sweep at.
var sweepNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// measureSweep on a small seed: it finds the seeded overdue requests as
// the ones to escalate, and both sweeps pass its checks.
func TestMeasureSweep(t *testing.T) {
	ctx := context.Background()
	store := testdb.Open(t)
	pol := policy.Default("privacy@bench.example")
	ids, err := benchseed.SeedRequests(ctx, store, benchseed.Requests{Count: 5_000, Overdue: 40, Now: sweepNow, Policy: pol})
	if err != nil {
		t.Fatal(err)
	}
	res, err := measureSweep(ctx, store, pol, sweepNow)
	if err != nil {
		t.Fatal(err)
	}
	if res.Overdue != len(ids) || res.FirstRep.Escalated != len(ids) || res.Notices < len(ids) {
		t.Fatalf("%d seeded overdue: %s", len(ids), res)
	}
	if _, err := measureSweep(ctx, store, pol, sweepNow); err != nil {
		t.Fatalf("a third sweep found work: %v", err)
	}
}

// TestSweepLoad measures the sweep over a large seeded database:
//
//	RIGHTSDESK_SWEEP_DB=sqlite:///tmp/sweep.db RIGHTSDESK_SWEEP_SEED=1000000 go test ./cmd/rightsdesk-bench -run TestSweepLoad -v -timeout 2h
//
// seeds the database (1,000,000 requests, 10,000 overdue) when it holds no
// requests yet; with RIGHTSDESK_SWEEP_SEED_ONLY=1 it stops there, so that a
// copy of the seeded database can be measured again and again.
func TestSweepLoad(t *testing.T) {
	url := os.Getenv("RIGHTSDESK_SWEEP_DB")
	if url == "" {
		t.Skip("set RIGHTSDESK_SWEEP_DB (and RIGHTSDESK_SWEEP_SEED) to measure the sweep over a large database")
	}
	ctx := context.Background()
	store, err := models.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	pol := policy.Default("privacy@bench.example")
	if n, err := store.CountRequests(ctx); err != nil {
		t.Fatal(err)
	} else if n == 0 {
		count, _ := strconv.Atoi(os.Getenv("RIGHTSDESK_SWEEP_SEED"))
		if count == 0 {
			count = 1_000_000
		}
		began := time.Now()
		if _, err := benchseed.SeedRequests(ctx, store, benchseed.Requests{Count: count, Overdue: count / 100, Now: sweepNow, Policy: pol,
			Progress: func(done, total int) { t.Logf("seeded %d of %d", done, total) }}); err != nil {
			t.Fatal(err)
		}
		t.Logf("seeded %d requests in %s", count, time.Since(began).Round(time.Second))
	}
	if os.Getenv("RIGHTSDESK_SWEEP_SEED_ONLY") != "" {
		return
	}
	res, err := measureSweep(ctx, store, pol, sweepNow)
	t.Log(res)
	if err != nil {
		t.Fatal(err)
	}
}
