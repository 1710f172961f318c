package observe

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/rightsdesk/rightsdesk/internal/testutil/fakesentry"
)

// What a request to rightsdesk carries, and must never reach Sentry.
const (
	piiEmail   = "ana.lopez@example.com"
	piiName    = "Ana Zyxwvut López"
	piiDetails = "my hamster Quokkaberry is on your servers"
	piiToken   = "QWERTYUIOPASDFGHJKLZXCVBNM"
	piiJWT     = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbmEifQ.c2ln"
	piiCookie  = "rd_session=cookiesecret123"
	piiIP      = "203.0.113.77"
)

// useSentry initialises the global hub against a fake Sentry for one test
// and unbinds it after (the hub is process-wide: such tests must not run
// in parallel).
func useSentry(t *testing.T) *fakesentry.Server {
	t.Helper()
	fake := fakesentry.New(t)
	if err := InitSentry(SentryOptions{DSN: fake.DSN(), Environment: "test", Release: "rightsdesk@test"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sentry.CurrentHub().BindClient(nil) })
	return fake
}

//go:noinline
func failWhileHandling(email, token string) {
	panic("could not reach " + email + " with link " + token)
}

func TestSentryEventsCarryNoPersonalData(t *testing.T) {
	fake := useSentry(t)
	hub := sentry.CurrentHub().Clone()
	req := httptest.NewRequest("POST", "http://rightsdesk.test/r/"+piiToken+"?email="+piiEmail,
		strings.NewReader(`{"email":"`+piiEmail+`","name":"`+piiName+`","details":"`+piiDetails+`"}`))
	req.Header.Set("Authorization", "Bearer "+piiJWT)
	req.Header.Set("Cookie", piiCookie)
	req.Header.Set("X-Forwarded-For", piiIP)
	req.RemoteAddr = piiIP + ":50000"
	hub.Scope().SetRequest(req)
	hub.Scope().SetUser(sentry.User{Email: piiEmail, Name: piiName, IPAddress: piiIP})
	hub.Scope().SetContext("requester", sentry.Context{"details": piiDetails})
	hub.Scope().SetTag("requester", piiEmail)
	hub.AddBreadcrumb(&sentry.Breadcrumb{Category: "mail", Message: "sent to " + piiName, Data: map[string]any{"to": piiEmail}}, nil)

	ctx := context.WithValue(context.Background(), sentry.RequestContextKey, req)
	func() {
		defer func() {
			if r := recover(); r != nil {
				hub.RecoverWithContext(ctx, r)
			}
		}()
		failWhileHandling(piiEmail, piiToken)
	}()
	if !hub.Flush(10 * time.Second) {
		t.Fatal("the event was not delivered to the fake Sentry")
	}

	events := fake.Events()
	if len(events) != 1 {
		t.Fatalf("want 1 event, got %d", len(events))
	}
	assertNoPII(t, fake)

	// What a developer needs is still there: the message, scrubbed, and
	// the stack down to the function that panicked.
	var ev struct {
		Message string
		Threads []struct {
			Stacktrace struct{ Frames []struct{ Function string } }
		}
		Breadcrumbs []struct{ Category string }
	}
	if err := json.Unmarshal(events[0], &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Message != "could not reach "+Redacted+" with link "+Redacted {
		t.Errorf("the panic message should be kept, scrubbed: %q", ev.Message)
	}
	found := false
	for _, th := range ev.Threads {
		for _, f := range th.Stacktrace.Frames {
			found = found || f.Function == "failWhileHandling"
		}
	}
	if !found {
		t.Errorf("the stack lost the frame that panicked: %s", events[0])
	}
	if len(ev.Breadcrumbs) != 1 || ev.Breadcrumbs[0].Category != "mail" {
		t.Errorf("the breadcrumb's kind should stay: %s", events[0])
	}
}

// assertNoPII fails if any envelope the fake received holds personal
// data, a credential, or the request's address.
func assertNoPII(t *testing.T, fake *fakesentry.Server) {
	t.Helper()
	envs := fake.Envelopes()
	if len(envs) == 0 {
		t.Fatal("no envelope received")
	}
	for _, env := range envs {
		for _, s := range []string{piiEmail, piiName, "Zyxwvut", piiDetails, "Quokkaberry", piiToken, piiJWT, "cookiesecret123",
			piiIP, "rd_session", "Authorization", "/r/", "email="} {
			if bytes.Contains(env, []byte(s)) {
				t.Errorf("%q reached Sentry:\n%s", s, env)
			}
		}
	}
}
