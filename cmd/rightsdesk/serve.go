package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/rightsdesk/rightsdesk/handlers"
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
	log := newLogger(a.cfg.LogFormat, stderr)

	if a.cfg.SentryDSN != "" {
		if err := initSentry(a.cfg.SentryDSN, a.cfg.SentryEnv); err != nil {
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
		log.Info("bootstrap admin created from RIGHTSDESK_ADMIN_EMAIL")
	} else if n, err := a.store.CountStaffUsers(ctx); err == nil && n == 0 {
		// A first run with nobody to sign in to the console: say how.
		fmt.Fprintln(stdout, "no staff user yet: restart with RIGHTSDESK_ADMIN_EMAIL=you@example.com (a password is generated and printed once), or run `rightsdesk admin create --email you@example.com --role admin`")
	}

	dispatcher, err := a.dispatcher(log)
	if err != nil {
		return err
	}
	if dispatcher.Sender == nil {
		log.Warn("RESEND_API_KEY is not set: emails are kept in the dev outbox and not sent")
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
	httpSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute}

	bg, stopBG := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); dispatcher.Run(bg, a.cfg.OutboxInterval) }()
	wg.Add(1)
	go func() { defer wg.Done(); runSweeper(bg, a.requests, a.cfg.SweepInterval, log) }()
	wg.Add(1)
	go func() { defer wg.Done(); a.bus.Run(bg) }()
	wg.Add(1)
	go func() {
		defer wg.Done()
		(&webhooks.Dispatcher{Store: a.store, Keys: a.keys, Queue: a.webhooks.Queue(), Now: a.now, Log: log}).Run(bg, time.Second)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		(&webhooks.Dispatcher{Outbox: a.fulfil.Jobs(), Queue: a.fulfil.Queue(), Now: a.now, Log: log.With("outbox", "jobs")}).Run(bg, time.Second)
	}()

	log.Info("rightsdesk listening", "addr", ln.Addr().String(), "base_url", a.cfg.BaseURL, "database", a.store.Dialect(), "version", version)
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down")
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

// initSentry reports errors without personal data: no default PII, and the
// request part of every event (its URL can hold a link token) is dropped.
func initSentry(dsn, environment string) error {
	return sentry.Init(sentry.ClientOptions{
		Dsn: dsn, Environment: environment, Release: "rightsdesk@" + version, SendDefaultPII: false,
		BeforeSend: func(e *sentry.Event, _ *sentry.EventHint) *sentry.Event {
			e.Request, e.User = nil, sentry.User{}
			return e
		},
	})
}
