package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/benchseed"
)

// spotCheck withdraws consent for a seeded subject whose state the load
// has certainly cached, and checks at once: the answer must be false.
func spotCheck(baseURL, key string) (string, error) {
	call := func(method, path string, body any) (map[string]any, error) {
		var rd *bytes.Reader
		if body != nil {
			raw, _ := json.Marshal(body)
			rd = bytes.NewReader(raw)
		} else {
			rd = bytes.NewReader(nil)
		}
		req, _ := http.NewRequest(method, baseURL+path, rd)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode >= 300 {
			return nil, fmt.Errorf("%s %s: %d %v", method, path, resp.StatusCode, m)
		}
		return m, nil
	}
	const q = "/api/v1/consents/check?email=user0%40bench.example&purpose=model_training"
	for _, action := range []string{"grant", "withdraw"} {
		if _, err := call("GET", q, nil); err != nil { // cached now
			return "", err
		}
		if _, err := call("POST", "/api/v1/consents", map[string]string{"email": "user0@bench.example", "purpose": "model_training",
			"action": action, "source": "api"}); err != nil {
			return "", err
		}
		st, err := call("GET", q, nil)
		if err != nil {
			return "", err
		}
		if st["granted"] != (action == "grant") {
			return "", fmt.Errorf("after %s the next check answered granted=%v", action, st["granted"])
		}
	}
	return "a grant and then a withdrawal of a cached subject were each answered correctly by the very next check", nil
}

// readEverySubject checks each seeded subject once, so that the measured
// rounds see the steady state of a host application that checks its users
// again and again: every subject in the cache.
func readEverySubject(baseURL, key string, subjects int) error {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	next := make(chan int)
	errs := make(chan error, 32)
	for range 32 {
		go func() {
			for i := range next {
				req, _ := http.NewRequest("GET", baseURL+"/api/v1/consents/check?purpose=marketing&email="+
					strings.ReplaceAll(benchseed.Email(i), "@", "%40"), nil)
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := client.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("check: status %d", resp.StatusCode)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	var failed error
	for i := 0; i < subjects && failed == nil; i++ {
		select {
		case next <- i:
		case failed = <-errs:
		}
	}
	close(next)
	return failed
}

func render(o options, db string, rounds []round, cold result, fresh string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n### Consent check on %s\n\n", db)
	fmt.Fprintf(&b, "Measured %s on %s. %d consent events over %d subjects; wrk %d threads, %d connections, %s per run, %d alternating rounds after a %s warm-up of each; every request asks about a random seeded subject and purpose.\n\n",
		time.Now().UTC().Format("2006-01-02"), machine(), o.events, o.subjects, o.threads, o.connections, o.duration, len(rounds), o.warmup)
	b.WriteString("| round | bare echo req/s | check req/s | ratio (target ≥ 0.50) | bare p99 | check p99 | p99 ratio (target ≤ 2.0) | errors |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	var sumRatio, worstP99 float64
	for i, r := range rounds {
		ratio := r.check.rps / r.bare.rps
		p99 := float64(r.check.p99) / float64(r.bare.p99)
		sumRatio += ratio
		worstP99 = max(worstP99, p99)
		fmt.Fprintf(&b, "| %d | %.0f | %.0f | %.2f | %s | %s | %.2f | %d |\n", i+1, r.bare.rps, r.check.rps, ratio,
			r.bare.p99.Round(10*time.Microsecond), r.check.p99.Round(10*time.Microsecond), p99, r.bare.errors+r.check.errors)
	}
	fmt.Fprintf(&b, "\nMean throughput ratio %.2f; worst p99 ratio %.2f. Consistency: %s.\n", sumRatio/float64(len(rounds)), worstP99, fresh)
	fmt.Fprintf(&b, "\nThe rounds run after every subject was checked once (the steady state of a host application that checks its users again and again). Cold, in the first %s after start, when most checks still read the database: %.0f req/s (%.2f of the first round's ceiling), p99 %s.\n",
		o.warmup, cold.rps, cold.rps/rounds[0].bare.rps, cold.p99.Round(10*time.Microsecond))
	return b.String()
}

// writeReport puts the report in its own section of path (one per
// database), replacing that section from an earlier run.
func writeReport(path, db, report string) error {
	begin := "<!-- bench:consent-check:" + db + " -->"
	end := "<!-- /bench:consent-check:" + db + " -->"
	raw, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	doc := string(raw)
	section := begin + "\n" + strings.TrimSpace(report) + "\n" + end
	if i, j := strings.Index(doc, begin), strings.Index(doc, end); i >= 0 && j > i {
		doc = doc[:i] + section + doc[j+len(end):]
	} else {
		doc = strings.TrimRight(doc, "\n") + "\n\n" + section + "\n"
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}
