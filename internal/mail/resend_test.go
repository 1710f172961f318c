package mail_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resend/resend-go/v2"
	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/internal/testutil/fakeresend"
)

const (
	testKey   = "re_test_key"
	recipient = "alice.requester@example.com"
)

func newSender(t *testing.T, baseURL string) *mail.Resend {
	t.Helper()
	s, err := mail.NewResend(testKey, baseURL, nil)
	if err != nil {
		t.Fatalf("NewResend: %v", err)
	}
	return s
}

func msg(key string) mail.Message {
	return mail.Message{
		IdempotencyKey: key,
		From:           "Example Org <privacy@localhost>",
		To:             recipient,
		Subject:        "Confirm your privacy request",
		Text:           "secret body text",
		HTML:           "<p>secret body html &amp; more</p>",
	}
}

// sendErr asserts err is a *SendError and that it leaks neither the
// recipient nor the body.
func sendErr(t *testing.T, err error) *mail.SendError {
	t.Helper()
	var se *mail.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *SendError", err, err)
	}
	for _, secret := range []string{recipient, "secret body"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error text leaks %q: %s", secret, err)
		}
	}
	return se
}

func TestSendDeliversThroughRealClient(t *testing.T) {
	fake := fakeresend.New(t)
	id, err := newSender(t, fake.URL()).Send(context.Background(), msg("outbox-1"))
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := fake.Emails()
	if len(got) != 1 {
		t.Fatalf("got %d emails, want 1", len(got))
	}
	e := got[0]
	want := msg("outbox-1")
	if e.ID != id || id == "" {
		t.Errorf("provider id %q, fake recorded %q", id, e.ID)
	}
	if e.IdempotencyKey != want.IdempotencyKey || e.From != want.From || len(e.To) != 1 || e.To[0] != want.To ||
		e.Subject != want.Subject || e.Text != want.Text || e.HTML != want.HTML {
		t.Errorf("recorded %+v, want fields of %+v", e, want)
	}
	if e.Authorization != "Bearer "+testKey {
		t.Errorf("Authorization %q", e.Authorization)
	}
}

func TestRepeatedIdempotencyKeySendsOnce(t *testing.T) {
	fake := fakeresend.New(t)
	s := newSender(t, fake.URL())
	id1, err1 := s.Send(context.Background(), msg("outbox-7"))
	id2, err2 := s.Send(context.Background(), msg("outbox-7"))
	if err1 != nil || err2 != nil {
		t.Fatalf("Send: %v, %v", err1, err2)
	}
	if id1 != id2 {
		t.Errorf("ids differ: %q vs %q", id1, id2)
	}
	if n := len(fake.Emails()); n != 1 {
		t.Errorf("emails = %d, want 1", n)
	}
	if n := fake.Attempts(); n != 2 {
		t.Errorf("attempts = %d, want 2", n)
	}
}

func TestClassification(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		errName   string // "" = the fake's default for status
		permanent bool
	}{
		{"server error", 500, "", false},
		{"bad gateway", 502, "", false},
		{"rate limited", 429, "", false},
		{"validation", 422, "", true},
		{"bad request", 400, "", true},
		{"missing key", 401, "", true},
		{"invalid key", 403, "", true},
		{"idempotency payload mismatch", 409, "", true},
		{"idempotent request in flight", 409, "concurrent_idempotent_requests", false},
		{"request timeout", 408, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := fakeresend.New(t)
			if tc.errName != "" {
				fake.FailNextError(1, tc.status, tc.errName, "provider says no")
			} else {
				fake.FailNext(1, tc.status)
			}
			s := newSender(t, fake.URL())
			_, err := s.Send(context.Background(), msg("k-"+tc.name))
			se := sendErr(t, err)
			if se.Status != tc.status || se.Permanent != tc.permanent {
				t.Fatalf("got status %d permanent %v, want %d %v (%v)", se.Status, se.Permanent, tc.status, tc.permanent, err)
			}
			if mail.IsPermanent(err) != tc.permanent {
				t.Errorf("IsPermanent disagrees")
			}
			if tc.status == 429 {
				if se.RetryAfter <= 0 {
					t.Errorf("RetryAfter = %v, want > 0", se.RetryAfter)
				}
				if !errors.Is(err, resend.ErrRateLimit) {
					t.Errorf("errors.Is(err, resend.ErrRateLimit) = false")
				}
			}
			if tc.permanent && !strings.Contains(err.Error(), "validation_error") && tc.status == 422 {
				t.Errorf("provider message lost: %v", err)
			}
			// Retryable failures succeed on retry with the same key.
			if !tc.permanent {
				if _, err := s.Send(context.Background(), msg("k-"+tc.name)); err != nil {
					t.Fatalf("retry: %v", err)
				}
				if n := len(fake.Emails()); n != 1 {
					t.Errorf("emails after retry = %d, want 1", n)
				}
			}
		})
	}
}

