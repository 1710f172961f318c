package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles the real rightsdesk command, so that a kill hits the
// same process a deployment runs (its own signal handling, pools, files).
// The build goes to a fixed path per checkout, where go build finds it up
// to date next time and skips the link (many seconds on a busy machine),
// whichever database that run uses. Each test runs a private copy, so that
// another run's rebuild never writes over an executable in use.
func buildBinary(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the crash test builds the binary and needs the go command: %v", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	checkout := sha256.Sum256([]byte(wd))
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("rightsdesk-crash-test-%x", checkout[:6]))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	built := filepath.Join(dir, "rightsdesk")
	if out, err := exec.Command(gobin, "build", "-o", built, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bin := filepath.Join(t.TempDir(), "rightsdesk")
	if err := copyFile(bin, built); err != nil {
		t.Fatal(err)
	}
	return bin
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o700)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// binaryServer runs the binary as a child process, one process at a time,
// on the same database and environment across restarts.
type binaryServer struct {
	t    *testing.T
	bin  string
	env  []string // without RIGHTSDESK_ADDR, which changes every start
	logs string   // stdout and stderr of every start, appended

	cmd    *exec.Cmd
	exited chan error // receives the cmd.Wait result once
	base   string     // http://127.0.0.1:PORT of the running process
	starts int
	// starting is the time spent from exec to ready, all starts together.
	starting time.Duration
}

func newBinaryServer(t *testing.T, bin string, env map[string]string) *binaryServer {
	s := &binaryServer{t: t, bin: bin, logs: filepath.Join(t.TempDir(), "rightsdesk.log")}
	for k, v := range env {
		s.env = append(s.env, k+"="+v)
	}
	t.Cleanup(func() {
		if s.cmd != nil {
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	})
	return s
}

// start runs a new process and waits until /readyz answers 200. Each start
// gets a fresh port: a killed process's port could linger, and requests
// still addressed to the old one must fail, not reach the new process.
func (s *binaryServer) start() {
	s.t.Helper()
	if s.cmd != nil {
		s.t.Fatal("start: a process is already running")
	}
	s.starts++
	began := time.Now()
	addr := freeAddr(s.t)
	logf, err := os.OpenFile(s.logs, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	fmt.Fprintf(logf, "--- start %d on %s\n", s.starts, addr)
	cmd := exec.Command(s.bin, "serve")
	cmd.Env = append(append([]string{}, s.env...), "RIGHTSDESK_ADDR="+addr)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		s.t.Fatalf("start the binary: %v", err)
	}
	// The child holds its own descriptor of the log file.
	logf.Close()
	s.cmd, s.exited = cmd, make(chan error, 1)
	go func() { s.exited <- cmd.Wait() }()
	s.base = "http://" + addr

	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-s.exited:
			s.cmd = nil
			s.t.Fatalf("the binary exited before it was ready: %v\n%s", err, s.logTail())
		default:
		}
		if ready(s.base) {
			s.starting += time.Since(began)
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the binary was not ready within 30s\n%s", s.logTail())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ready(base string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// kill ends the process with SIGKILL: no shutdown code runs, open
// transactions and in-flight sends are cut wherever they are.
func (s *binaryServer) kill() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatalf("kill: %v", err)
	}
	err := <-s.exited
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		s.t.Fatalf("the process did not die of SIGKILL: %v\n%s", err, s.logTail())
	}
	s.cmd = nil
}

// stop asks for a graceful shutdown (SIGTERM) and wants exit status 0.
func (s *binaryServer) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("stop: %v", err)
	}
	select {
	case err := <-s.exited:
		s.cmd = nil
		if err != nil {
			s.t.Fatalf("graceful stop: %v\n%s", err, s.logTail())
		}
	case <-time.After(30 * time.Second):
		s.t.Fatalf("the binary did not stop within 30s of SIGTERM\n%s", s.logTail())
	}
}

// command runs a one-shot subcommand (audit verify, …) on the same
// environment and returns its stdout and stderr together.
func (s *binaryServer) command(args ...string) (string, error) {
	cmd := exec.Command(s.bin, args...)
	cmd.Env = append(append([]string{}, s.env...), "RIGHTSDESK_ADDR=127.0.0.1:0")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// logTail is the end of the processes' output, for failure messages.
func (s *binaryServer) logTail() string {
	b, err := os.ReadFile(s.logs)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 60 {
		lines = lines[len(lines)-60:]
	}
	return "last lines of the binary's output (" + s.logs + "):\n" + strings.Join(lines, "\n")
}

// freeAddr finds a port nobody listens on. Another process could take it
// before the binary binds it; on a test machine that is rare enough.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
