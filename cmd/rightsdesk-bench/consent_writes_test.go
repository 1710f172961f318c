package main

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/benchseed"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
)

func policyPurposes(pol *policy.Policy) []string {
	var out []string
	for _, p := range pol.Purposes {
		out = append(out, p.Key)
	}
	return out
}

// consentWriteDB counts what the write load left: events whose evidence
// the script sets, and states that are not their subject's latest event
// for the purpose (there must be none).
func consentWriteDB(t *testing.T, store *models.Store) (events, staleStates int) {
	t.Helper()
	db, err := store.SQL()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM consent_events WHERE evidence = 'wrk load'`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	// A state must be the latest event of its subject and purpose: no event
	// of the pair is later, and its own event exists with the same action.
	err = db.QueryRow(`SELECT count(*) FROM consent_states st
		WHERE NOT EXISTS (SELECT 1 FROM consent_events e WHERE e.id = st.event_id AND e.subject = st.subject
			AND e.purpose = st.purpose AND (e.action = 'grant') = st.granted)
		OR EXISTS (SELECT 1 FROM consent_events e WHERE e.subject = st.subject AND e.purpose = st.purpose AND e.at > st.since)`).Scan(&staleStates)
	if err != nil && err != sql.ErrNoRows {
		t.Fatal(err)
	}
	return events, staleStates
}

// The write script, run for a second against the real handlers: every
// answer is 201 by its own count, every 201 is an event stored, and every
// state is its pair's latest event. measureImport imports every line.
func TestConsentWriteScriptAndImport(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk is not installed")
	}
	ctx := context.Background()
	store := testdb.Open(t)
	pol := policy.Default("privacy@bench.example")
	purposes := policyPurposes(pol)
	const subjects = 200
	if err := benchseed.SeedConsents(ctx, store, benchseed.Consents{Subjects: subjects, Events: 1000, Purposes: purposes}); err != nil {
		t.Fatal(err)
	}
	base, key, stop, err := startApp(ctx, store, pol)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	script, err := consentWriteScript(subjects, purposes, key)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(script)
	out, err := exec.Command("wrk", "-t", "2", "-c", "4", "-d", "1s", "-s", script, base+consentWritePath).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	created, failed, ok := consentWriteCounts(string(out))
	if !ok || failed != 0 || created == 0 {
		t.Fatalf("created %d, failed %d (counts printed: %v):\n%s", created, failed, ok, out)
	}
	// wrk stops at the deadline without waiting for the answers in flight:
	// those writes may be stored without being counted.
	events, stale := consentWriteDB(t, store)
	if events < created || events > created+4 || stale != 0 {
		t.Fatalf("wrk counted %d created; %d events stored, %d states not the latest event", created, events, stale)
	}

	rate, err := measureImport(base, key, subjects, 3000, purposes)
	if err != nil {
		t.Fatal(err)
	}
	if rate <= 0 {
		t.Fatalf("rate %v", rate)
	}
	if _, stale := consentWriteDB(t, store); stale != 0 {
		t.Fatalf("after the import %d states are not their pair's latest event", stale)
	}
}

// TestConsentWriteLoad is the issue-9 measurement, not a unit test: it runs
// only when RIGHTSDESK_CONSENT_LOAD is a duration. It seeds
// RIGHTSDESK_CONSENT_SUBJECTS subjects (default 20,000, five events each),
// serves the real handlers in this process, loads POST /api/v1/consents
// with wrk (64 connections), checks that every 201 is stored and every
// state is its pair's latest event, then times an import of
// RIGHTSDESK_CONSENT_IMPORT events (default 200,000).
//
//	RIGHTSDESK_CONSENT_LOAD=20s go test ./cmd/rightsdesk-bench -run TestConsentWriteLoad -v -timeout 20m
//	… RIGHTSDESK_TEST_DATABASE_URL=postgres://… (PostgreSQL); -cpuprofile FILE profiles the server too
func TestConsentWriteLoad(t *testing.T) {
	raw := os.Getenv("RIGHTSDESK_CONSENT_LOAD")
	if raw == "" {
		t.Skip("set RIGHTSDESK_CONSENT_LOAD=20s to measure consent writes under load")
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		t.Fatalf("RIGHTSDESK_CONSENT_LOAD: %v", err)
	}
	envInt := func(name string, def int) int {
		if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
			return v
		}
		return def
	}
	subjects := envInt("RIGHTSDESK_CONSENT_SUBJECTS", 20_000)
	imports := envInt("RIGHTSDESK_CONSENT_IMPORT", 200_000)
	ctx := context.Background()
	store := testdb.Open(t)
	pol := policy.Default("privacy@bench.example")
	purposes := policyPurposes(pol)
	if err := benchseed.SeedConsents(ctx, store, benchseed.Consents{Subjects: subjects, Events: 5 * subjects, Purposes: purposes}); err != nil {
		t.Fatal(err)
	}
	base, key, stop, err := startApp(ctx, store, pol)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	script, err := consentWriteScript(subjects, purposes, key)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(script)
	cpu0 := cpuTime(t)
	out, err := exec.Command("wrk", "-t", "2", "-c", "64", "-d", strconv.Itoa(int(d.Seconds()))+"s", "--latency", "-s", script, base+consentWritePath).CombinedOutput()
	cpuWrites := cpuTime(t) - cpu0
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	res, err := parseWrk(string(out))
	if err != nil {
		t.Fatal(err)
	}
	created, failed, _ := consentWriteCounts(string(out))
	events, stale := consentWriteDB(t, store)
	t.Logf("%s writes: %.0f req/s, p50 %s, p99 %s, created %d, failed %d, socket errors %d; stored %d, stale states %d; server CPU %s per write",
		store.Dialect(), res.rps, res.p50, res.p99, created, failed, res.errors, events, stale, cpuWrites/time.Duration(max(1, created)))
	if failed != 0 || res.errors != 0 || events < created || events > created+64 || stale != 0 {
		t.Errorf("writes failed or were lost under load:\n%s", out)
	}
	cpu0 = cpuTime(t)
	rate, err := measureImport(base, key, subjects, imports, purposes)
	if err != nil {
		t.Fatal(err)
	}
	cpuImport := cpuTime(t) - cpu0
	_, stale = consentWriteDB(t, store)
	t.Logf("%s import: %d events at %.0f events/s; stale states %d; server CPU %s per event (with the client's generating the file)",
		store.Dialect(), imports, rate, stale, cpuImport/time.Duration(imports))
	if stale != 0 {
		t.Errorf("%d states are not their pair's latest event after the import", stale)
	}
}

// cpuTime is the CPU this process (the server, and the test) has used: a
// figure that the other loads of a shared machine disturb far less than
// requests per second.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
