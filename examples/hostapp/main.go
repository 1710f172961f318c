// Command hostapp is a small photo-sharing app that does the privacy work
// rightsdesk sends it: rightsdesk posts a signed job to
// /rightsdesk/jobs, the app does it in its own database and posts the
// answer to the job's result URL. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	os.Exit(run())
}

// config is what the environment sets.
type config struct {
	addr, dbPath             string
	signingSecret, systemKey string
	seed                     bool
}

func configFromEnv(getenv func(string) string) (config, error) {
	c := config{
		addr:          getenv("HOSTAPP_ADDR"),
		dbPath:        getenv("HOSTAPP_DB"),
		signingSecret: getenv("RIGHTSDESK_SIGNING_SECRET"),
		systemKey:     getenv("RIGHTSDESK_SYSTEM_KEY"),
		seed:          getenv("HOSTAPP_SEED") == "1",
	}
	if c.addr == "" {
		c.addr = ":8090"
	}
	if c.dbPath == "" {
		c.dbPath = "hostapp.db"
	}
	if c.signingSecret == "" || c.systemKey == "" {
		return c, errors.New("set RIGHTSDESK_SIGNING_SECRET and RIGHTSDESK_SYSTEM_KEY to the signing_secret and key rightsdesk showed when the system was registered")
	}
	return c, nil
}

func run() int {
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostapp: "+err.Error())
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	app, err := NewApp(cfg.dbPath, cfg.signingSecret, cfg.systemKey, nil, nil, WithLogger(log))
	if err != nil {
		log.Error("start", "error", err.Error())
		return 1
	}
	defer app.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.seed {
		if err := app.SeedDemo(ctx); err != nil {
			log.Error("seed", "error", err.Error())
			return 1
		}
	}
	srv := &http.Server{Addr: cfg.addr, Handler: app.Handler(), ReadHeaderTimeout: 10 * time.Second}
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		app.RunWorker(ctx)
	}()
	// The database closes (deferred above) only once the worker is out of
	// it, so a job is never cut off mid-transaction.
	defer func() {
		stop()
		<-workerDone
	}()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info("listening", "addr", cfg.addr, "db", cfg.dbPath)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Error("serve", "error", err.Error())
		return 1
	}
	return 0
}
