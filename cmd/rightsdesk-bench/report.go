package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

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
