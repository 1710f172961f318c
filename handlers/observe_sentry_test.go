package handlers_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/handlers"
	"github.com/rightsdesk/rightsdesk/internal/auth"
	"github.com/rightsdesk/rightsdesk/internal/observe"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/internal/testutil/fakesentry"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
)

// A panic and a 500 in a handler are reported to Sentry (a fake one, fed
// by the real SDK and transport) and answered with the contract's 500,
// and neither the event nor the log holds the requester's email, name or
// words, the link token, the query, the cookie or the Authorization
// header. Sentry's hub is global: tests that use it must not be parallel.
func TestSentryGetsPanicsAndErrorsWithoutPersonalData(t *testing.T) {
	const (
		email   = "ana.lopez@example.com"
		name    = "Ana Zyxwvut"
		details = "my hamster Quokkaberry"
		cookie  = "rd_session=cookiesecret123"
	)
	token := secrets.NewToken()
	jwt := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbmEifQ.c2lnbmF0dXJl"

	fake := fakesentry.New(t)
	if err := observe.InitSentry(observe.SentryOptions{DSN: fake.DSN(), Environment: "test", Release: "rightsdesk@test"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sentry.CurrentHub().BindClient(nil) })

	var logs lockedBuffer
	now := func() time.Time { return time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC) }
	store := testdb.Open(t)
	keys := secrets.Derive([]byte("test secret of at least thirty-two bytes!"))
	srv := handlers.New(handlers.Deps{
		Store: store, Staff: staff.New(store, now), JWT: auth.NewJWT(keys.JWTKey(), time.Hour, now), Now: now,
		Requests: requests.New(store, policy.Default("privacy@example.com"), requests.Config{BaseURL: "http://rightsdesk.test", Keys: keys}, now),
		Log:      observe.NewLogger(true, &logs),
	})
	// Test-only routes that fail the way a bug would, with the request's
	// data in hand.
	srv.Echo().POST("/api/v1/test/panic/:token", func(c echo.Context) error {
		panic("cannot notify " + c.QueryParam("email") + " for " + c.Param("token"))
	})
	srv.Echo().POST("/api/v1/test/fail/:token", func(c echo.Context) error {
		return errors.New("store refused " + c.QueryParam("email"))
	})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)

	for _, route := range []string{"panic", "fail"} {
		body := `{"email":"` + email + `","name":"` + name + `","details":"` + details + `"}`
		req, _ := http.NewRequest("POST", hs.URL+"/api/v1/test/"+route+"/"+token+"?email="+email+"&name="+strings.ReplaceAll(name, " ", "+"), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+jwt)
		req.Header.Set("Cookie", cookie)
		req.Header.Set("X-Request-Id", "sentry-test-"+route)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var answer struct {
			Error struct{ Code, Message string }
		}
		err = json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
		if resp.StatusCode != 500 || err != nil || answer.Error.Code != "internal" {
			t.Fatalf("%s: %d %+v %v, want 500 with code internal", route, resp.StatusCode, answer, err)
		}
		if got := resp.Header.Get("X-Request-Id"); got != "sentry-test-"+route {
			t.Errorf("%s: X-Request-Id %q", route, got)
		}
	}
	if !sentry.Flush(10 * time.Second) {
		t.Fatal("the events were not delivered to the fake Sentry")
	}

	events := fake.Events()
	if len(events) != 2 {
		t.Fatalf("want 2 events (the panic, the 500), got %d", len(events))
	}
	var all []byte
	for _, ev := range events {
		all = append(append(all, ev...), '\n')
	}
	for _, want := range []string{"cannot notify " + observe.Redacted, "store refused " + observe.Redacted,
		`"request_id":"sentry-test-panic"`, `"request_id":"sentry-test-fail"`, `"route":"/api/v1/test/panic/:token"`} {
		if !bytes.Contains(all, []byte(want)) {
			t.Errorf("the events lack %q:\n%s", want, all)
		}
	}
	hidden := []string{email, name, "Zyxwvut", details, "Quokkaberry", token, jwt, "cookiesecret123", "rd_session",
		"Authorization", "email=", "name="}
	for _, env := range fake.Envelopes() {
		for _, s := range hidden {
			if bytes.Contains(env, []byte(s)) {
				t.Errorf("%q reached Sentry:\n%s", s, env)
			}
		}
	}

	// The log has the panic with its stack, tied to the request.
	var sawPanic bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("not a JSON line: %s", line)
		}
		if l["msg"] == "panic" {
			sawPanic = l["request_id"] == "sentry-test-panic" && strings.Contains(l["stack"].(string), "observe_sentry_test.go")
		}
	}
	if !sawPanic {
		t.Errorf("no panic line with the request id and the stack:\n%s", logs.String())
	}
	for _, s := range hidden[:7] {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log holds %q", s)
		}
	}
}
