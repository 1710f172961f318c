package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/benchseed"
)

// The consent write load: wrk posts POST /api/v1/consents for a random
// seeded subject (named by email, by subject_id or by both, which are
// already linked by the seed) and purpose, granting or withdrawing at
// random; and an import of a generated JSON-lines file timed end to end.

// consentWritePath is the route the write load posts to.
const consentWritePath = "/api/v1/consents"

// consentImportPath is the bulk route measureImport posts to.
const consentImportPath = "/api/v1/consents/import"

// consentWriteScript writes the wrk Lua script of the write load. Each
// thread seeds its own generator (time and thread number), so two threads
// do not post the same sequence. The response hook counts the answers: the
// done hook prints "consent writes: created N, failed M", so a run proves
// how many writes were answered 201 (compare with the events stored) and
// that none failed (wrk's own "Non-2xx" line counts 3xx as success).
func consentWriteScript(subjects int, purposes []string, key string) (path string, err error) {
	if subjects < 1 || len(purposes) == 0 {
		return "", fmt.Errorf("consentWriteScript: need subjects and purposes")
	}
	quoted := make([]string, len(purposes))
	for i, p := range purposes {
		quoted[i] = strconv.Quote(p)
	}
	lua := fmt.Sprintf(`local purposes = {%s}
local actions = {"grant", "withdraw"}
local threads = {}
local nthreads = 0
-- globals, so that setup and done reach them through thread:set/get
tid = 0
created = 0
failed = 0

setup = function(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
  table.insert(threads, thread)
end

init = function(args)
  math.randomseed(os.time() * 1000 + tid)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer %s"
end

request = function()
  local i = math.random(0, %d)
  local p = purposes[math.random(1, #purposes)]
  local a = actions[math.random(1, 2)]
  local who
  local r = math.random(1, 3)
  if r == 1 then
    who = '"email":"user' .. i .. '@bench.example"'
  elseif r == 2 then
    who = '"subject_id":"u' .. i .. '"'
  else
    who = '"email":"user' .. i .. '@bench.example","subject_id":"u' .. i .. '"'
  end
  return wrk.format(nil, nil, nil, '{' .. who .. ',"purpose":"' .. p .. '","action":"' .. a .. '","source":"api","evidence":"wrk load"}')
end

response = function(status, headers, body)
  if status == 201 then
    created = created + 1
  else
    failed = failed + 1
  end
end

done = function(summary, latency, requests)
  local c, f = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    f = f + t:get("failed")
  end
  io.write("consent writes: created " .. c .. ", failed " .. f .. "\n")
end
`, strings.Join(quoted, ", "), key, subjects-1)
	f, err := os.CreateTemp("", "rightsdesk-consent-writes-*.lua")
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, err = f.WriteString(lua)
	return f.Name(), err
}

// consentWriteCounts reads the script's own counts from wrk's output (ok is
// false when the line is missing).
func consentWriteCounts(wrkOutput string) (created, failed int, ok bool) {
	_, after, found := strings.Cut(wrkOutput, "consent writes: created ")
	if !found {
		return 0, 0, false
	}
	line := strings.SplitN(after, "\n", 2)[0]
	c, f, found := strings.Cut(line, ", failed ")
	if !found {
		return 0, 0, false
	}
	created, err1 := strconv.Atoi(strings.TrimSpace(c))
	failed, err2 := strconv.Atoi(strings.TrimSpace(f))
	return created, failed, err1 == nil && err2 == nil
}

// consentImportBody is an import file (JSON lines) of events lines over the
// seeded subjects: each line a new external_id (run makes them unique
// between runs on one database), a past time, a random purpose and action.
func consentImportBody(run string, subjects, events int, purposes []string) []byte {
	rng := mrand.New(mrand.NewPCG(uint64(events), uint64(subjects)))
	start := time.Now().UTC().Add(-365 * 24 * time.Hour).Truncate(time.Second)
	var b bytes.Buffer
	b.Grow(events * 190)
	for n := 0; n < events; n++ {
		i := rng.IntN(subjects)
		action := "grant"
		if rng.IntN(2) == 0 {
			action = "withdraw"
		}
		at := start.Add(time.Duration(n) * time.Second).Format(time.RFC3339)
		b.WriteString(`{"external_id":"bench-`)
		b.WriteString(run)
		b.WriteByte('-')
		b.WriteString(strconv.Itoa(n))
		b.WriteString(`","email":"`)
		b.WriteString(benchseed.Email(i))
		b.WriteString(`","subject_id":"`)
		b.WriteString(benchseed.SubjectID(i))
		b.WriteString(`","purpose":"`)
		b.WriteString(purposes[rng.IntN(len(purposes))])
		b.WriteString(`","action":"`)
		b.WriteString(action)
		b.WriteString(`","at":"`)
		b.WriteString(at)
		b.WriteString(`","policy_version":"2024-11","evidence":"imported by the benchmark"}`)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// measureImport posts an import of events generated lines over the seeded
// subjects to baseURL with the API key (which needs consents:write) and
// returns the events recorded per second, timed from the first byte sent
// to the report read. Every line must be imported: a report with a failed
// or duplicate line is an error. A file of more than 64 MiB is refused by
// the server; 200,000 events make about 40 MB.
func measureImport(baseURL, key string, subjects, events int, purposes []string) (eventsPerSecond float64, err error) {
	if subjects < 1 || events < 1 || len(purposes) == 0 {
		return 0, fmt.Errorf("measureImport: need subjects, events and purposes")
	}
	body := consentImportBody(strings.ToLower(rand.Text()[:8]), subjects, events, purposes)
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(baseURL, "/")+consentImportPath, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+key)
	client := &http.Client{Timeout: 30 * time.Minute}
	began := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	elapsed := time.Since(began)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("import: status %d: %.300s", resp.StatusCode, raw)
	}
	var rep struct {
		Lines, Imported, Duplicates, Failed int
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		return 0, fmt.Errorf("import: the report is not JSON: %v", err)
	}
	if rep.Lines != events || rep.Imported != events || rep.Failed != 0 || rep.Duplicates != 0 {
		return 0, fmt.Errorf("import of %d lines: report %+v: %.300s", events, rep, raw)
	}
	return float64(events) / elapsed.Seconds(), nil
}
