package main

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/testutil/fakeresend"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
)

// crashReport caps the errors of one check: a systematic fault would
// otherwise print one line per request.
type crashReport struct {
	t     *testing.T
	check string
	n     int
}

func (r *crashReport) errorf(format string, a ...any) {
	r.n++
	switch {
	case r.n <= 15:
		r.t.Errorf(r.check+": "+format, a...)
	case r.n == 16:
		r.t.Errorf("%s: more errors left out", r.check)
	}
}

// crashRequest is a request row as the checks need it.
type crashRequest struct{ id, reference, email, status string }

// crashEmail is an outbox row as the checks need it.
type crashEmail struct{ id, template, requestID, toAddr, status, providerID, lastError string }

// checkCrashOutcome proves the promises the server made during the stream
// were kept across the kills. It runs on the stopped server's database.
func checkCrashOutcome(t *testing.T, srv *binaryServer, dbURL string, resend *fakeresend.Server, snap crashSnapshot) {
	during := &crashReport{t: t, check: "during the stream"}
	for _, p := range snap.problems {
		during.errorf("%s", p)
	}
	if len(snap.accepted) == 0 || len(snap.used) == 0 {
		t.Fatalf("the stream did nothing: %d intakes accepted, %d verified", len(snap.accepted), len(snap.used))
	}

	store, err := models.Open(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	db, err := store.SQL()
	if err != nil {
		t.Fatal(err)
	}
	requests := loadCrashRequests(t, db)
	checkAcceptedRequestsExist(t, requests, snap)
	checkEmailsDeliveredOnce(t, requests, loadCrashEmails(t, db), resend.Emails())
	checkEventsOncePerStep(t, db, requests)

	out, err := srv.command("audit", "verify")
	if err != nil || !strings.Contains(out, "every chain intact") {
		t.Errorf("rightsdesk audit verify: %v\n%s", err, out)
	}
}

// checkAcceptedRequestsExist: every 202 names a stored request, and every
// request is verified — its verification email was delivered and its token
// used, before or after a kill, and a 410 came only after an attempt whose
// answer a kill cut.
func checkAcceptedRequestsExist(t *testing.T, requests map[string]crashRequest, snap crashSnapshot) {
	rep := &crashReport{t: t, check: "requests"}
	for email, a := range snap.accepted {
		r, ok := requests[email]
		switch {
		case !ok:
			rep.errorf("%s (%s) was answered 202 but is not in the database", a.Reference, email)
		case r.id != a.ID || r.reference != a.Reference:
			rep.errorf("%s: answered 202 as %s/%s, stored as %s/%s", email, a.ID, a.Reference, r.id, r.reference)
		}
	}
	for email, r := range requests {
		if _, used := snap.used[email]; !used {
			rep.errorf("%s (%s): its verification token was never used successfully", r.reference, email)
		}
		if r.status == lifecycle.PendingVerification {
			rep.errorf("%s (%s) is still %s although its token was used", r.reference, email, r.status)
		}
	}
	for email := range snap.used {
		if _, ok := requests[email]; !ok {
			rep.errorf("a token emailed to %s verified, but that request is not in the database", email)
		}
	}
}

// checkEmailsDeliveredOnce: every outbox message is sent and was accepted
// by the provider exactly once under its own id as the idempotency key
// (retries after a kill are replays of that one delivery), the provider got
// nothing else, and each request got one verification email and one receipt.
func checkEmailsDeliveredOnce(t *testing.T, requests map[string]crashRequest, outbox []crashEmail, delivered []fakeresend.Email) {
	rep := &crashReport{t: t, check: "emails"}
	byKey := map[string]fakeresend.Email{}
	for _, e := range delivered {
		if e.IdempotencyKey == "" {
			rep.errorf("an email to %v (%q) was delivered without an idempotency key", e.To, e.Subject)
			continue
		}
		if _, dup := byKey[e.IdempotencyKey]; dup {
			rep.errorf("idempotency key %s delivered twice", e.IdempotencyKey)
		}
		byKey[e.IdempotencyKey] = e
	}
	inOutbox := map[string]bool{}
	perRequest := map[string]map[string]int{} // request id → template → emails
	for _, m := range outbox {
		inOutbox[m.id] = true
		if perRequest[m.requestID] == nil {
			perRequest[m.requestID] = map[string]int{}
		}
		perRequest[m.requestID][m.template]++
		d, ok := byKey[m.id]
		switch {
		case m.status != models.OutboxSent:
			rep.errorf("outbox %s (%s to %s) is %s, not sent: %s", m.id, m.template, m.toAddr, m.status, m.lastError)
		case !ok:
			rep.errorf("outbox %s (%s to %s) is marked sent but the provider never accepted its key", m.id, m.template, m.toAddr)
		case m.providerID != d.ID:
			rep.errorf("outbox %s records provider id %q, the provider gave %q", m.id, m.providerID, d.ID)
		case len(d.To) != 1 || d.To[0] != m.toAddr:
			rep.errorf("outbox %s is to %s, the provider delivered it to %v", m.id, m.toAddr, d.To)
		}
	}
	for key, d := range byKey {
		if !inOutbox[key] {
			rep.errorf("the provider delivered %q to %v under key %s, which no outbox message has", d.Subject, d.To, key)
		}
	}
	for email, r := range requests {
		got := perRequest[r.id]
		if got["verify"] != 1 || got["received"] != 1 || len(got) != 2 {
			rep.errorf("request %s (%s) has emails %v, want one verify and one received", r.reference, email, got)
		}
	}
}

// checkEventsOncePerStep: a request's history has its submission and its
// verification once each; a step retried after a kill must not repeat.
func checkEventsOncePerStep(t *testing.T, db *sql.DB, requests map[string]crashRequest) {
	rep := &crashReport{t: t, check: "events"}
	rows, err := db.Query(`SELECT request_id, action, COUNT(*) FROM request_events GROUP BY request_id, action`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	steps := map[string]map[string]int{}
	for rows.Next() {
		var id, action string
		var n int
		if err := rows.Scan(&id, &action, &n); err != nil {
			t.Fatal(err)
		}
		if steps[id] == nil {
			steps[id] = map[string]int{}
		}
		steps[id][action] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for email, r := range requests {
		got := steps[r.id]
		once := got["submit"] == 1 && got[lifecycle.Verify] == 1
		for _, n := range got {
			once = once && n == 1
		}
		if !once {
			rep.errorf("%s (%s) has events %v, want one submit, one verify and no step twice", r.reference, email, got)
		}
	}
}

func loadCrashRequests(t *testing.T, db *sql.DB) map[string]crashRequest {
	t.Helper()
	rows, err := db.Query(`SELECT id, reference, email, status FROM requests`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]crashRequest{}
	for rows.Next() {
		var r crashRequest
		if err := rows.Scan(&r.id, &r.reference, &r.email, &r.status); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[r.email]; dup {
			t.Errorf("two requests from %s: one intake was stored twice", r.email)
		}
		out[r.email] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func loadCrashEmails(t *testing.T, db *sql.DB) []crashEmail {
	t.Helper()
	rows, err := db.Query(`SELECT id, template, request_id, to_addr, status, provider_id, last_error FROM outbox_messages`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []crashEmail
	for rows.Next() {
		var m crashEmail
		var requestID sql.NullString
		if err := rows.Scan(&m.id, &m.template, &requestID, &m.toAddr, &m.status, &m.providerID, &m.lastError); err != nil {
			t.Fatal(err)
		}
		m.requestID = requestID.String
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
