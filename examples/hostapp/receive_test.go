package main

import (
	"net/http"
	"testing"
	"time"
)

var adaRequest = JobRequest{Reference: "RD-0001", Email: "ada@example.com", Name: "Ada Lovelace"}

func TestForgedSignatureIsRefusedAndNotStored(t *testing.T) {
	c := &clock{t: testStart}
	app := newTestApp(t, testDBPath(t), c, true)
	r := newReceiver(t)
	body := marshal(t, jobFor(r, "job-forged", "deletion", adaRequest))

	rec := deliver(app, "whsec_someone_elses_secret", c.Now(), body)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("got %d, want 401", rec.Code)
	}
	if jobs := storedJobs(t, app); len(jobs) != 0 {
		t.Fatalf("stored %d jobs from a forged request", len(jobs))
	}
	process(t, app)
	if _, ok := userByEmail(t, app, "ada@example.com"); !ok {
		t.Fatal("a forged deletion deleted the account")
	}
}

func TestStaleSignatureIsRefused(t *testing.T) {
	c := &clock{t: testStart}
	app := newTestApp(t, testDBPath(t), c, true)
	r := newReceiver(t)
	body := marshal(t, jobFor(r, "job-stale", "access", adaRequest))

	if rec := deliver(app, testSecret, c.Now().Add(-6*time.Minute), body); rec.Code != http.StatusUnauthorized {
		t.Fatalf("signed 6 minutes ago: got %d, want 401", rec.Code)
	}
	if jobs := storedJobs(t, app); len(jobs) != 0 {
		t.Fatalf("stored %d jobs from a stale request", len(jobs))
	}
	if rec := deliver(app, testSecret, c.Now().Add(-4*time.Minute), body); rec.Code != http.StatusAccepted {
		t.Fatalf("signed 4 minutes ago: got %d, want 202", rec.Code)
	}
}

func TestSignedButUnworkableJobIsRefused(t *testing.T) {
	c := &clock{t: testStart}
	app := newTestApp(t, testDBPath(t), c, false)
	r := newReceiver(t)
	noResultURL := jobFor(r, "job-1", "access", adaRequest)
	noResultURL.ResultURL = "/relative"
	for name, body := range map[string][]byte{
		"not JSON":           []byte("{"),
		"no job_id":          marshal(t, jobFor(r, "", "access", adaRequest)),
		"relative resultURL": marshal(t, noResultURL),
	} {
		if rec := deliver(app, testSecret, c.Now(), body); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: got %d, want 400", name, rec.Code)
		}
	}
	if jobs := storedJobs(t, app); len(jobs) != 0 {
		t.Fatalf("stored %d unworkable jobs", len(jobs))
	}
}

func TestRepeatedJobIsProcessedOnce(t *testing.T) {
	c := &clock{t: testStart}
	app := newTestApp(t, testDBPath(t), c, true)
	r := newReceiver(t)
	body := marshal(t, jobFor(r, "job-twice", "opt_out", adaRequest))

	if rec := deliver(app, testSecret, c.Now(), body); rec.Code != http.StatusAccepted {
		t.Fatalf("first delivery: got %d, want 202", rec.Code)
	}
	// rightsdesk's retry: same job, signed again a little later.
	c.Advance(30 * time.Second)
	if rec := deliver(app, testSecret, c.Now(), body); rec.Code != http.StatusOK {
		t.Fatalf("repeat before the work: got %d, want 200", rec.Code)
	}
	if n := process(t, app); n != 1 {
		t.Fatalf("answered %d jobs, want 1", n)
	}
	if rec := deliver(app, testSecret, c.Now(), body); rec.Code != http.StatusOK {
		t.Fatalf("repeat after the answer: got %d, want 200", rec.Code)
	}
	c.Advance(time.Hour)
	process(t, app)
	if got := r.Received(); len(got) != 1 {
		t.Fatalf("posted %d answers, want 1", len(got))
	}
	if jobs := storedJobs(t, app); len(jobs) != 1 || jobs[0].Status != JobAnswered {
		t.Fatalf("stored jobs: %+v, want one answered", jobs)
	}
}
