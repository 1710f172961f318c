package handlers

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
)

// The database gauges are computed when Prometheus scrapes, from a few
// GROUP BY counts (models/metrics_counts.go). The answer is kept for
// dbMetricsTTL, measured on the server's clock, so that many scrapers (or
// a scrape storm) cost the database one set of counts per window. A failed
// count does not fail the scrape: the gauges are left out and
// rightsdesk_metrics_db_up says 0.

const (
	dbMetricsTTL     = 5 * time.Second
	dbMetricsTimeout = 3 * time.Second
)

var (
	descRequests = prometheus.NewDesc("rightsdesk_requests",
		"Requests by status and regime (every status, closed ones included).", []string{"status", "regime"}, nil)
	descOverdue = prometheus.NewDesc("rightsdesk_requests_overdue",
		"Active requests (open, in_progress, awaiting_requester unless the regime pauses the clock) past their due date, or extended due date, by regime.",
		[]string{"regime"}, nil)
	descBacklog = prometheus.NewDesc("rightsdesk_outbox_backlog",
		"Messages not delivered yet, per outbox (email, webhook, job).", []string{"outbox"}, nil)
	descRetrying = prometheus.NewDesc("rightsdesk_outbox_retrying",
		"Undelivered messages whose last attempt failed (waiting for a retry), per outbox.", []string{"outbox"}, nil)
	descFailed = prometheus.NewDesc("rightsdesk_outbox_failed",
		"Emails given up on for good (refused by the provider, or retried past 23 hours). Webhooks and jobs are never given up on.",
		[]string{"outbox"}, nil)
	descDBUp = prometheus.NewDesc("rightsdesk_metrics_db_up",
		"1 if the database counts behind the rightsdesk_requests* and rightsdesk_outbox_* gauges succeeded, else 0 (and those gauges are absent).",
		nil, nil)
)

// Failures are gauges read from the outbox tables rather than counters of
// failed attempts kept in memory: every instance then reports the same
// truth, it survives restarts, and it falls back to 0 once a message gets
// through, which is what an alert wants to know ("is something stuck?").

// overdueStatuses are the statuses whose answer clock runs (the sweep's
// active statuses).
var overdueStatuses = []string{lifecycle.Open, lifecycle.InProgress, lifecycle.AwaitingRequester}

type dbCounts struct {
	requests []models.StatusRegimeCount
	overdue  map[string]int
	outboxes map[string]models.OutboxCounts
}

// dbCollector is a prometheus.Collector over the database counts.
type dbCollector struct {
	store   *models.Store
	log     *slog.Logger
	regimes []string // offered regimes: every status × regime is reported, zero or not
	paused  []string // regimes that stop the clock while awaiting the requester
	now     func() time.Time

	mu     sync.Mutex // held while counting: concurrent scrapes wait for one count
	at     time.Time
	counts *dbCounts // nil after a failed count
}

func newDBCollector(store *models.Store, p *policy.Policy, now func() time.Time, log *slog.Logger) *dbCollector {
	c := &dbCollector{store: store, log: log.With("component", "metrics"), regimes: p.OfferedRegimes(), now: now}
	for _, r := range c.regimes {
		if p.Rules(r).PauseWhileAwaiting {
			c.paused = append(c.paused, r)
		}
	}
	return c
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRequests, descOverdue, descBacklog, descRetrying, descFailed, descDBUp} {
		ch <- d
	}
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	counts := c.read()
	if counts == nil {
		ch <- prometheus.MustNewConstMetric(descDBUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descDBUp, prometheus.GaugeValue, 1)
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	// Zeros for every known pair, so that a series does not vanish when
	// its last request changes status.
	byPair := map[[2]string]int{}
	for _, st := range lifecycle.Statuses {
		for _, rg := range c.regimes {
			byPair[[2]string{st, rg}] = 0
		}
	}
	for _, r := range counts.requests {
		byPair[[2]string{r.Status, r.Regime}] += r.N
	}
	for k, n := range byPair {
		gauge(descRequests, n, k[0], k[1])
	}
	overdue := map[string]int{}
	for _, rg := range c.regimes {
		overdue[rg] = 0
	}
	for rg, n := range counts.overdue {
		overdue[rg] = n
	}
	for rg, n := range overdue {
		gauge(descOverdue, n, rg)
	}
	for name, oc := range counts.outboxes {
		gauge(descBacklog, oc.Backlog, name)
		gauge(descRetrying, oc.Retrying, name)
		if name == models.OutboxEmail {
			gauge(descFailed, oc.Failed, name)
		}
	}
}

// read returns the counts of the current window, counting afresh when the
// window has passed (or the clock went back).
func (c *dbCollector) read() *dbCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if !c.at.IsZero() && !now.Before(c.at) && now.Sub(c.at) < dbMetricsTTL {
		return c.counts
	}
	c.counts, c.at = c.count(now), now
	return c.counts
}

func (c *dbCollector) count(now time.Time) *dbCounts {
	ctx, cancel := context.WithTimeout(context.Background(), dbMetricsTimeout)
	defer cancel()
	var out dbCounts
	var err error
	out.requests, err = c.store.CountRequestsByStatusRegime(ctx)
	if err == nil {
		out.overdue, err = c.store.CountOverdueByRegime(ctx, models.OverdueQuery{Now: now, Statuses: overdueStatuses,
			PausedStatus: lifecycle.AwaitingRequester, PausedRegimes: c.paused})
	}
	if err == nil {
		out.outboxes, err = c.store.CountOutboxes(ctx)
	}
	if err != nil {
		c.log.Warn("metrics: database counts failed; the gauges are left out of this scrape", "error", err)
		return nil
	}
	return &out
}
