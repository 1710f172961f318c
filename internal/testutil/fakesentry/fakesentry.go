// Package fakesentry is a stand-in for Sentry's ingestion API, so that
// tests drive the real sentry-go client and transport end to end and can
// read exactly what would have left the process.
package fakesentry

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Server records the envelopes POSTed to /api/<project>/envelope/.
type Server struct {
	srv *httptest.Server

	mu        sync.Mutex
	envelopes [][]byte          // each as received, decompressed
	events    []json.RawMessage // the payloads of "event" items
}

// New starts a fake Sentry that is closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(s.srv.Close)
	return s
}

// DSN is a DSN for project 1 on the fake.
func (s *Server) DSN() string {
	return strings.Replace(s.srv.URL, "http://", "http://public@", 1) + "/1"
}

// Envelopes returns every envelope received, decompressed, raw.
func (s *Server) Envelopes() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.envelopes...)
}

// Events returns the JSON of every event (error reports) received.
func (s *Server) Events() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]json.RawMessage(nil), s.events...)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/api/") || !strings.HasSuffix(r.URL.Path, "/envelope/") {
		http.NotFound(w, r)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	events, err := parseEnvelope(raw)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.envelopes = append(s.envelopes, raw)
	s.events = append(s.events, events...)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{}`)
}

// parseEnvelope reads Sentry's envelope format: a header line, then for
// each item a header line and a payload of "length" bytes (or up to the
// next newline when the header has no length). It returns the event
// items' payloads.
func parseEnvelope(raw []byte) ([]json.RawMessage, error) {
	rd := bufio.NewReader(bytes.NewReader(raw))
	if _, err := rd.ReadBytes('\n'); err != nil {
		return nil, err
	}
	var events []json.RawMessage
	for {
		line, err := rd.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) == 0 {
			if err == io.EOF {
				return events, nil
			}
			if err != nil {
				return nil, err
			}
			continue
		}
		var item struct {
			Type   string `json:"type"`
			Length *int   `json:"length"`
		}
		if err := json.Unmarshal(line, &item); err != nil {
			return nil, err
		}
		var payload []byte
		if item.Length != nil {
			payload = make([]byte, *item.Length)
			if _, err := io.ReadFull(rd, payload); err != nil {
				return nil, err
			}
			_, _ = rd.ReadByte() // the newline after the payload, if any
		} else {
			payload, err = rd.ReadBytes('\n')
			if err != nil && err != io.EOF {
				return nil, err
			}
			payload = bytes.TrimRight(payload, "\n")
		}
		if item.Type == "event" {
			if !json.Valid(payload) {
				return nil, &badPayload{len(payload)}
			}
			events = append(events, json.RawMessage(payload))
		}
	}
}

type badPayload struct{ n int }

func (e *badPayload) Error() string {
	return "event payload of " + strconv.Itoa(e.n) + " bytes is not JSON"
}
