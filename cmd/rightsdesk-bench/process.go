package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"
)

// serverProcess is `rightsdesk serve` running as a child process, with its
// log in a file and its resident memory sampled in the background.
type serverProcess struct {
	cmd     *exec.Cmd
	BaseURL string
	Ready   time.Duration // from exec to the first 200 of /readyz
	log     *os.File
	peak    atomic.Int64 // highest VmRSS seen since the last resetPeak, bytes
	stop    chan struct{}
	wg      sync.WaitGroup
}

// startServer execs bin serve with env on a free loopback port and waits
// for /readyz, timing it.
func startServer(bin string, env []string, logPath string) (*serverProcess, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	p := &serverProcess{BaseURL: "http://" + addr, log: logf, stop: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = append(append(os.Environ(), env...), "RIGHTSDESK_ADDR="+addr, "RIGHTSDESK_BASE_URL=http://"+addr)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	began := time.Now()
	if err := p.cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(p.BaseURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				p.Ready = time.Since(began)
				break
			}
		}
		if time.Since(began) > 60*time.Second {
			p.Stop()
			return nil, fmt.Errorf("the server was not ready after 60s; see %s", logPath)
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.wg.Add(1)
	go p.sample()
	return p, nil
}

// PID is the server's process id.
func (p *serverProcess) PID() int { return p.cmd.Process.Pid }

// RSS is the server's resident set size now, in bytes.
func (p *serverProcess) RSS() (int64, error) { return vmRSS(p.PID()) }

// sample records the peak RSS every 20 ms. VmHWM would give the peak of the
// whole life; sampling gives the peak of each phase (resetPeak between).
func (p *serverProcess) sample() {
	defer p.wg.Done()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			if rss, err := p.RSS(); err == nil && rss > p.peak.Load() {
				p.peak.Store(rss)
			}
		}
	}
}

// Peak returns the highest RSS sampled since the last resetPeak.
func (p *serverProcess) Peak() int64 { return p.peak.Load() }

func (p *serverProcess) resetPeak() {
	rss, _ := p.RSS()
	p.peak.Store(rss)
}

// Stop interrupts the server and waits for it to exit.
func (p *serverProcess) Stop() {
	select {
	case <-p.stop:
		return
	default:
		close(p.stop)
	}
	p.wg.Wait()
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	p.log.Close()
}

// waitFor polls cond every 50 ms until it holds or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not done after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func megabytes(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }
