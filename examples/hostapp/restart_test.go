package main

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestRestartAnswersAJobStoredBeforeIt(t *testing.T) {
	c := &clock{t: testStart}
	path := testDBPath(t)
	r := newReceiver(t)
	before := newTestApp(t, path, c, true)
	send(t, before, c, jobFor(r, "job-restart", "access", adaRequest))
	if err := before.Close(); err != nil { // stopped before its worker ran
		t.Fatal(err)
	}

	after := newTestApp(t, path, c, false)
	if n := process(t, after); n != 1 {
		t.Fatalf("the new App answered %d jobs, want 1", n)
	}
	if got := r.Received(); len(got) != 1 || got[0].Answer.Status != StatusDone || len(got[0].Answer.Data["users"].([]any)) != 1 {
		t.Fatalf("answers %+v, want one access answer with ada's row", got)
	}
}

// A deletion done but not yet answered when the host stops cannot be done
// again (the account is gone): the new App must send the stored answer.
func TestRestartSendsTheStoredAnswerWithoutRedoingTheWork(t *testing.T) {
	c := &clock{t: testStart}
	path := testDBPath(t)
	r := newReceiver(t)
	r.SetStatus(http.StatusServiceUnavailable)
	before := newTestApp(t, path, c, true)
	send(t, before, c, jobFor(r, "job-restart", "deletion", adaRequest))
	process(t, before)
	if err := before.Close(); err != nil {
		t.Fatal(err)
	}

	r.SetStatus(http.StatusOK)
	c.Advance(10 * time.Second)
	after := newTestApp(t, path, c, false)
	if n := process(t, after); n != 1 {
		t.Fatalf("the new App answered %d jobs, want 1", n)
	}
	accepted := r.accepted()
	if len(accepted) != 1 || accepted[0].Answer.Reason == noAccount || !slices.Equal(accepted[0].Answer.Kept, []Kept{ordersKept}) {
		t.Fatalf("accepted %+v, want the deletion's own answer with the orders kept", accepted)
	}
}
