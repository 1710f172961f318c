package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/benchseed"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/testutil/fakeresend"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
)

// The suite, in the order it runs (each step's figure goes in the table):
//
//  1. seed the consent events and the requests (progress bars);
//  2. time the sweep over the seeded requests, twice, before any server
//     runs (the second sweep must change nothing);
//  3. start the real binary on that database and time it to /readyz; wait
//     for the escalation notices the sweep queued to be sent; read the
//     idle RSS;
//  4. load it, sampling its RSS throughout: the bare echo ceiling and the
//     consent check in alternating rounds, consent writes, a consent
//     import, public intake for a minute (then every email accounted
//     for), the staff queue and request detail with one client;
//  5. build and download an export package of -export-size, with the
//     RSS peak of that phase alone.
const (
	benchAdminEmail    = "admin@bench.example"
	benchAdminPassword = "bench admin password of some length"
	benchSecret        = "benchmark secret of at least thirty-two bytes"
)

// suite holds what the steps share.
type suite struct {
	o       options
	dbName  string
	dbURL   string
	store   *models.Store
	pol     *policy.Policy
	purpose []string
	key     string    // an API key with every scope
	now     time.Time // the seed's present, and the sweep's clock
	srvURL  string
	dir     string
	figs    []figure
	facts   []string // lines printed under the table
}

func runSuite(ctx context.Context, o options) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk is not installed (apt-get install wrk)")
	}
	dir, err := os.MkdirTemp("", "rightsdesk-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	s := &suite{o: o, dir: dir}
	dbURL, dbName, cleanup, err := benchDatabase(o.databaseURL)
	if err != nil {
		return err
	}
	defer cleanup()
	s.dbURL, s.dbName = dbURL, dbName
	fmt.Println("building the server")
	bin, err := buildRightsdesk(ctx, dir)
	if err != nil {
		return err
	}
	if s.store, err = models.Open(dbURL); err != nil {
		return err
	}
	defer s.store.Close()
	if err := s.store.Migrate(ctx); err != nil {
		return err
	}
	s.now = time.Now().UTC()
	s.pol = policy.Default("privacy@bench.example")
	for _, p := range s.pol.Purposes {
		s.purpose = append(s.purpose, p.Key)
	}
	if err := s.seed(ctx); err != nil {
		return err
	}
	if err := s.sweep(ctx); err != nil {
		return err
	}
	s.key, _, err = staff.New(s.store, time.Now).CreateAPIKey(ctx, "bench",
		[]string{models.ScopeConsentsRead, models.ScopeConsentsWrite, models.ScopeRequestsRead, models.ScopeRequestsWrite}, "bench")
	if err != nil {
		return err
	}

	fake := fakeresend.Start()
	defer fake.Close()
	env := []string{
		"RIGHTSDESK_DATABASE_URL=" + dbURL, "RIGHTSDESK_SECRET=" + benchSecret,
		"RIGHTSDESK_MAIL_FROM=privacy@bench.example",
		"RESEND_API_KEY=re_bench", "RESEND_BASE_URL=" + fake.URL(),
		"RIGHTSDESK_FILES_DIR=" + filepath.Join(dir, "files"), "RIGHTSDESK_LOG_FORMAT=json",
		"RIGHTSDESK_ADMIN_EMAIL=" + benchAdminEmail, "RIGHTSDESK_ADMIN_PASSWORD=" + benchAdminPassword,
		// All the load comes from one address: the abuse limits would
		// refuse nearly all of it.
		"RIGHTSDESK_RATE_LIMIT_IP=off", "RIGHTSDESK_RATE_LIMIT_EMAIL=off", "RIGHTSDESK_RATE_LIMIT_TOKENS=off",
	}
	if o.cpuprofile != "" {
		env = append(env, "RIGHTSDESK_CPU_PROFILE="+o.cpuprofile)
	}
	fmt.Println("starting the server")
	srv, err := startServer(bin, env, filepath.Join(dir, "server.log"))
	if err != nil {
		return err
	}
	defer srv.Stop()
	s.srvURL = srv.BaseURL
	s.add(figure{name: "start-up to /readyz", value: srv.Ready.Round(time.Millisecond).String(), target: "≤ 1 s", met: srv.Ready <= time.Second})
	if err := s.idle(ctx, srv); err != nil {
		return err
	}
	srv.resetPeak()
	if err := s.load(ctx, srv, fake); err != nil {
		return fmt.Errorf("%w (server log: %s)", err, tail(filepath.Join(dir, "server.log")))
	}
	peak := srv.Peak()
	s.add(figure{name: "RSS under the load above (peak)", value: megabytes(peak), target: "≤ 200 MB", met: peak <= 200<<20})
	if o.exportSize > 0 {
		if err := s.export(ctx, srv, fake); err != nil {
			return fmt.Errorf("%w (server log: %s)", err, tail(filepath.Join(dir, "server.log")))
		}
	}
	report := s.render()
	fmt.Print(report)
	if o.out != "" {
		return writeSection(o.out, "bench:suite:"+s.dbName, report)
	}
	return nil
}

