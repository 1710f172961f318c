package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/fakeresend"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
)

// crashStream is the traffic of the crash test: requesters submitting
// requests and confirming them from their verification emails, while the
// server is killed under them. It records what the server promised (every
// 202 and every confirmed verification) for the checks at the end.
type crashStream struct {
	resend *fakeresend.Server
	client *http.Client
	base   atomic.Pointer[string] // the running process; nil while it is down
	round  atomic.Int32           // kills so far
	drain  atomic.Bool            // no token is held back any more
	next   atomic.Int64           // numbers the requesters' email addresses

	mu       sync.Mutex
	accepted map[string]acceptedIntake // by email
	lost     int                       // intakes whose answer never came
	tokens   map[string]*verification  // by email, from the delivered emails
	queue    []*verification           // tokens not yet used successfully
	scanned  int                       // fake Resend emails looked at
	problems []string                  // broken promises seen during the stream
}

type acceptedIntake struct{ ID, Reference, Status string }

// verification is one delivered verification email and what using its
// token gave.
type verification struct {
	email, token string
	key          string // the email's idempotency key
	deliveredIn  int32  // the round in which the email arrived
	holdUntil    int32  // not used before this round: crosses a restart
	attempts     int    // POSTs sent that got no answer (cut by a kill)
	outcome      int    // the answer that settled it (200 or 410 when all is well); 0 while queued
	usedIn       int32  // the round of that answer
}

func newCrashStream(resend *fakeresend.Server) *crashStream {
	return &crashStream{
		resend: resend,
		// No keep-alive: a POST on a pooled connection that a kill closed
		// would fail as if cut mid-request, and be counted as maybe handled.
		client:   &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
		accepted: map[string]acceptedIntake{},
		tokens:   map[string]*verification{},
	}
}

func (s *crashStream) serving(base string) { s.base.Store(&base) }
func (s *crashStream) down()               { s.base.Store(nil) }

func (s *crashStream) problem(format string, a ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.problems = append(s.problems, fmt.Sprintf(format, a...))
}

// Pseudo statuses of post for answers that never came.
const (
	notSent    = -1 // no connection: the server never saw the request
	unanswered = 0  // sent, but the connection died: it may have been handled
)

// post sends a JSON body and returns the status and body of the answer, or
// notSent or unanswered.
func (s *crashStream) post(ctx context.Context, path string, body any) (int, []byte) {
	base := s.base.Load()
	if base == nil {
		return notSent, nil
	}
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, *base+path, bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return notSent, nil
		}
		return unanswered, nil
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return unanswered, nil // the answer was cut: as good as none
	}
	return resp.StatusCode, out
}

// submitLoop submits requests, each from a new email address, until ctx
// ends.
func (s *crashStream) submitLoop(ctx context.Context) {
	for ctx.Err() == nil {
		email := fmt.Sprintf("crash-%05d@example.com", s.next.Add(1))
		status, body := s.post(ctx, "/api/v1/requests", map[string]any{
			"type": "access", "email": email, "name": "Crash Tester", "country": "DE",
			"details": "every request answered 202 must survive SIGKILL",
		})
		switch status {
		case http.StatusAccepted:
			var a acceptedIntake
			if err := json.Unmarshal(body, &a); err != nil || a.ID == "" || a.Reference == "" || a.Status != lifecycle.PendingVerification {
				s.problem("intake %s: 202 with a body that names no pending request: %q", email, body)
				continue
			}
			s.mu.Lock()
			s.accepted[email] = a
			s.mu.Unlock()
		case notSent, unanswered:
			if ctx.Err() != nil {
				return
			}
			if status == unanswered {
				s.mu.Lock()
				s.lost++
				s.mu.Unlock()
			}
			time.Sleep(10 * time.Millisecond) // the server is down: do not spin
		default:
			// Valid input is never refused; a 5xx is not what a kill looks like.
			s.problem("intake %s: status %d: %s", email, status, body)
		}
	}
}

// verifyTokenRE finds the verification link's token; tokens are
// rand.Text(), base32.
var verifyTokenRE = regexp.MustCompile(`/verify/([A-Z2-7]{16,64})\b`)

