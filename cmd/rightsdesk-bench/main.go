// Command rightsdesk-bench measures rightsdesk against the machine's own
// ceiling: it seeds a database of realistic size, serves the real handlers
// and a bare echo handler side by side, loads both with wrk (Debian's
// package) in the same run, and prints each figure with its ratio to the
// ceiling. Ratios, because machines are noisy.
//
//	go run ./cmd/rightsdesk-bench                       # SQLite in a temp dir
//	go run ./cmd/rightsdesk-bench -database-url postgres://…  # PostgreSQL
//	go run ./cmd/rightsdesk-bench -out docs/performance.md    # also write the report
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/handlers"
	"github.com/rightsdesk/rightsdesk/internal/auth"
	"github.com/rightsdesk/rightsdesk/internal/benchseed"
	"github.com/rightsdesk/rightsdesk/internal/cachebus"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/consents"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

type options struct {
	databaseURL string
	subjects    int
	events      int
	duration    time.Duration
	warmup      time.Duration
	connections int
	threads     int
	rounds      int
	out         string
	cpuprofile  string
}

func main() {
	var o options
	flag.StringVar(&o.databaseURL, "database-url", "", "postgres://… to measure on PostgreSQL (a fresh schema is made and dropped); SQLite in a temp dir when empty")
	flag.IntVar(&o.subjects, "subjects", 200_000, "consent subjects to seed")
	flag.IntVar(&o.events, "events", 1_000_000, "consent events to seed")
	flag.DurationVar(&o.duration, "duration", 15*time.Second, "length of each measured wrk run")
	flag.DurationVar(&o.warmup, "warmup", 5*time.Second, "unmeasured run before the first round")
	flag.IntVar(&o.connections, "connections", 64, "wrk connections")
	flag.IntVar(&o.threads, "threads", 2, "wrk threads")
	flag.IntVar(&o.rounds, "rounds", 2, "alternating bare/check rounds")
	flag.StringVar(&o.out, "out", "", "write the report (markdown) to this file as well")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the check rounds to this file")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "rightsdesk-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk is not installed (apt-get install wrk)")
	}
	dbURL, dbName, cleanup, err := benchDatabase(o.databaseURL)
	if err != nil {
		return err
	}
	defer cleanup()
	store, err := models.Open(dbURL)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return err
	}
	pol := policy.Default("privacy@bench.example")
	var purposes []string
	for _, p := range pol.Purposes {
		purposes = append(purposes, p.Key)
	}
	fmt.Printf("seeding %d consent events over %d subjects on %s\n", o.events, o.subjects, dbName)
	began := time.Now()
	err = benchseed.SeedConsents(ctx, store, benchseed.Consents{Subjects: o.subjects, Events: o.events, Purposes: purposes,
		Progress: func(done, total int) { fmt.Printf("\r  %s", bar(done, total)) }})
	fmt.Println()
	if err != nil {
		return err
	}
	fmt.Printf("  seeded in %s\n", time.Since(began).Round(time.Second))

	app, key, stop, err := startApp(ctx, store, pol)
	if err != nil {
		return err
	}
	defer stop()
	bare, stopBare, err := serve(bareEcho())
	if err != nil {
		return err
	}
	defer stopBare()

	script, err := writeScript(o.subjects, purposes, key)
	if err != nil {
		return err
	}
	defer os.Remove(script)
	path := "/api/v1/consents/check"
	fmt.Println("warming up")
	if _, err := runWrk(bare+path, script, o, o.warmup); err != nil {
		return err
	}
	cold, err := runWrk(app+path, script, o, o.warmup)
	if err != nil {
		return err
	}
	fmt.Printf("cold cache: %.0f req/s p99 %s; now reading every subject once\n", cold.rps, cold.p99)
	if err := readEverySubject(app, key, o.subjects); err != nil {
		return err
	}
	var rounds []round
	for i := 0; i < o.rounds; i++ {
		b, err := runWrk(bare+path, script, o, o.duration)
		if err != nil {
			return err
		}
		stopProfile, err := startProfile(o.cpuprofile)
		if err != nil {
			return err
		}
		c, err := runWrk(app+path, script, o, o.duration)
		stopProfile()
		if err != nil {
			return err
		}
		rounds = append(rounds, round{bare: b, check: c})
		fmt.Printf("round %d: bare %.0f req/s p99 %s; check %.0f req/s p99 %s\n", i+1, b.rps, b.p99, c.rps, c.p99)
	}
	fresh, err := spotCheck(app, key)
	if err != nil {
		return err
	}
	report := render(o, dbName, rounds, cold, fresh)
	fmt.Print(report)
	if o.out != "" {
		return writeReport(o.out, dbName, report)
	}
	return nil
}

