package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/fakeresend"
)

// load runs the loads against the server, each with the ceiling of its
// shape measured in the same run.
func (s *suite) load(ctx context.Context, srv *serverProcess, fake *fakeresend.Server) error {
	bare, stopBare, err := serve(bareEcho())
	if err != nil {
		return err
	}
	defer stopBare()
	ceiling, err := s.consentCheck(srv, bare)
	if err != nil {
		return fmt.Errorf("consent check: %w", err)
	}
	if err := s.consentWrites(ctx, srv, ceiling); err != nil {
		return fmt.Errorf("consent writes: %w", err)
	}
	if err := s.intake(ctx, srv, fake, ceiling); err != nil {
		return fmt.Errorf("intake: %w", err)
	}
	if err := s.queue(ctx, bare); err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	return nil
}

// consentCheck alternates rounds of the ceiling and the check, after every
// subject was checked once, and returns the ceiling's mean throughput.
func (s *suite) consentCheck(srv *serverProcess, bare string) (float64, error) {
	o := s.o
	script, err := writeScript(o.subjects, s.purpose, s.key)
	if err != nil {
		return 0, err
	}
	defer os.Remove(script)
	const path = "/api/v1/consents/check"
	fmt.Println("consent check: warming up")
	if _, err := runWrk(bare+path, script, o, o.warmup); err != nil {
		return 0, err
	}
	cold, err := runWrk(srv.BaseURL+path, script, o, o.warmup)
	if err != nil {
		return 0, err
	}
	if err := readEverySubject(srv.BaseURL, s.key, o.subjects); err != nil {
		return 0, err
	}
	var sumBare, sumCheck, worstP99 float64
	errs := 0
	for i := 0; i < o.rounds; i++ {
		b, err := runWrk(bare+path, script, o, o.duration)
		if err != nil {
			return 0, err
		}
		c, err := runWrk(srv.BaseURL+path, script, o, o.duration)
		if err != nil {
			return 0, err
		}
		fmt.Printf("  round %d: ceiling %.0f req/s p99 %s; check %.0f req/s p99 %s\n", i+1, b.rps, b.p99, c.rps, c.p99)
		sumBare += b.rps
		sumCheck += c.rps
		worstP99 = max(worstP99, float64(c.p99)/float64(b.p99))
		errs += b.errors + c.errors
	}
	n := float64(o.rounds)
	ceiling := sumBare / n
	ratio := sumCheck / sumBare
	want := 0.70
	if s.dbName == "PostgreSQL" {
		want = 0.60
	}
	s.add(figure{name: "ceiling: bare echo, req/s", value: fmt.Sprintf("%.0f", ceiling), ratio: 1})
	s.add(figure{name: "consent check, req/s", value: fmt.Sprintf("%.0f", sumCheck/n), ratio: ratio,
		target: fmt.Sprintf("≥ %.2f of the ceiling", want), met: ratio >= want && errs == 0, note: fmt.Sprintf("%d errors", errs)})
	s.add(figure{name: "consent check, p99 ÷ ceiling's p99 (worst round)", value: fmt.Sprintf("%.2f×", worstP99), ratio: worstP99,
		target: "≤ 2×", met: worstP99 <= 2})
	s.facts = append(s.facts, fmt.Sprintf("Consent check: wrk %d threads, %d connections, %d alternating rounds of %s with the ceiling, after every subject was checked once; cold (before that, most checks reading the database) it served %.0f req/s, %.2f of the ceiling.",
		o.threads, o.connections, o.rounds, o.duration, cold.rps, cold.rps/ceiling))
	fresh, err := spotCheck(srv.BaseURL, s.key)
	if err != nil {
		return 0, err
	}
	s.facts = append(s.facts, "Consistency: "+fresh+".")
	return ceiling, nil
}

// consentWrites loads POST /api/v1/consents, then checks that every 201
// is an event stored, and times an import.
func (s *suite) consentWrites(ctx context.Context, srv *serverProcess, ceiling float64) error {
	o := s.o
	script, err := consentWriteScript(o.subjects, s.purpose, s.key)
	if err != nil {
		return err
	}
	defer os.Remove(script)
	before, err := s.count(ctx, "consent_events")
	if err != nil {
		return err
	}
	fmt.Println("consent writes")
	r, out, err := runWrkOutput(srv.BaseURL+consentWritePath, script, o, o.duration)
	if err != nil {
		return err
	}
	created, failed, ok := consentWriteCounts(out)
	if !ok {
		return fmt.Errorf("the script printed no counts:\n%s", out)
	}
	after, err := s.count(ctx, "consent_events")
	if err != nil {
		return err
	}
	// Writes in flight when wrk stops are stored but not counted by it: at
	// most one per connection.
	stored := after - before
	allStored := stored >= created && stored <= created+o.connections
	s.add(figure{name: "consent write, req/s", value: fmt.Sprintf("%.0f", r.rps), ratio: r.rps / ceiling,
		target: "≥ 1,500/s, no error, every 201 stored", met: r.rps >= 1500 && failed == 0 && allStored,
		note: fmt.Sprintf("p99 %s; %d answered 201, %d events stored, %d failed", r.p99.Round(10*time.Microsecond), created, stored, failed)})

	fmt.Println("consent import")
	eps, err := measureImport(srv.BaseURL, s.key, o.subjects, o.importEvents, s.purpose)
	if err != nil {
		return err
	}
	s.add(figure{name: "consent import, events/s", value: fmt.Sprintf("%.0f", eps), ratio: eps / ceiling,
		target: "≥ 20,000/s", met: eps >= 20000, note: fmt.Sprintf("%d events in one JSON-lines file", o.importEvents)})
	return nil
}

// intake posts the public intake for -intake-duration, then waits for the
// outbox to drain and accounts for every verification email.
func (s *suite) intake(ctx context.Context, srv *serverProcess, fake *fakeresend.Server, ceiling float64) error {
	script, err := intakeScript()
	if err != nil {
		return err
	}
	defer os.Remove(script)
	fmt.Printf("public intake for %s\n", s.o.intakeDuration)
	since := time.Now()
	r, out, err := runWrkOutput(srv.BaseURL+intakePath, script, s.o, s.o.intakeDuration)
	if err != nil {
		return err
	}
	failures := intakeFailures(out)
	mail, err := checkIntakeMail(ctx, s.store, fake, since, 5*time.Minute)
	if err != nil {
		return err
	}
	s.add(figure{name: fmt.Sprintf("public intake, req/s for %s", s.o.intakeDuration), value: fmt.Sprintf("%.0f", r.rps), ratio: r.rps / ceiling,
		target: "≥ 800/s, no error, no lost email", met: r.rps >= 800 && failures == 0 && r.errors == 0 && mail.OK(),
		note: fmt.Sprintf("p99 %s; %d errors", r.p99.Round(10*time.Microsecond), failures+r.errors)})
	s.facts = append(s.facts, "Public intake emails: "+mail.String()+".")
	return nil
}

func (s *suite) count(ctx context.Context, table string) (int, error) {
	db, err := s.store.SQL()
	if err != nil {
		return 0, err
	}
	var n int
	err = db.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n)
	return n, err
}

// get fetches url (with an API key when given) and wants a 200.
func get(url, key string) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return nil
}
