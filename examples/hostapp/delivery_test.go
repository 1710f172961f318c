package main

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestAnswerArrivesOnceTheReceiverIsBack(t *testing.T) {
	c := &clock{t: testStart}
	app := newTestApp(t, testDBPath(t), c, true)
	r := newReceiver(t)
	r.SetStatus(http.StatusServiceUnavailable)
	send(t, app, c, jobFor(r, "job-down", "deletion", adaRequest))

	if n := process(t, app); n != 0 {
		t.Fatalf("answered %d while the receiver is down", n)
	}
	c.Advance(9 * time.Second)
	process(t, app) // before the first retry falls due (10 s)
	if got := len(r.Received()); got != 1 {
		t.Fatalf("posted %d times in the first 9 s, want 1", got)
	}
	c.Advance(1 * time.Second)
	process(t, app)
	if got := len(r.Received()); got != 2 {
		t.Fatalf("posted %d times after 10 s, want 2", got)
	}
	c.Advance(19 * time.Second) // the second retry waits 20 s
	process(t, app)
	if got := len(r.Received()); got != 2 {
		t.Fatalf("retried after 19 s: posted %d times, want 2", got)
	}

	r.SetStatus(http.StatusOK)
	c.Advance(1 * time.Second)
	if n := process(t, app); n != 1 {
		t.Fatalf("answered %d once the receiver is back, want 1", n)
	}
	c.Advance(time.Hour)
	process(t, app)
	got := r.Received()
	if len(got) != 3 || len(r.accepted()) != 1 || got[2].Raw != got[0].Raw {
		t.Fatalf("posted %d times, %d accepted, want 3 and 1 with the same answer each time", len(got), len(r.accepted()))
	}
	if jobs := storedJobs(t, app); jobs[0].Status != JobAnswered || jobs[0].Attempts != 3 {
		t.Fatalf("job %+v, want answered after 3 attempts", jobs[0])
	}
}

func TestConflictStopsRetries(t *testing.T) {
	c := &clock{t: testStart}
	app := newTestApp(t, testDBPath(t), c, true)
	r := newReceiver(t)
	r.SetStatus(http.StatusConflict)
	send(t, app, c, jobFor(r, "job-conflict", "access", adaRequest))

	if n := process(t, app); n != 1 {
		t.Fatalf("a 409 counted %d answers, want 1 (rightsdesk already has one)", n)
	}
	c.Advance(time.Hour)
	process(t, app)
	if got := len(r.Received()); got != 1 {
		t.Fatalf("posted %d times after a 409, want 1", got)
	}
}

func TestRefusedKeyIsRetriedSlowly(t *testing.T) {
	c := &clock{t: testStart}
	app := newTestApp(t, testDBPath(t), c, true)
	r := newReceiver(t)
	r.SetStatus(http.StatusUnauthorized)
	send(t, app, c, jobFor(r, "job-badkey", "access", adaRequest))

	process(t, app)
	jobs := storedJobs(t, app)
	if jobs[0].Status != JobReceived || !jobs[0].NextAttemptAt.Equal(c.Now().Add(10*time.Minute)) || jobs[0].LastError == "" {
		t.Fatalf("job %+v, want still received, next try in 10 min, the refusal recorded", jobs[0])
	}
	r.SetStatus(http.StatusOK) // the operator fixed the key
	c.Advance(10 * time.Minute)
	if n := process(t, app); n != 1 {
		t.Fatalf("answered %d after the fix, want 1", n)
	}
}

func TestRetryDelayDoublesToTheCeiling(t *testing.T) {
	app := newTestApp(t, testDBPath(t), &clock{t: testStart}, false)
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second,
		160 * time.Second, 320 * time.Second, 10 * time.Minute, 10 * time.Minute}
	for i, w := range want {
		if got := app.retryDelay(i + 1); got != w {
			t.Errorf("after %d failures: %v, want %v", i+1, got, w)
		}
	}
	if got := app.retryDelay(1000); got != 10*time.Minute {
		t.Errorf("after 1000 failures: %v, want the 10 min ceiling", got)
	}
}

// TestWorkerAnswersOnItsOwn runs the real worker on the real clock: a
// stored job wakes it, and it keeps re-sending until the receiver is back.
func TestWorkerAnswersOnItsOwn(t *testing.T) {
	c := &clock{t: time.Now()}
	app, err := NewApp(testDBPath(t), testSecret, testKey, nil, time.Now,
		WithRetry(5*time.Millisecond, 20*time.Millisecond), WithPoll(time.Hour), WithLogger(discardLogger))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Close() })
	if err := app.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := newReceiver(t)
	r.SetStatus(http.StatusBadGateway)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		app.RunWorker(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-stopped
	})

	send(t, app, c, jobFor(r, "job-worker", "access", adaRequest))
	waitFor(t, func() bool { return len(r.Received()) >= 3 }) // no hour-long poll needed
	r.SetStatus(http.StatusOK)
	waitFor(t, func() bool { return len(r.accepted()) == 1 })
	time.Sleep(50 * time.Millisecond) // several retry periods
	if n := len(r.accepted()); n != 1 {
		t.Fatalf("accepted %d answers, want 1", n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
