package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// runSweeper runs the sweep at start and then every interval until ctx
// ends. Every instance may run one: the sweep is safe to run concurrently.
func runSweeper(ctx context.Context, svc *requests.Service, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		sweepAndLog(ctx, svc, log)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func sweepAndLog(ctx context.Context, svc *requests.Service, log *slog.Logger) (requests.SweepReport, error) {
	rep, err := svc.Sweep(ctx)
	if rep.Changed() {
		log.Info("sweep", "expired", rep.Expired, "escalated", rep.Escalated, "redacted", rep.Redacted,
			"finished", rep.Finished, "silent_tasks", rep.Silent, "packages_purged", rep.Purged)
	}
	if err != nil && ctx.Err() == nil {
		// Errors name request ids only, never personal data.
		log.Error("sweep failed for some requests", "error", err)
	}
	return rep, err
}

// sweepCmd is `rightsdesk sweep`: one sweep, then the outbox is delivered
// (or filed in the dev outbox) so that a cron job needs no running server.
func sweepCmd(ctx context.Context, env func(string) (string, bool), stdout, stderr io.Writer) error {
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.store.Close()
	log := newLogger(a.cfg.LogFormat, stderr)
	d, err := a.dispatcher(log.With("component", "outbox"))
	if err != nil {
		return err
	}
	rep, sweepErr := sweepAndLog(ctx, a.requests, log.With("component", "sweeper"))
	handled := 0
	for {
		// Each message is claimed once: a failed one waits for its backoff,
		// so this loop ends when nothing is due now.
		n, err := d.RunOnce(ctx)
		if err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		if n == 0 {
			break
		}
		handled += n
	}
	where := "sent"
	if d.Sender == nil {
		where = "kept in the dev outbox"
	}
	fmt.Fprintf(stdout, "sweep: %d expired, %d escalated, %d redacted; %d email(s) %s\n",
		rep.Expired, rep.Escalated, rep.Redacted, handled, where)
	if sweepErr != nil {
		return fmt.Errorf("sweep: %w", sweepErr)
	}
	return nil
}
