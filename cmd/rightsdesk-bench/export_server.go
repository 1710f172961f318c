package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/fakeresend"
)

// exportProcess is a rightsdesk binary started for measureExport, with
// its own files directory and a fake Resend.
type exportProcess struct {
	Server exportServer
	Log    string // the binary's stdout and stderr
	Dir    string // its data (SQLite database, files); removed by Stop

	cmd    *exec.Cmd
	exited chan error
	mail   *fakeresend.Server
	once   sync.Once
}

// exportOptions starts the binary.
type exportOptions struct {
	// Bin is a built rightsdesk binary; "" builds one (buildRightsdesk).
	Bin string
	// DatabaseURL is the server's database; "" is SQLite in Dir.
	DatabaseURL string
	// Env is added to the binary's environment (GOMEMLIMIT=…, say).
	Env []string
}

// buildRightsdesk builds cmd/rightsdesk into dir and returns its path.
func buildRightsdesk(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "rightsdesk")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/rightsdesk/rightsdesk/cmd/rightsdesk").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/rightsdesk: %v\n%s", err, out)
	}
	return bin, nil
}

// startExportServer runs the rightsdesk binary as a child process (serve)
// in a fresh directory under the system's temp dir, with an admin, no rate
// limits, a 50 ms outbox and a fake Resend that keeps every email, and
// waits until it is ready. Stop ends it and removes the directory.
func startExportServer(ctx context.Context, o exportOptions) (_ *exportProcess, err error) {
	dir, err := os.MkdirTemp("", "rightsdesk-export-")
	if err != nil {
		return nil, err
	}
	p := &exportProcess{Dir: dir, Log: filepath.Join(dir, "rightsdesk.log")}
	defer func() {
		if err != nil {
			p.Stop()
		}
	}()
	bin := o.Bin
	if bin == "" {
		if bin, err = buildRightsdesk(ctx, dir); err != nil {
			return nil, err
		}
	}
	dbURL := o.DatabaseURL
	if dbURL == "" {
		dbURL = "sqlite://" + filepath.Join(dir, "rightsdesk.db")
	}
	p.mail = fakeresend.Start()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	base := "http://" + addr
	admin, password := "admin@bench.example", "bench-"+rand.Text()

	env := []string{
		"RIGHTSDESK_ADDR=" + addr,
		"RIGHTSDESK_BASE_URL=" + base,
		"RIGHTSDESK_DATABASE_URL=" + dbURL,
		"RIGHTSDESK_FILES_DIR=" + filepath.Join(dir, "files"),
		"RIGHTSDESK_SECRET=" + rand.Text() + rand.Text(),
		"RIGHTSDESK_ADMIN_EMAIL=" + admin,
		"RIGHTSDESK_ADMIN_PASSWORD=" + password,
		"RIGHTSDESK_OUTBOX_INTERVAL=50ms",
		"RIGHTSDESK_LOG_FORMAT=json",
		"RIGHTSDESK_RATE_LIMIT_IP=off",
		"RIGHTSDESK_RATE_LIMIT_EMAIL=off",
		"RIGHTSDESK_RATE_LIMIT_LOGIN=off",
		"RIGHTSDESK_RATE_LIMIT_TOKENS=off",
		"RESEND_API_KEY=re_bench",
		"RESEND_BASE_URL=" + p.mail.URL(),
	}
	// The caller's environment, but none of its rightsdesk settings.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RIGHTSDESK_") && !strings.HasPrefix(kv, "RESEND_") && !strings.HasPrefix(kv, "SENTRY_") {
			env = append(env, kv)
		}
	}
	env = append(env, o.Env...)

	logf, err := os.Create(p.Log)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child has its own descriptor
	cmd := exec.Command(bin, "serve")
	cmd.Env, cmd.Dir = env, dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p.cmd, p.exited = cmd, make(chan error, 1)
	go func() { p.exited <- cmd.Wait() }()
	p.Server = exportServer{BaseURL: base, PID: cmd.Process.Pid, AdminEmail: admin, AdminPassword: password, Emails: fakeEmails(p.mail)}

	deadline := time.Now().Add(time.Minute)
	for !exportReady(ctx, base) {
		select {
		case err := <-p.exited:
			p.exited <- err
			return nil, fmt.Errorf("the binary exited before it was ready: %v\n%s", err, p.logTail())
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the binary was not ready within a minute\n%s", p.logTail())
		}
	}
	return p, nil
}

func exportReady(ctx context.Context, base string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Stop ends the binary (SIGTERM, then SIGKILL after 30 s), the fake
// Resend, and removes the directory. It may be called more than once.
func (p *exportProcess) Stop() {
	p.once.Do(func() {
		if p.cmd != nil {
			_ = p.cmd.Process.Signal(os.Interrupt)
			select {
			case <-p.exited:
			case <-time.After(30 * time.Second):
				_ = p.cmd.Process.Kill()
				<-p.exited
			}
		}
		if p.mail != nil {
			p.mail.Close()
		}
		os.RemoveAll(p.Dir)
	})
}

// logTail is the end of the binary's output, for error messages.
func (p *exportProcess) logTail() string {
	b, _ := os.ReadFile(p.Log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// fakeEmails lists what the fake Resend received, in measureExport's terms.
func fakeEmails(f *fakeresend.Server) func() []exportEmail {
	return func() []exportEmail {
		var out []exportEmail
		for _, e := range f.Emails() {
			out = append(out, exportEmail{To: e.To, Text: e.Text})
		}
		return out
	}
}
