package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// measureStartup execs `binary serve` with env (which must set
// RIGHTSDESK_ADDR, RIGHTSDESK_DATABASE_URL and RIGHTSDESK_SECRET; see
// startExportServer for the rest a bench wants, such as rate limits off),
// polls /readyz every 5 ms and returns the time from exec to its first 200,
// then, after a few requests and a second of quiet, the process's VmRSS.
// The database should be migrated beforehand: a migration run at start is
// not start-up. stop ends the server (SIGTERM, then SIGKILL after 15 s).
func measureStartup(binary string, env []string) (ready time.Duration, idleRSS int64, stop func(), err error) {
	return measureStartupWarm(binary, env, nil)
}

// measureStartupWarm is measureStartup with warm(base) as the requests
// made before the RSS is read (nil: a few GETs of /readyz and of the queue
// without a credential).
func measureStartupWarm(binary string, env []string, warm func(base string) error) (ready time.Duration, idleRSS int64, stop func(), err error) {
	addr := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "RIGHTSDESK_ADDR="); ok {
			addr = v
		}
	}
	if addr == "" {
		return 0, 0, nil, fmt.Errorf("measureStartup: env sets no RIGHTSDESK_ADDR")
	}
	base := "http://" + addr
	cmd := exec.Command(binary, "serve")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if os.Getenv("QUEUE_BENCH_SERVER_LOG") == "" {
		cmd.Stdout, cmd.Stderr = nil, nil
	}
	exited := make(chan error, 1)
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, nil, err
	}
	go func() { exited <- cmd.Wait() }()
	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		res, err := client.Do(req)
		if err == nil {
			res.Body.Close()
		}
		cancel()
		if err == nil && res.StatusCode == http.StatusOK {
			ready = time.Since(began)
			break
		}
		select {
		case werr := <-exited:
			exited <- werr
			return 0, 0, nil, fmt.Errorf("rightsdesk serve exited before ready: %v", werr)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Since(began) > 5*time.Minute {
			stop()
			return 0, 0, nil, fmt.Errorf("rightsdesk serve not ready after 5 minutes")
		}
	}
	if warm == nil {
		warm = func(base string) error {
			for _, p := range []string{"/readyz", "/api/v1/requests", "/readyz", "/api/v1/requests?status=open"} {
				res, err := client.Get(base + p)
				if err != nil {
					return err
				}
				res.Body.Close()
			}
			return nil
		}
	}
	if err := warm(base); err != nil {
		stop()
		return 0, 0, nil, err
	}
	time.Sleep(time.Second)
	idleRSS, err = vmRSS(cmd.Process.Pid)
	if err != nil {
		stop()
		return 0, 0, nil, err
	}
	return ready, idleRSS, stop, nil
}
