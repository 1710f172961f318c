// Package fakeresend is a stand-in for the Resend HTTP API (POST /emails), so
// tests drive the real resend-go client end to end — request encoding,
// headers, error decoding — instead of a mock of our own interface, which
// would only test our assumptions about the client.
package fakeresend

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Email is one delivery the fake accepted.
type Email struct {
	ID             string
	IdempotencyKey string
	Authorization  string // the header as received, "Bearer <key>"
	From           string
	To             []string
	// Cc, Bcc, ReplyTo and Headers are kept so that tests can prove no
	// hostile input reached them (rightsdesk sets none of them).
	Cc, Bcc, ReplyTo []string
	Headers          map[string]string
	Subject          string
	Text             string
	HTML             string
	Received         time.Time
}

// failure is one queued scripted error answer.
type failure struct {
	status        int
	name, message string
}

// Server is a fake Resend API. All methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	emails   []Email
	byKey    map[string]int // Idempotency-Key → index in emails
	attempts int
	replays  int
	failures []failure
}

// New starts a fake Resend API that is closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := Start()
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake Resend API outside a test (the benchmark command
// uses it); the caller closes it.
func Start() *Server {
	s := &Server{byKey: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// Close stops the fake.
func (s *Server) Close() { s.srv.Close() }

// URL is the base URL to give the client. It ends with "/" because resend-go
// resolves the relative path "emails" against it.
func (s *Server) URL() string { return s.srv.URL + "/" }

// Emails returns the unique deliveries so far, oldest first.
func (s *Server) Emails() []Email {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Email, len(s.emails))
	for i, e := range s.emails {
		e.To = slices.Clone(e.To)
		out[i] = e
	}
	return out
}

// Attempts counts every POST /emails received: duplicates, rejected and
// scripted failures included.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Replays counts the POSTs answered by replaying an earlier delivery: a
// repeated Idempotency-Key with the same payload, as a sender's retry after
// a lost answer sends it.
func (s *Server) Replays() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replays
}

// FailNext makes the next n POSTs answer status with Resend's usual error
// body for it (429 also sets Retry-After; 422 is a validation_error) before
// the server succeeds again. Calls queue up: FailNext(1, 500) then
// FailNext(1, 422) fails the next POST with 500 and the one after with 422.
func (s *Server) FailNext(n, status int) {
	name, msg := defaultError(status)
	s.FailNextError(n, status, name, msg)
}

// FailNextError is FailNext with an explicit error name and message, for the
// cases where Resend uses one status for different meanings (409
// invalid_idempotent_request vs concurrent_idempotent_requests).
func (s *Server) FailNextError(n, status int, name, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, failure{status, name, message})
	}
}

// WaitForEmails polls until at least n unique emails arrived and returns
// them; it fails the test if that takes longer than timeout. Call it from
// the test's goroutine (it uses t.Fatalf).
func (s *Server) WaitForEmails(t testing.TB, n int, timeout time.Duration) []Email {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := s.Emails()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("fakeresend: waited %v for %d emails, got %d (%d attempts)", timeout, n, len(got), s.Attempts())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sendRequest is the subset of POST /emails we check. "to" may be a string
// or an array in Resend's API.
type sendRequest struct {
	From    string            `json:"from"`
	To      json.RawMessage   `json:"to"`
	Cc      json.RawMessage   `json:"cc"`
	Bcc     json.RawMessage   `json:"bcc"`
	ReplyTo json.RawMessage   `json:"reply_to"`
	Headers map[string]string `json:"headers"`
	Subject string            `json:"subject"`
	HTML    string            `json:"html"`
	Text    string            `json:"text"`
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/emails" {
		writeError(w, http.StatusNotFound, "not_found", "The requested endpoint does not exist.")
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method is not allowed for the requested path.")
		return
	}

	s.mu.Lock()
	s.attempts++
	var scripted *failure
	if len(s.failures) > 0 {
		f := s.failures[0]
		s.failures = s.failures[1:]
		scripted = &f
	}
	s.mu.Unlock()

	if scripted != nil {
		if scripted.status == http.StatusTooManyRequests {
			// Resend's rate-limit headers; resend-go exposes them on RateLimitError.
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Ratelimit-Limit", "2")
			w.Header().Set("Ratelimit-Remaining", "0")
			w.Header().Set("Ratelimit-Reset", "1")
		}
		writeError(w, scripted.status, scripted.name, scripted.message)
		return
	}

	auth := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || strings.TrimSpace(key) == "" {
		writeError(w, http.StatusUnauthorized, "missing_api_key", "Missing API key in the authorization header. Include the following header in the request: Authorization: Bearer YOUR_API_KEY")
		return
	}

	var req sendRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 40<<20))
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusUnprocessableEntity, "validation_error", "The request body is not valid JSON.")
		return
	}
	to, err := parseTo(req.To)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "validation_error", err.Error())
		return
	}
	var cc, bcc, replyTo []string
	for _, f := range []struct {
		raw json.RawMessage
		dst *[]string
	}{{req.Cc, &cc}, {req.Bcc, &bcc}, {req.ReplyTo, &replyTo}} {
		if *f.dst, err = parseTo(f.raw); err != nil {
			writeError(w, http.StatusUnprocessableEntity, "validation_error", err.Error())
			return
		}
	}
	if msg := validate(req, to); msg != "" {
		writeError(w, http.StatusUnprocessableEntity, "validation_error", msg)
		return
	}

	e := Email{
		IdempotencyKey: r.Header.Get("Idempotency-Key"),
		Authorization:  auth,
		From:           req.From,
		To:             to,
		Cc:             cc,
		Bcc:            bcc,
		ReplyTo:        replyTo,
		Headers:        req.Headers,
		Subject:        req.Subject,
		Text:           req.Text,
		HTML:           req.HTML,
		Received:       time.Now(),
	}
	if len(e.IdempotencyKey) > 256 {
		writeError(w, http.StatusBadRequest, "invalid_idempotency_key", "The key must be between 1-256 chars.")
		return
	}

	s.mu.Lock()
	if i, seen := s.byKey[e.IdempotencyKey]; seen && e.IdempotencyKey != "" {
		prev := s.emails[i]
		same := samePayload(prev, e)
		if same {
			s.replays++
		}
		s.mu.Unlock()
		if !same {
			writeError(w, http.StatusConflict, "invalid_idempotent_request", "Same idempotency key used with a different request payload. Change your idempotency key or payload.")
			return
		}
		// Real Resend replays the original answer for 24 hours; the fake
		// never lives that long, so it always replays.
		writeJSON(w, http.StatusOK, map[string]string{"id": prev.ID})
		return
	}
	e.ID = newID()
	s.emails = append(s.emails, e)
	if e.IdempotencyKey != "" {
		s.byKey[e.IdempotencyKey] = len(s.emails) - 1
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"id": e.ID})
}