// verifyLoop reads the verification emails the fake Resend received and
// uses their tokens, until ctx ends. Some tokens are held back until the
// next round, so that a link emailed before a kill is used after the
// restart, as a requester reading their mail later would.
func (s *crashStream) verifyLoop(ctx context.Context, rng *rand.Rand) {
	for ctx.Err() == nil {
		s.collect(rng)
		s.useTokens(ctx)
		time.Sleep(5 * time.Millisecond)
	}
}

// collect queues the tokens of newly delivered verification emails.
func (s *crashStream) collect(rng *rand.Rand) {
	emails := s.resend.Emails()
	s.mu.Lock()
	defer s.mu.Unlock()
	round := s.round.Load()
	for _, e := range emails[s.scanned:] {
		m := verifyTokenRE.FindStringSubmatch(e.Text)
		if m == nil {
			continue
		}
		to := e.To[0]
		if prev, ok := s.tokens[to]; ok {
			s.problems = append(s.problems, fmt.Sprintf("%s got a second verification email (keys %s and %s)", to, prev.key, e.IdempotencyKey))
			continue
		}
		v := &verification{email: to, token: m[1], key: e.IdempotencyKey, deliveredIn: round, holdUntil: round}
		if rng.IntN(4) == 0 {
			v.holdUntil = round + 1
		}
		s.tokens[to] = v
		s.queue = append(s.queue, v)
	}
	s.scanned = len(emails)
}

// useTokens tries every due token once, stopping at the first that finds
// the server down.
func (s *crashStream) useTokens(ctx context.Context) {
	s.mu.Lock()
	round, draining := s.round.Load(), s.drain.Load()
	var due []*verification
	for _, v := range s.queue {
		if v.holdUntil <= round || draining {
			due = append(due, v)
		}
	}
	s.mu.Unlock()
	for _, v := range due {
		status, body := s.post(ctx, "/api/v1/verifications", map[string]string{"token": v.token})
		s.mu.Lock()
		switch {
		case status == notSent:
		case status == unanswered:
			v.attempts++
		case status == http.StatusOK:
			v.outcome, v.usedIn = status, s.round.Load()
		case status == http.StatusGone && v.attempts > 0:
			// An earlier attempt committed but its answer was cut by a kill.
			v.outcome, v.usedIn = status, s.round.Load()
		default:
			// 404 would mean a delivered token is not in the database; 410
			// on a first use, that a token was used by nobody.
			v.outcome = status
			s.problems = append(s.problems, fmt.Sprintf("verification of %s (attempt %d): status %d: %s", v.email, v.attempts+1, status, body))
		}
		s.mu.Unlock()
		if status <= unanswered {
			break // the server is down; wait for the restart
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.queue[:0]
	for _, v := range s.queue {
		if v.outcome == 0 {
			kept = append(kept, v)
		}
	}
	s.queue = kept
}

// settled says whether every email the fake received up to now has been
// read and every token in it used (so that no new email is owed by a
// verification in flight).
func (s *crashStream) settled() bool {
	n := len(s.resend.Emails())
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scanned == n && len(s.queue) == 0
}

// crashSnapshot is what the stream recorded, for the final checks.
type crashSnapshot struct {
	accepted map[string]acceptedIntake
	used     map[string]*verification // tokens used successfully (200 or 410), by email
	lost     int
	// acrossRestart counts tokens emailed in one round and used in a later
	// one, after at least one kill.
	acrossRestart int
	problems      []string
}

func (s *crashStream) snapshot() crashSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := crashSnapshot{accepted: map[string]acceptedIntake{}, used: map[string]*verification{}, lost: s.lost}
	for k, v := range s.accepted {
		snap.accepted[k] = v
	}
	for k, v := range s.tokens {
		if v.outcome == http.StatusOK || v.outcome == http.StatusGone {
			c := *v
			snap.used[k] = &c
			if v.usedIn > v.deliveredIn {
				snap.acrossRestart++
			}
		}
	}
	snap.problems = append([]string(nil), s.problems...)
	sort.Strings(snap.problems)
	return snap
}
