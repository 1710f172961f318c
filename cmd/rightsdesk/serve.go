package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/rightsdesk/rightsdesk/handlers"
	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/internal/observe"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) (string, bool)) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return usageErr("serve: %v", err)
	}
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.store.Close()
	// Lines of request handling carry the request's id (the log handler
	// takes it from the context); every other line names its component.
	log := newLogger(a.cfg.LogFormat, stderr)
	component := func(name string) *slog.Logger { return log.With("component", name) }
	mainLog := component("serve")

	if a.cfg.SentryDSN != "" {
		// Before handlers.New, which adds Sentry's middleware only when
		// Sentry is initialised.
		if err := observe.InitSentry(observe.SentryOptions{DSN: a.cfg.SentryDSN, Environment: a.cfg.SentryEnv,
			Release: "rightsdesk@" + version}); err != nil {
			return &exitError{2, fmt.Errorf("SENTRY_DSN: %v", err)}
		}
		defer sentry.Flush(2 * time.Second)
	}

	if pw, created, err := a.staff.Bootstrap(ctx, a.cfg.AdminEmail, a.cfg.AdminPassword); err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	} else if created && pw != "" {
		// Printed once, on stdout, never logged.
		fmt.Fprintf(stdout, "bootstrap admin created; its generated password (shown once): %s\n", pw)
	} else if created {
		mainLog.Info("bootstrap admin created from RIGHTSDESK_ADMIN_EMAIL")
	} else if n, err := a.store.CountStaffUsers(ctx); err == nil && n == 0 {
		// A first run with nobody to sign in to the console: say how.
		fmt.Fprintln(stdout, "no staff user yet: restart with RIGHTSDESK_ADMIN_EMAIL=you@example.com (a password is generated and printed once), or run `rightsdesk admin create --email you@example.com --role admin`")
	}

	dispatcher, err := a.dispatcher(component("outbox"))
	if err != nil {
		return err
	}
	// Batches of 200 sent 16 at a time, outcomes written in one
	// transaction per batch: the outbox keeps up with the public intake
	// (one verification email per request) without taking SQLite's writer
	// lock once per email.
	dispatcher.Batch, dispatcher.Concurrency = outboxBatch, outboxConcurrency
	if dispatcher.Sender != nil {
		// Keep a connection per concurrent send: http.DefaultTransport
		// keeps 2 idle per host, so 14 of 16 sends dialled (and shook
		// hands with) Resend anew every time.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = outboxConcurrency
		rs, err := mail.NewResend(a.cfg.ResendAPIKey, a.cfg.ResendBaseURL, &http.Client{Timeout: 30 * time.Second, Transport: tr})
		if err != nil {
			return &exitError{2, fmt.Errorf("RESEND_BASE_URL: %v", err)}
		}
		dispatcher.Sender = rs
	}
	if dispatcher.Sender == nil {
		mainLog.Warn("RESEND_API_KEY is not set: emails are kept in the dev outbox and not sent")
	}

	srv := handlers.New(handlers.Deps{
		Store: a.store, Requests: a.requests, Staff: a.staff, JWT: a.jwt, Log: log, Now: a.now,
		Consents: a.consents, Webhooks: a.webhooks, Fulfilment: a.fulfil,
		BaseURL: a.cfg.BaseURL, DevOutbox: dispatcher.Sender == nil,
		Limits: a.cfg.Limits,
	})
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return &exitError{2, fmt.Errorf("RIGHTSDESK_ADDR: %v", err)}
	}
	httpSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(component("http").Handler(), slog.LevelWarn)}

	if a.cfg.CPUProfile != "" {
		stopProfile, err := startCPUProfile(a.cfg.CPUProfile)
		if err != nil {
			return &exitError{2, fmt.Errorf("RIGHTSDESK_CPU_PROFILE: %v", err)}
		}
		defer stopProfile()
	}
	bg, stopBG := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); dispatcher.Run(bg, a.cfg.OutboxInterval) }()
	wg.Add(1)
	go func() { defer wg.Done(); runSweeper(bg, a.requests, a.cfg.SweepInterval, component("sweeper")) }()
	wg.Add(1)
	go func() { defer wg.Done(); a.bus.Run(bg) }()
	wg.Add(1)
	go func() {
		defer wg.Done()
		(&webhooks.Dispatcher{Store: a.store, Keys: a.keys, Queue: a.webhooks.Queue(), Now: a.now, Log: component("webhooks")}).Run(bg, time.Second)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		(&webhooks.Dispatcher{Outbox: a.fulfil.Jobs(), Queue: a.fulfil.Queue(), Now: a.now, Log: component("jobs")}).Run(bg, time.Second)
	}()

	mainLog.Info("rightsdesk listening", "addr", ln.Addr().String(), "base_url", a.cfg.BaseURL, "database", a.store.Dialect(), "version", version)
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		mainLog.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err = httpSrv.Shutdown(sctx)
		cancel()
	}
	stopBG()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// The outbox dispatcher's batch size and sends in flight (see serve).
const (
	outboxBatch       = 200
	outboxConcurrency = 16
)

// startCPUProfile profiles the process until the returned func runs
// (RIGHTSDESK_CPU_PROFILE, for load measurements).
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