// benchDatabase is a fresh SQLite file, or a fresh schema of the
// PostgreSQL database given.
func benchDatabase(pgURL string) (url, name string, cleanup func(), err error) {
	if pgURL == "" {
		dir, err := os.MkdirTemp("", "rightsdesk-bench-")
		if err != nil {
			return "", "", nil, err
		}
		return "sqlite://" + filepath.Join(dir, "bench.db"), "SQLite", func() { os.RemoveAll(dir) }, nil
	}
	u, cleanup, err := pgSchema(pgURL)
	return u, "PostgreSQL", cleanup, err
}

// startApp serves the real handlers over the seeded store on a loopback
// port, with an API key that may read consent.
func startApp(ctx context.Context, store *models.Store, pol *policy.Policy) (baseURL, key string, stop func(), err error) {
	keys := secrets.Derive([]byte("benchmark secret of at least thirty-two bytes"))
	// Logs are formatted as in production (JSON) but not written: the
	// terminal is not what is measured.
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	bctx, cancel := context.WithCancel(ctx)
	bus := cachebus.New(store, log)
	go bus.Run(bctx)
	for deadline := time.Now().Add(10 * time.Second); !bus.Healthy(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			return "", "", nil, fmt.Errorf("the cache bus did not start")
		}
	}
	queue := webhooks.NewQueue()
	cons := consents.New(store, pol, consents.Config{BaseURL: "http://localhost", MailFrom: "privacy@bench.example", Keys: keys}, time.Now, bus, queue)
	reqs := requests.New(store, pol, requests.Config{BaseURL: "http://localhost", MailFrom: "privacy@bench.example", Keys: keys, Consents: cons}, time.Now)
	st := staff.New(store, time.Now)
	st.UseCache(bus)
	key, _, err = st.CreateAPIKey(ctx, "bench", []string{models.ScopeConsentsRead, models.ScopeConsentsWrite}, "bench")
	if err != nil {
		cancel()
		return "", "", nil, err
	}
	srv := handlers.New(handlers.Deps{Store: store, Requests: reqs, Staff: st, Consents: cons,
		Webhooks: webhooks.NewService(store, keys, queue, time.Now), JWT: auth.NewJWT(keys.JWTKey(), time.Hour, time.Now),
		Log: log, BaseURL: "http://localhost"})
	u, stopSrv, err := serve(srv.Handler())
	if err != nil {
		cancel()
		return "", "", nil, err
	}
	return u, key, func() { stopSrv(); cancel() }, nil
}

// bareEcho is the ceiling: echo with no middleware, answering a small JSON
// body of the same shape as the consent check.
func bareEcho() http.Handler {
	e := echo.New()
	e.GET("/api/v1/consents/check", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"purpose": c.QueryParam("purpose"), "granted": true, "since": nil, "source": "default"})
	})
	return e
}

func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	s := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go s.Serve(ln)
	return "http://" + ln.Addr().String(), func() { s.Close() }, nil
}

// startProfile profiles the CPU until the returned func is called (a no-op
// without a file name); a later round overwrites an earlier one.
func startProfile(file string) (func(), error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func bar(done, total int) string {
	const width = 40
	n := width * done / max(1, total)
	return fmt.Sprintf("[%s%s] %3d%% %d/%d", strings.Repeat("#", n), strings.Repeat(".", width-n), 100*done/max(1, total), done, total)
}

func machine() string {
	model := "unknown CPU"
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d cores (%s), %s %s/%s", runtime.NumCPU(), model, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