func (s *suite) add(f figure) {
	s.figs = append(s.figs, f)
	fmt.Printf("  %s: %s %s\n", f.name, f.value, f.verdict())
}

// seed fills the database: consent events first, then the requests.
func (s *suite) seed(ctx context.Context) error {
	o := s.o
	fmt.Printf("seeding %d consent events over %d subjects on %s\n", o.events, o.subjects, s.dbName)
	began := time.Now()
	err := benchseed.SeedConsents(ctx, s.store, benchseed.Consents{Subjects: o.subjects, Events: o.events, Purposes: s.purpose,
		Progress: func(done, total int) { fmt.Printf("\r  %s", bar(done, total)) }})
	fmt.Println()
	if err != nil {
		return err
	}
	fmt.Printf("  seeded in %s\nseeding %d requests over two years, %d of them overdue\n", time.Since(began).Round(time.Second), o.requests, o.overdue)
	began = time.Now()
	_, err = benchseed.SeedRequests(ctx, s.store, benchseed.Requests{Count: o.requests, Overdue: o.overdue, Now: s.now, Policy: s.pol,
		Assignees: []string{"officer@bench.example", "analyst@bench.example", "dpo@bench.example"},
		Progress:  func(done, total int) { fmt.Printf("\r  %s", bar(done, total)) }})
	fmt.Println()
	if err != nil {
		return err
	}
	fmt.Printf("  seeded in %s\n", time.Since(began).Round(time.Second))
	s.facts = append(s.facts, fmt.Sprintf("Database: %s with %d requests over two years in every status (%d overdue) and %d consent events over %d subjects.",
		s.dbName, o.requests, o.overdue, o.events, o.subjects))
	return nil
}

// idle lets the server send what the sweep queued, then reads its RSS at
// rest after a few requests.
func (s *suite) idle(ctx context.Context, srv *serverProcess) error {
	db, err := s.store.SQL()
	if err != nil {
		return err
	}
	fmt.Println("waiting for the sweep's notices to be sent")
	err = waitFor(ctx, 5*time.Minute, func() (bool, error) {
		var n int
		err := db.QueryRowContext(ctx, "SELECT count(*) FROM outbox_messages WHERE status IN ('pending', 'sending')").Scan(&n)
		return n == 0, err
	})
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	for _, path := range []string{"/healthz", "/readyz", "/"} {
		if err := get(srv.BaseURL+path, ""); err != nil {
			return err
		}
	}
	time.Sleep(2 * time.Second)
	rss, err := srv.RSS()
	if err != nil {
		return err
	}
	s.add(figure{name: "RSS idle", value: megabytes(rss), target: "≤ 60 MB", met: rss <= 60<<20})
	return nil
}

// tail is the end of a log file, for an error message.
func tail(path string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	return strings.Join(lines[max(0, len(lines)-5):], "\n")
}
