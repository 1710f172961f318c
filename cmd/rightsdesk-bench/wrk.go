package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// result is what one wrk run measured.
type result struct {
	rps    float64
	p50    time.Duration
	p99    time.Duration
	errors int // non-2xx answers and socket errors
}

// writeScript makes wrk ask about a random seeded subject and purpose on
// every request, with the API key, so that the check meets the whole
// database rather than one cached row.
func writeScript(subjects int, purposes []string, key string) (string, error) {
	quoted := make([]string, len(purposes))
	for i, p := range purposes {
		quoted[i] = strconv.Quote(p)
	}
	lua := fmt.Sprintf(`math.randomseed(os.time())
local purposes = {%s}
local headers = {["Authorization"] = "Bearer %s"}
request = function()
  local i = math.random(0, %d)
  local p = purposes[math.random(1, #purposes)]
  return wrk.format("GET", "/api/v1/consents/check?email=user" .. i .. "%%40bench.example&purpose=" .. p, headers)
end
`, strings.Join(quoted, ", "), key, subjects-1)
	f, err := os.CreateTemp("", "rightsdesk-bench-*.lua")
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, err = f.WriteString(lua)
	return f.Name(), err
}

func runWrk(url, script string, o options, d time.Duration) (result, error) {
	r, _, err := runWrkOutput(url, script, o, d)
	return r, err
}

// runWrkOutput is runWrk that also returns wrk's output, where a script's
// done hook prints its own counts.
func runWrkOutput(url, script string, o options, d time.Duration) (result, string, error) {
	out, err := exec.Command("wrk", "-t", strconv.Itoa(o.threads), "-c", strconv.Itoa(o.connections),
		"-d", strconv.Itoa(int(d.Seconds()))+"s", "--latency", "-s", script, url).CombinedOutput()
	if err != nil {
		return result{}, string(out), fmt.Errorf("wrk: %v: %s", err, out)
	}
	r, err := parseWrk(string(out))
	return r, string(out), err
}

var (
	rpsRe     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	latRe     = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	non2xxRe  = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	socketRe  = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	unitScale = map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}
)

func parseWrk(out string) (result, error) {
	var r result
	m := rpsRe.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk printed no Requests/sec:\n%s", out)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	for _, l := range latRe.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(l[2], 64)
		d := time.Duration(v * float64(unitScale[l[3]]))
		if l[1] == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	if r.p99 == 0 {
		return r, fmt.Errorf("wrk printed no latency distribution:\n%s", out)
	}
	if m := non2xxRe.FindStringSubmatch(out); m != nil {
		n, _ := strconv.Atoi(m[1])
		r.errors += n
	}
	if m := socketRe.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.errors += n
		}
	}
	return r, nil
}
