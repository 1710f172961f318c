package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/fakeresend"
	"github.com/rightsdesk/rightsdesk/models"
)

// The public intake load: wrk posts valid bodies of POST /api/v1/requests,
// a new email on every request, in a mix of request types and countries
// that lands on the regimes GDPR, UK GDPR, CCPA, DPDP and LGPD. Afterwards
// checkIntakeMail waits for the outbox to drain and counts what the
// provider (the fake Resend) received, so that a figure of requests per
// second comes with "no lost email" proven, not assumed.

// intakePath is the route the load posts to.
const intakePath = "/api/v1/requests"

// intakeEmailMark stands for the requester's email in intakeBodies; the
// script and the test both replace it.
const intakeEmailMark = "EMAIL@MARK"

// intakeBodies are the JSON bodies the load cycles through, one per
// type/country pair. Every one must be accepted (202) by the default policy.
func intakeBodies() []string {
	return []string{
		`{"type":"access","email":"EMAIL@MARK","name":"Load Tester","country":"FR"}`,
		`{"type":"deletion","email":"EMAIL@MARK","country":"DE","details":"Please delete my account and its history."}`,
		`{"type":"access","email":"EMAIL@MARK","name":"Load Tester","country":"GB"}`,
		`{"type":"export","email":"EMAIL@MARK","country":"GB"}`,
		`{"type":"opt_out","email":"EMAIL@MARK","country":"US","region":"CA","scope":["sale_sharing","targeted_ads"]}`,
		`{"type":"deletion","email":"EMAIL@MARK","name":"Load Tester","country":"US","region":"US-CA"}`,
		`{"type":"access","email":"EMAIL@MARK","country":"IN","relationship":"self"}`,
		`{"type":"correction","email":"EMAIL@MARK","country":"IN","corrections":[{"field":"name","current":"Lod","requested":"Load"}]}`,
		`{"type":"access","email":"EMAIL@MARK","name":"Load Tester","country":"BR"}`,
		`{"type":"deletion","email":"EMAIL@MARK","country":"BR"}`,
	}
}

// intakeScript writes the wrk Lua script of the intake load: each thread
// keeps a counter, so every request carries a new email
// load<run>t<thread>-<n>@bench.example (the run id keeps two runs on one
// database apart). The response hook counts the answers that are not 2xx,
// and done prints them as "intake non-2xx: N" (wrk's own "Non-2xx" line
// counts 3xx as success).
func intakeScript() (path string, err error) {
	quoted := make([]string, 0, len(intakeBodies()))
	for _, b := range intakeBodies() {
		quoted = append(quoted, "["+"["+b+"]"+"]")
	}
	lua := fmt.Sprintf(`local bodies = {%s}
local mark = %q
local threads = {}
local counter = 0
local run = %q
local nthreads = 0
-- globals, so that setup and done reach them through thread:set/get
tid = 0
failed = 0

setup = function(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
  table.insert(threads, thread)
end

init = function(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

request = function()
  counter = counter + 1
  local b = bodies[(counter %% #bodies) + 1]
  local email = "load" .. run .. "t" .. tid .. "-" .. counter .. "@bench.example"
  local s, e = string.find(b, mark, 1, true)
  b = string.sub(b, 1, s - 1) .. email .. string.sub(b, e + 1)
  return wrk.format(nil, nil, nil, b)
end

response = function(status, headers, body)
  if status < 200 or status > 299 then
    failed = failed + 1
  end
end

done = function(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do
    n = n + t:get("failed")
  end
  io.write("intake non-2xx: " .. n .. "\n")
end
`, strings.Join(quoted, ",\n  "), intakeEmailMark, strconv.FormatInt(time.Now().Unix()%100000, 36))
	f, err := os.CreateTemp("", "rightsdesk-intake-*.lua")
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, err = f.WriteString(lua)
	return f.Name(), err
}

