package fakeresend_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resend/resend-go/v2"
	"github.com/rightsdesk/rightsdesk/internal/testutil/fakeresend"
)

func client(t *testing.T, s *fakeresend.Server, key string) *resend.Client {
	t.Helper()
	c := resend.NewCustomClient(&http.Client{Timeout: 5 * time.Second}, key)
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return c
}

func req(subject string) *resend.SendEmailRequest {
	return &resend.SendEmailRequest{From: "Org <privacy@localhost>", To: []string{"a@example.com"}, Subject: subject, Text: "t"}
}

func TestPayloadMismatchOnRepeatedKeyIs409(t *testing.T) {
	s := fakeresend.New(t)
	c := client(t, s, "k")
	opts := &resend.SendEmailOptions{IdempotencyKey: "same"}
	if _, err := c.Emails.SendWithOptions(context.Background(), req("one"), opts); err != nil {
		t.Fatal(err)
	}
	_, err := c.Emails.SendWithOptions(context.Background(), req("two"), opts)
	if err == nil || !strings.Contains(err.Error(), "idempotency key") {
		t.Fatalf("want idempotency conflict, got %v", err)
	}
	if len(s.Emails()) != 1 || s.Attempts() != 2 {
		t.Errorf("emails %d attempts %d", len(s.Emails()), s.Attempts())
	}
}

func TestRequiresBearerKey(t *testing.T) {
	s := fakeresend.New(t)
	if _, err := client(t, s, "").Emails.Send(req("x")); err == nil {
		t.Fatal("accepted a request without an API key")
	}
	if len(s.Emails()) != 0 || s.Attempts() != 1 {
		t.Errorf("emails %d attempts %d", len(s.Emails()), s.Attempts())
	}
}

func TestValidatesLikeResend(t *testing.T) {
	s := fakeresend.New(t)
	bad := req("x")
	bad.To = []string{"not an address"}
	if _, err := client(t, s, "k").Emails.Send(bad); err == nil || !strings.Contains(err.Error(), "Invalid `to` field") {
		t.Fatalf("want validation error, got %v", err)
	}
}

func TestFailNextQueuesThenSucceeds(t *testing.T) {
	s := fakeresend.New(t)
	s.FailNext(1, 500)
	s.FailNext(1, 422)
	c := client(t, s, "k")
	for i, want := range []string{"unexpected error", "Invalid `to` field", ""} {
		_, err := c.Emails.Send(req("x"))
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("POST %d: got %v, want %q", i, err, want)
		}
	}
	s.FailNext(1, 429)
	_, err := c.Emails.Send(req("x"))
	var rl *resend.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter == "" {
		t.Errorf("429 without Retry-After: %v", err)
	}
}

func TestWaitForEmailsSeesConcurrentSends(t *testing.T) {
	s := fakeresend.New(t)
	c := client(t, s, "k")
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() { _, _ = c.Emails.Send(req("x")) })
	}
	got := s.WaitForEmails(t, 5, 5*time.Second)
	wg.Wait()
	ids := map[string]bool{}
	for _, e := range got {
		ids[e.ID] = true
	}
	if len(ids) != 5 {
		t.Errorf("want 5 distinct ids, got %d", len(ids))
	}
}

func TestRetryWithSameKeyIsAReplayNotADelivery(t *testing.T) {
	s := fakeresend.New(t)
	c := client(t, s, "k")
	opts := &resend.SendEmailOptions{IdempotencyKey: "retry"}
	first, err := c.Emails.SendWithOptions(context.Background(), req("one"), opts)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Emails.SendWithOptions(context.Background(), req("one"), opts)
	if err != nil || again.Id != first.Id {
		t.Fatalf("retry: %+v %v, want the first answer %q", again, err, first.Id)
	}
	_, _ = c.Emails.SendWithOptions(context.Background(), req("two"), opts) // a 409, not a replay
	if len(s.Emails()) != 1 || s.Replays() != 1 || s.Attempts() != 3 {
		t.Errorf("emails %d replays %d attempts %d", len(s.Emails()), s.Replays(), s.Attempts())
	}
}

// The fields rightsdesk never sets are recorded, so that tests can prove
// hostile input never reached them.
func TestRecordsCopiesReplyToAndHeaders(t *testing.T) {
	s := fakeresend.New(t)
	r := req("x")
	r.Bcc, r.Cc, r.ReplyTo = []string{"b@example.com"}, []string{"c@example.com"}, "r@example.com"
	r.Headers = map[string]string{"X-Extra": "1"}
	if _, err := client(t, s, "k").Emails.Send(r); err != nil {
		t.Fatal(err)
	}
	e := s.Emails()[0]
	if !slices.Equal(e.Bcc, r.Bcc) || !slices.Equal(e.Cc, r.Cc) || !slices.Equal(e.ReplyTo, []string{"r@example.com"}) || e.Headers["X-Extra"] != "1" {
		t.Fatalf("recorded cc %q bcc %q reply-to %q headers %q", e.Cc, e.Bcc, e.ReplyTo, e.Headers)
	}
}
