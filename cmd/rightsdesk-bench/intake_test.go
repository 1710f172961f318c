package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/testutil/fakeresend"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
)

// Every body the intake load posts is accepted by the real handler, and
// lands on the regime the mix is meant to cover.
func TestIntakeBodiesAreAccepted(t *testing.T) {
	ctx := context.Background()
	store := testdb.Open(t)
	base, _, stop, err := startApp(ctx, store, policy.Default("privacy@bench.example"))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	regimes := map[string]bool{}
	for i, tmpl := range intakeBodies() {
		body := strings.Replace(tmpl, intakeEmailMark, fmt.Sprintf("load-test-%d@bench.example", i), 1)
		resp, err := http.Post(base+intakePath, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ ID, Reference, Status string }
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || err != nil || got.ID == "" {
			t.Fatalf("body %d %s: status %d, answer %+v (%v)", i, body, resp.StatusCode, got, err)
		}
		r, err := store.GetRequest(ctx, got.ID)
		if err != nil {
			t.Fatal(err)
		}
		regimes[r.Regime] = true
	}
	for _, want := range []string{"gdpr", "uk_gdpr", "ccpa", "dpdp", "lgpd"} {
		if !regimes[want] {
			t.Errorf("no body of the mix lands on %s (got %v)", want, regimes)
		}
	}
}

// The wrk script itself, run for a second against the real handler: every
// answer is 2xx by its own count, and every request has its verification
// email in the outbox (no sender runs here, so all of them are queued).
func TestIntakeScriptPostsValidRequests(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk is not installed")
	}
	ctx := context.Background()
	store := testdb.Open(t)
	base, _, stop, err := startApp(ctx, store, policy.Default("privacy@bench.example"))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	script, err := intakeScript()
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(script)
	since := time.Now()
	out, err := exec.Command("wrk", "-t", "2", "-c", "2", "-d", "1s", "-s", script, base+intakePath).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	if n := intakeFailures(string(out)); n != 0 {
		t.Fatalf("%d answers were not 2xx (-1: the script printed no count):\n%s", n, out)
	}
	fake := fakeresend.New(t)
	m, err := checkIntakeMail(ctx, store, fake, since, 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.Requests == 0 || m.Verify != m.Requests || m.Queued != m.Requests || m.Received != 0 || m.Lost != 0 {
		t.Fatalf("after the script: %s", m)
	}
}

// TestIntakeLoad is the issue-9 measurement, not a unit test: it runs only
// when RIGHTSDESK_INTAKE_LOAD is a duration. It builds the real binary,
// serves it with the fake Resend and the abuse limits off, loads the public
// intake with wrk (64 connections), waits for the outbox to drain and fails
// if any answer was not 2xx or any email was lost or duplicated.
//
//	RIGHTSDESK_INTAKE_LOAD=60s go test ./cmd/rightsdesk-bench -run TestIntakeLoad -v -timeout 10m
//	RIGHTSDESK_INTAKE_LOAD=60s RIGHTSDESK_TEST_DATABASE_URL=postgres://… go test … (PostgreSQL)
//
// RIGHTSDESK_INTAKE_CPUPROFILE=FILE passes RIGHTSDESK_CPU_PROFILE to serve;
// RIGHTSDESK_INTAKE_BIN=PATH runs that binary instead of building one (to
// compare commits: alternate runs of each, the machine is noisy).
func TestIntakeLoad(t *testing.T) {
	raw := os.Getenv("RIGHTSDESK_INTAKE_LOAD")
	if raw == "" {
		t.Skip("set RIGHTSDESK_INTAKE_LOAD=60s to measure the intake under load")
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		t.Fatalf("RIGHTSDESK_INTAKE_LOAD: %v", err)
	}
	ctx := context.Background()
	dbURL, _, cleanup, err := benchDatabase(os.Getenv("RIGHTSDESK_TEST_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()

	bin := os.Getenv("RIGHTSDESK_INTAKE_BIN") // a binary built elsewhere (say, of another commit)
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "rightsdesk")
		if out, err := exec.Command("go", "build", "-o", bin, "../rightsdesk").CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	fake := fakeresend.New(t)
	addr := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}()
	// The serve log is kept when the test fails.
	logf, err := os.CreateTemp("", "rightsdesk-intake-serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	logPath := logf.Name()
	defer func() {
		logf.Close()
		if !t.Failed() {
			os.Remove(logPath)
		}
	}()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"RIGHTSDESK_DATABASE_URL="+dbURL, "RIGHTSDESK_ADDR="+addr, "RIGHTSDESK_BASE_URL=http://"+addr,
		"RIGHTSDESK_SECRET="+strings.Repeat("intake-load-secret-", 3),
		"RESEND_API_KEY=re_test", "RESEND_BASE_URL="+fake.URL(),
		"RIGHTSDESK_FILES_DIR="+t.TempDir(), "RIGHTSDESK_LOG_FORMAT=json",
		"RIGHTSDESK_RATE_LIMIT_IP=off", "RIGHTSDESK_RATE_LIMIT_EMAIL=off")
	if p := os.Getenv("RIGHTSDESK_INTAKE_CPUPROFILE"); p != "" {
		cmd.Env = append(cmd.Env, "RIGHTSDESK_CPU_PROFILE="+p)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	base := "http://" + addr
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the binary was not ready in 60s")
		}
	}
	store, err := models.Open(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	script, err := intakeScript()
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(script)
	since := time.Now()
	cpu0 := processCPU(cmd.Process.Pid)
	out, err := exec.Command("wrk", "-t", "2", "-c", "64", "-d", strconv.Itoa(int(d.Seconds()))+"s", "--latency", "-s", script, base+intakePath).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	res, err := parseWrk(string(out))
	if err != nil {
		t.Fatal(err)
	}
	non2xx := intakeFailures(string(out))
	m, err := checkIntakeMail(ctx, store, fake, since, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// The server's CPU time per request (sending its email included) is
	// steadier than requests/s on a machine shared with other loads.
	cpu := processCPU(cmd.Process.Pid) - cpu0
	t.Logf("%s: %.0f req/s, p50 %s, p99 %s, non-2xx %d, socket/other errors %d, server CPU %.2f ms/request\n%s", store.Dialect(), res.rps, res.p50, res.p99, non2xx, res.errors,
		float64(cpu)/float64(time.Millisecond)/float64(max(m.Requests, 1)), m)
	t.Logf("wrk:\n%s", out)
	if non2xx != 0 || res.errors != 0 || !m.OK() {
		t.Errorf("the intake lost something under load (serve log: %s)", logPath)
	}
}

// processCPU is the user+system CPU time a process has used so far (0 where
// /proc is not there).
func processCPU(pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses: utime and
	// stime are the 12th and 13th of them, in clock ticks (100 a second on
	// Linux).
	_, rest, ok := strings.Cut(string(raw), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * 10 * time.Millisecond
}