func TestProviderMessageKeptButAddressScrubbed(t *testing.T) {
	fake := fakeresend.New(t)
	fake.FailNextError(1, 422, "validation_error", "Invalid `to` field: "+recipient+" is not allowed")
	_, err := newSender(t, fake.URL()).Send(context.Background(), msg("k"))
	se := sendErr(t, err)
	if !se.Permanent || !strings.Contains(err.Error(), "Invalid `to` field") {
		t.Errorf("want permanent error keeping the provider message, got %v", err)
	}
}

func TestClosedServerIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := newSender(t, url).Send(context.Background(), msg("k"))
	se := sendErr(t, err)
	if se.Permanent || se.Status != 0 {
		t.Errorf("got permanent %v status %d, want retryable network error: %v", se.Permanent, se.Status, err)
	}
}

func TestTimeoutIsRetryable(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	s, err := mail.NewResend(testKey, srv.URL, &http.Client{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Send(context.Background(), msg("k"))
	se := sendErr(t, err)
	if se.Permanent || se.Status != 0 {
		t.Errorf("want retryable timeout, got %v", err)
	}
}

func TestInvalidMessageIsPermanentWithoutRequest(t *testing.T) {
	fake := fakeresend.New(t)
	s := newSender(t, fake.URL())
	bad := []func(*mail.Message){
		func(m *mail.Message) { m.IdempotencyKey = "" },
		func(m *mail.Message) { m.To = "" },
		func(m *mail.Message) { m.To = recipient + ", other@example.com" },
		func(m *mail.Message) { m.From = "" },
		func(m *mail.Message) { m.Subject = " " },
		func(m *mail.Message) { m.Text, m.HTML = "", "" },
	}
	for i, mutate := range bad {
		m := msg(fmt.Sprint("k", i))
		mutate(&m)
		_, err := s.Send(context.Background(), m)
		if se := sendErr(t, err); !se.Permanent {
			t.Errorf("case %d: want permanent, got %v", i, err)
		}
	}
	if n := fake.Attempts(); n != 0 {
		t.Errorf("attempts = %d, want 0", n)
	}
}

func TestSubjectIsFlattened(t *testing.T) {
	fake := fakeresend.New(t)
	m := msg("k")
	m.Subject = "Hello\r\nBcc: x@example.com"
	if _, err := newSender(t, fake.URL()).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := fake.Emails()[0].Subject; strings.ContainsAny(got, "\r\n") {
		t.Errorf("subject %q has a line break", got)
	}
}

// TestConcurrentSendsClassifyIndependently checks that each Send reads its
// own response status: the fake answers the first 15 POSTs with scripted
// failures in arrival order, whichever goroutine sends them.
func TestConcurrentSendsClassifyIndependently(t *testing.T) {
	fake := fakeresend.New(t)
	fake.FailNext(5, 422)
	fake.FailNext(5, 500)
	fake.FailNext(5, 429)
	s := newSender(t, fake.URL())

	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.Send(context.Background(), msg(fmt.Sprint("c-", i)))
		})
	}
	wg.Wait()

	count := map[int]int{}
	for _, err := range errs {
		if err == nil {
			count[200]++
			continue
		}
		se := sendErr(t, err)
		count[se.Status]++
		wantPermanent := se.Status == 422
		if se.Permanent != wantPermanent {
			t.Errorf("status %d classified permanent=%v", se.Status, se.Permanent)
		}
		if se.Status == 429 && se.RetryAfter <= 0 {
			t.Errorf("429 without RetryAfter")
		}
	}
	for status, want := range map[int]int{200: 5, 422: 5, 500: 5, 429: 5} {
		if count[status] != want {
			t.Errorf("status %d seen %d times, want %d (all: %v)", status, count[status], want, count)
		}
	}
}

func TestNewResendValidates(t *testing.T) {
	if _, err := mail.NewResend("", "", nil); err == nil {
		t.Error("empty key accepted")
	}
	for _, u := range []string{"ftp://x/", "not a url", "/relative", "http://x/?q=1"} {
		if _, err := mail.NewResend(testKey, u, nil); err == nil {
			t.Errorf("base URL %q accepted", u)
		}
	}
}

// TestBaseURLWithoutSlashKeepsPath guards the resend-go pitfall: relative
// resolution against ".../resend" would drop the "resend" segment.
func TestBaseURLWithoutSlashKeepsPath(t *testing.T) {
	var mu sync.Mutex
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		path = r.URL.Path
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"x"}`)
	}))
	t.Cleanup(srv.Close)
	if _, err := newSender(t, srv.URL+"/resend").Send(context.Background(), msg("k")); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if path != "/resend/emails" {
		t.Errorf("request path %q, want /resend/emails", path)
	}
}

func TestCallerClientIsNotModified(t *testing.T) {
	hc := &http.Client{Timeout: time.Second}
	if _, err := mail.NewResend(testKey, "", hc); err != nil {
		t.Fatal(err)
	}
	if hc.Transport != nil {
		t.Error("NewResend replaced the caller's transport")
	}
}