// intakeFailures reads the script's own count of non-2xx answers from wrk's
// output (-1 when the line is missing).
func intakeFailures(wrkOutput string) int {
	_, after, ok := strings.Cut(wrkOutput, "intake non-2xx: ")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(after, "\n", 2)[0]))
	if err != nil {
		return -1
	}
	return n
}

// intakeMail is what became of the intake's verification emails.
type intakeMail struct {
	Requests int // requests stored since the start of the load
	Verify   int // verification emails the outbox holds for them
	Received int // of those, how many the provider received (by idempotency key)
	// Lost are verification emails neither received nor waiting: marked
	// sent (or failed) without the provider having them.
	Lost int
	// Duplicates are idempotency keys the provider received more than once
	// as separate deliveries; Replays are re-sends of a key the provider
	// answered from its idempotency record (harmless, but worth knowing).
	Duplicates int
	Replays    int
	Queued     int // pending or sending when the wait ended
	Failed     int // given up
	Drained    time.Duration
}

// OK tells whether every request's verification email reached the
// provider exactly once.
func (m intakeMail) OK() bool {
	return m.Requests == m.Verify && m.Received == m.Verify && m.Lost == 0 && m.Duplicates == 0 && m.Queued == 0 && m.Failed == 0
}

func (m intakeMail) String() string {
	return fmt.Sprintf("requests %d, verification emails %d, received %d, lost %d, duplicate keys %d, replays %d, queued %d, failed %d (drained in %s)",
		m.Requests, m.Verify, m.Received, m.Lost, m.Duplicates, m.Replays, m.Queued, m.Failed, m.Drained.Round(time.Millisecond))
}

// checkIntakeMail waits (up to timeout) until no verification email of a
// request created since `since` is pending or sending, then compares the
// outbox with what the fake Resend received.
func checkIntakeMail(ctx context.Context, db *models.Store, fake *fakeresend.Server, since time.Time, timeout time.Duration) (intakeMail, error) {
	var m intakeMail
	sqlDB, err := db.SQL()
	if err != nil {
		return m, err
	}
	ph := func(n int) string { // bind placeholder for the dialect
		if db.Dialect() == "postgres" {
			return "$" + strconv.Itoa(n)
		}
		return "?"
	}
	since = since.UTC().Truncate(time.Microsecond)
	began := time.Now()
	deadline := began.Add(timeout)
	for {
		err := sqlDB.QueryRowContext(ctx, `SELECT count(*) FROM outbox_messages
			WHERE template = 'verify' AND created_at >= `+ph(1)+` AND status IN ('pending', 'sending')`, since).Scan(&m.Queued)
		if err != nil {
			return m, fmt.Errorf("count queued emails: %w", err)
		}
		if m.Queued == 0 || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return m, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	m.Drained = time.Since(began)
	if err := sqlDB.QueryRowContext(ctx, `SELECT count(*) FROM requests WHERE created_at >= `+ph(1), since).Scan(&m.Requests); err != nil {
		return m, fmt.Errorf("count requests: %w", err)
	}
	rows, err := sqlDB.QueryContext(ctx, `SELECT id, status FROM outbox_messages WHERE template = 'verify' AND created_at >= `+ph(1), since)
	if err != nil {
		return m, fmt.Errorf("list verification emails: %w", err)
	}
	status := map[string]string{}
	for rows.Next() {
		var id, st string
		if err := rows.Scan(&id, &st); err != nil {
			rows.Close()
			return m, err
		}
		status[id] = st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, err
	}
	m.Verify = len(status)
	seen := map[string]int{}
	for _, e := range fake.Emails() {
		seen[e.IdempotencyKey]++
	}
	for key, n := range seen {
		if _, ours := status[key]; ours && n > 1 {
			m.Duplicates += n - 1
		}
	}
	m.Replays = fake.Replays()
	for id, st := range status {
		switch {
		case seen[id] > 0:
			m.Received++
		case st == models.OutboxFailed:
			m.Failed++
		case st == models.OutboxPending || st == models.OutboxSending:
			// counted in Queued
		default:
			m.Lost++
		}
	}
	return m, nil
}
