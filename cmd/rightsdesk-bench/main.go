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
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/handlers"
	"github.com/rightsdesk/rightsdesk/internal/auth"
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
	databaseURL    string
	subjects       int
	events         int
	requests       int
	overdue        int
	importEvents   int
	duration       time.Duration
	warmup         time.Duration
	intakeDuration time.Duration
	connections    int
	threads        int
	rounds         int
	exportSize     int64
	queueCount     int
	deepPages      int
	out            string
	cpuprofile     string
}

func main() {
	var o options
	var exportMB int64
	flag.StringVar(&o.databaseURL, "database-url", "", "postgres://… to measure on PostgreSQL (a fresh schema is made and dropped); SQLite in a temp dir when empty")
	flag.IntVar(&o.subjects, "subjects", 200_000, "consent subjects to seed")
	flag.IntVar(&o.events, "events", 1_000_000, "consent events to seed")
	flag.IntVar(&o.requests, "requests", 1_000_000, "requests to seed, over two years")
	flag.IntVar(&o.overdue, "overdue", 10_000, "of those, active requests past their deadline the sweep must escalate")
	flag.IntVar(&o.importEvents, "import-events", 200_000, "events in the timed consent import")
	flag.DurationVar(&o.duration, "duration", 15*time.Second, "length of each measured wrk run")
	flag.DurationVar(&o.warmup, "warmup", 5*time.Second, "unmeasured run before the first round")
	flag.DurationVar(&o.intakeDuration, "intake-duration", 60*time.Second, "length of the public intake load")
	flag.IntVar(&o.connections, "connections", 64, "wrk connections")
	flag.IntVar(&o.threads, "threads", 2, "wrk threads")
	flag.IntVar(&o.rounds, "rounds", 2, "alternating ceiling/check rounds")
	flag.Int64Var(&exportMB, "export-mb", 1024, "size of the export package's answers in MiB (0 skips the export)")
	flag.IntVar(&o.queueCount, "queue-requests", 500, "requests timed per staff queue case")
	flag.IntVar(&o.deepPages, "deep-pages", 500, "pages of 200 followed before the deep queue cases (0 skips them)")
	flag.StringVar(&o.out, "out", "", "write the report (markdown) into this file as well, replacing its section for this database")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "have the server write a CPU profile of its whole run to this file")
	flag.Parse()
	o.exportSize = exportMB << 20
	if err := runSuite(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "rightsdesk-bench:", err)
		os.Exit(1)
	}
}

// flagsText is the command line's flags that differ from the defaults, for
// the report.
func (o options) flagsText() string {
	var b strings.Builder
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "out" || f.Name == "cpuprofile" {
			return
		}
		v := f.Value.String()
		if f.Name == "database-url" {
			v = "postgres://…"
		}
		fmt.Fprintf(&b, " -%s %s", f.Name, v)
	})
	return b.String()
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
