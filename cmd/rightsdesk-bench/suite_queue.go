package main

import (
	"context"
	"fmt"
	"time"
)

// sweep times the sweep over the seeded requests, twice, before a server
// runs on them.
func (s *suite) sweep(ctx context.Context) error {
	fmt.Println("sweeping")
	res, err := measureSweep(ctx, s.store, s.pol, s.now)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	s.add(figure{name: fmt.Sprintf("sweep over %d requests, %d overdue", s.o.requests, res.Overdue), value: res.First.Round(time.Millisecond).String(),
		target: "≤ 2 s", met: res.First <= 2*time.Second, note: fmt.Sprintf("%d escalated, %d notices queued", res.FirstRep.Escalated, res.Notices)})
	s.add(figure{name: "second sweep, nothing to change", value: res.Second.Round(time.Millisecond).String(),
		target: "≤ 0.5 s", met: res.Second <= 500*time.Millisecond && !res.SecondRep.Changed()})
	return nil
}

// queue times the staff queue and the request detail with one client,
// against the ceiling's p99 with one wrk connection.
func (s *suite) queue(ctx context.Context, bare string) error {
	one := s.o
	one.threads, one.connections = 1, 1
	script, err := writeScript(s.o.subjects, s.purpose, s.key)
	if err != nil {
		return err
	}
	ceiling, err := runWrk(bare+"/api/v1/consents/check", script, one, s.o.duration/3)
	if err != nil {
		return err
	}
	fmt.Println("staff queue, one client")
	stop := queueStop{Count: s.o.queueCount, Duration: 20 * time.Second}
	res, err := measureQueue(s.srvURL, s.key, queueOptions{Stop: stop, DeepPages: s.o.deepPages, Now: s.now})
	if err != nil {
		return err
	}
	var first, deep queueTiming
	for _, t := range res.Timings {
		fmt.Println("  " + t.String())
		w := &first
		if len(t.Name) >= 4 && t.Name[:4] == "deep" {
			w = &deep
		}
		if t.P99 >= w.P99 {
			*w = t
		}
	}
	cp99 := float64(ceiling.p99)
	s.add(figure{name: "staff queue, first page of 50, worst p99 over every filter", value: first.P99.Round(10 * time.Microsecond).String(),
		ratio: float64(first.P99) / cp99, target: "≤ 20 ms", met: first.P99 <= 20*time.Millisecond, note: "worst: " + first.Name})
	if deep.N > 0 {
		s.add(figure{name: "staff queue, deep page of 50, worst p99", value: deep.P99.Round(10 * time.Microsecond).String(),
			ratio: float64(deep.P99) / cp99, target: "≤ 20 ms", met: deep.P99 <= 20*time.Millisecond, note: "worst: " + deep.Name})
	}
	ids := res.IDs
	if len(ids) == 0 {
		return fmt.Errorf("the queue walk returned no request ids for the detail")
	}
	d1, err := measureRequestDetail(s.srvURL, s.key, ids, 1, stop)
	if err != nil {
		return err
	}
	s.add(figure{name: "request detail, p99, one client", value: d1.P99.Round(10 * time.Microsecond).String(), ratio: float64(d1.P99) / cp99})
	dN, err := measureRequestDetail(s.srvURL, s.key, ids, s.o.connections, queueStop{Duration: s.o.duration})
	if err != nil {
		return err
	}
	s.add(figure{name: fmt.Sprintf("request detail, p99, %d clients", s.o.connections), value: dN.P99.Round(10 * time.Microsecond).String()})
	s.facts = append(s.facts, fmt.Sprintf("Staff queue: %d cases, each timed over %d requests (or 20 s) with one client; deep pages after following %d pages of 200; the ceiling's p99 with one wrk connection was %s.",
		len(res.Timings), stop.Count, s.o.deepPages, ceiling.p99.Round(10*time.Microsecond)))
	return nil
}
