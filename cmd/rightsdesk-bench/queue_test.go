package main

import (
	"context"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/benchseed"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
)

// queueServerEnv is the environment of a measured server on dbURL.
func queueServerEnv(t *testing.T, dbURL string) []string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	env := []string{
		"RIGHTSDESK_ADDR=" + addr, "RIGHTSDESK_BASE_URL=http://" + addr, "RIGHTSDESK_DATABASE_URL=" + dbURL,
		"RIGHTSDESK_FILES_DIR=" + t.TempDir(), "RIGHTSDESK_SECRET=" + rand.Text() + rand.Text(),
		"RIGHTSDESK_LOG_FORMAT=json", "RIGHTSDESK_RATE_LIMIT_IP=off", "RIGHTSDESK_RATE_LIMIT_EMAIL=off",
		"RIGHTSDESK_RATE_LIMIT_LOGIN=off", "RIGHTSDESK_RATE_LIMIT_TOKENS=off",
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RIGHTSDESK_") && !strings.HasPrefix(kv, "RESEND_") && !strings.HasPrefix(kv, "SENTRY_") {
			env = append(env, kv)
		}
	}
	return env
}

// The measurement itself, on a small seeded database (SQLite, or a fresh
// schema of RIGHTSDESK_TEST_DATABASE_URL): the real binary starts, every
// queue case answers 200 with the rows it should, deep cursors are
// followed, the detail is read with one and with several clients.
func TestQueueMeasurement(t *testing.T) {
	ctx := context.Background()
	dbURL := "sqlite://" + filepath.Join(t.TempDir(), "queue.db")
	if pg := os.Getenv("RIGHTSDESK_TEST_DATABASE_URL"); pg != "" {
		u, cleanup, err := pgSchema(pg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cleanup)
		dbURL = u
	}
	store, err := models.Open(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	const count = 5_000
	if _, err := benchseed.SeedRequests(ctx, store, benchseed.Requests{Count: count, Overdue: 20, Now: now,
		Policy: policy.Default("privacy@bench.example"), Assignees: []string{"alice@bench.example", "bob@bench.example"}}); err != nil {
		t.Fatal(err)
	}
	key, _, err := staff.New(store, time.Now).CreateAPIKey(ctx, "queue-bench", []string{models.ScopeRequestsRead}, "bench")
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	bin, err := buildRightsdesk(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	env := queueServerEnv(t, dbURL)
	ready, rss, stop, err := measureStartup(bin, env)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if ready <= 0 || rss < 1<<20 {
		t.Fatalf("start-up %s, RSS %d bytes", ready, rss)
	}
	var base string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "RIGHTSDESK_ADDR="); ok {
			base = "http://" + v
		}
	}
	res, err := measureQueue(base, key, queueOptions{Stop: queueStop{Count: 3}, DeepPages: 5, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]queueTiming{}
	deep := 0
	for _, tm := range res.Timings {
		t.Log(tm)
		if tm.N != 3 || tm.P50 <= 0 || tm.P99 < tm.P50 || tm.Max < tm.P99 {
			t.Errorf("%s: %+v", tm.Name, tm)
		}
		byName[tm.Name] = tm
		if strings.HasPrefix(tm.Name, "deep (1000 rows in)") {
			deep++
		}
	}
	for name, rows := range map[string]int{"q=reference": 1, "q=exact email": 1, "q=no match": 0,
		"first page, unfiltered": 50, "regime=default (no row)": 0, "type=appeal&regime=default&status=denied (none)": 0} {
		if tm, ok := byName[name]; !ok || tm.Rows != rows {
			t.Errorf("%s: %d rows (measured: %v), want %d", name, tm.Rows, ok, rows)
		}
	}
	if tm := byName["q=whole name"]; tm.Rows < 1 {
		t.Errorf("q=whole name: no row")
	}
	if _, ok := byName["deep (1000 rows in) unfiltered"]; !ok || deep < 3 || len(res.IDs) < 3*1000 {
		t.Errorf("%d deep cases after 1000 rows, %d ids seen", deep, len(res.IDs))
	}
	for _, conns := range []int{1, 8} {
		tm, err := measureRequestDetail(base, key, res.IDs, conns, queueStop{Count: 16})
		if err != nil {
			t.Fatal(err)
		}
		t.Log(tm)
		if tm.N != 16 || tm.Rows < 1 {
			t.Errorf("detail with %d clients: %+v", conns, tm)
		}
	}
}

// TestQueueSeeded measures a database seeded beforehand (1,000,000
// requests for issue 9), when QUEUE_BENCH_DATABASE_URL (migrated) and
// QUEUE_BENCH_BEARER (an API key with requests:read made on it) are set:
//
//	QUEUE_BENCH_DATABASE_URL=sqlite:///tmp/q1m/run.db QUEUE_BENCH_BEARER=rdk_… \
//	QUEUE_BENCH_SECONDS=5 QUEUE_BENCH_DEEP_PAGES=500 \
//	go test ./cmd/rightsdesk-bench -run TestQueueSeeded -v -timeout 1h
//
// QUEUE_BENCH_BINARY picks a prebuilt binary (before/after).
func TestQueueSeeded(t *testing.T) {
	dbURL, bearer := os.Getenv("QUEUE_BENCH_DATABASE_URL"), os.Getenv("QUEUE_BENCH_BEARER")
	if dbURL == "" || bearer == "" {
		t.Skip("QUEUE_BENCH_DATABASE_URL and QUEUE_BENCH_BEARER are not set")
	}
	secs, _ := strconv.Atoi(os.Getenv("QUEUE_BENCH_SECONDS"))
	deep, _ := strconv.Atoi(os.Getenv("QUEUE_BENCH_DEEP_PAGES"))
	bin := os.Getenv("QUEUE_BENCH_BINARY")
	if bin == "" {
		var err error
		if bin, err = buildRightsdesk(context.Background(), t.TempDir()); err != nil {
			t.Fatal(err)
		}
	}
	env := queueServerEnv(t, dbURL)
	ready, rss, stop, err := measureStartup(bin, env)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	t.Logf("start-up to ready %s, idle VmRSS %.1f MB", ready.Round(time.Millisecond), float64(rss)/(1<<20))
	var base string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "RIGHTSDESK_ADDR="); ok {
			base = "http://" + v
		}
	}
	stopAt := queueStop{Duration: time.Duration(max(secs, 1)) * time.Second}
	res, err := measureQueue(base, bearer, queueOptions{Stop: stopAt, DeepPages: deep})
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range res.Timings {
		t.Log(tm)
	}
	ids := res.IDs
	if len(ids) == 0 {
		_, ids, err = newQueueClient(base, bearer).walkCursor("", 5, 200)
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, conns := range []int{1, 64} {
		tm, err := measureRequestDetail(base, bearer, ids, conns, stopAt)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(tm)
	}
}
