// Package apptest runs a whole rightsdesk server for tests: a real database
// (SQLite file, or PostgreSQL when RIGHTSDESK_TEST_DATABASE_URL is set), the
// real handlers over httptest, a settable clock, and the outbox delivering
// through the real resend-go client to a fake Resend server.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/handlers"
	"github.com/rightsdesk/rightsdesk/internal/auth"
	"github.com/rightsdesk/rightsdesk/internal/cachebus"
	"github.com/rightsdesk/rightsdesk/internal/limits"
	"github.com/rightsdesk/rightsdesk/internal/mail"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/internal/testutil/fakeresend"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/consents"
	"github.com/rightsdesk/rightsdesk/workflows/fulfilment"
	"github.com/rightsdesk/rightsdesk/workflows/outbox"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

// Clock is a settable clock shared by the server's parts.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// Add moves the clock forward.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// quiet drops the server's logs: failures show in the assertions.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// App is a running test server.
type App struct {
	T        testing.TB
	URL      string
	Store    *models.Store
	Clock    *Clock
	Resend   *fakeresend.Server
	Outbox   *outbox.Dispatcher
	Staff    *staff.Service
	Requests *requests.Service
	Policy   *policy.Policy
	Consents *consents.Service
	// Bus carries cache invalidations (its PostgreSQL listener runs for the
	// test's lifetime).
	Bus *cachebus.Bus
	// WebhookQueue and WebhookService are the consent webhooks' outbox and
	// endpoint management.
	WebhookQueue   *webhooks.Queue
	WebhookService *webhooks.Service
	// Webhooks sends the webhook outbox; tests call RunOnce.
	Webhooks *webhooks.Dispatcher
	// Fulfilment runs data systems and tasks; Jobs sends their jobs.
	Fulfilment *fulfilment.Service
	Jobs       *webhooks.Dispatcher
}

// Options change the defaults of New.
type Options struct {
	Policy *policy.Policy
	Now    time.Time
	// Limits are the abuse limits. Nil means production's sign-in throttle
	// and nothing else: every test client is one address, and tests make
	// many requests for one email.
	Limits *limits.Config
	// DevOutbox files emails in the dev outbox instead of sending them.
	DevOutbox bool
	// Log receives the server's and the workers' logs (each worker's lines
	// with a "component" attribute); nil drops them.
	Log *slog.Logger
}

// New starts a server. The policy defaults to the built-in one.
func New(t testing.TB, o Options) *App {
	t.Helper()
	staff.BcryptCost = 4 // the minimum: tests need not be slow to brute-force
	if o.Policy == nil {
		o.Policy = policy.Default("privacy@example.com")
	}
	if o.Now.IsZero() {
		o.Now = time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	}
	clk := &Clock{t: o.Now}
	store := testdb.Open(t)
	keys := secrets.Derive([]byte("test secret of at least thirty-two bytes!"))
	a := &App{T: t, Store: store, Clock: clk, Resend: fakeresend.New(t), Policy: o.Policy}
	log := quiet
	if o.Log != nil {
		log = o.Log
	}
	a.Bus = cachebus.New(store, log.With("component", "cachebus"))
	busCtx, stopBus := context.WithCancel(context.Background())
	busDone := make(chan struct{})
	go func() { defer close(busDone); a.Bus.Run(busCtx) }()
	t.Cleanup(func() { stopBus(); <-busDone })
	a.WebhookQueue = webhooks.NewQueue()
	a.WebhookService = webhooks.NewService(store, keys, a.WebhookQueue, clk.Now)
	a.Webhooks = &webhooks.Dispatcher{Store: store, Keys: keys, Queue: a.WebhookQueue, Now: clk.Now, Log: log.With("component", "webhooks")}
	a.Consents = consents.New(store, o.Policy, consents.Config{BaseURL: "http://rightsdesk.test", MailFrom: "privacy@example.com", Keys: keys},
		clk.Now, a.Bus, a.WebhookQueue)
	a.Fulfilment = fulfilment.New(store, o.Policy, fulfilment.Config{BaseURL: "http://rightsdesk.test", Keys: keys,
		FilesDir: t.TempDir()}, clk.Now)
	a.Jobs = &webhooks.Dispatcher{Outbox: a.Fulfilment.Jobs(), Queue: a.Fulfilment.Queue(), Now: clk.Now, Log: log.With("component", "jobs")}
	a.Requests = requests.New(store, o.Policy, requests.Config{BaseURL: "http://rightsdesk.test", MailFrom: "privacy@example.com", Keys: keys,
		Consents: a.Consents, Fulfilment: a.Fulfilment}, clk.Now)
	a.Staff = staff.New(store, clk.Now)
	a.Staff.UseCache(a.Bus)
	sender, err := mail.NewResend("re_test", a.Resend.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Outbox = &outbox.Dispatcher{Store: store, Sender: sender, Now: clk.Now, Log: log.With("component", "outbox")}
	if o.DevOutbox {
		a.Outbox.Sender = nil
	}
	lim := limits.Config{Login: limits.Defaults().Login}
	if o.Limits != nil {
		lim = *o.Limits
	}
	srv := handlers.New(handlers.Deps{Store: store, Requests: a.Requests, Staff: a.Staff, Log: log,
		Consents: a.Consents, Webhooks: a.WebhookService, Fulfilment: a.Fulfilment,
		JWT: auth.NewJWT(keys.JWTKey(), time.Hour, clk.Now), Limits: lim, Now: clk.Now,
		BaseURL: "http://rightsdesk.test", DevOutbox: o.DevOutbox})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	a.URL = hs.URL
	return a
}

// Deliver runs the outbox until it is empty.
func (a *App) Deliver() {
	a.T.Helper()
	for {
		n, err := a.Outbox.RunOnce(context.Background())
		if err != nil {
			a.T.Fatalf("outbox: %v", err)
		}
		if n == 0 {
			return
		}
	}
}

// Response is an HTTP answer with its body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response is not JSON (%d): %s", r.Status, r.Body)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(t testing.TB) map[string]any {
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Do sends a request; body may be nil, a string (sent raw) or a value
// (sent as JSON). bearer may be empty.
func (a *App) Do(method, path string, body any, bearer string) *Response {
	a.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.T.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.URL+path, rd)
	if err != nil {
		a.T.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.T.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// StaffToken creates a staff user with a role and logs in.
func (a *App) StaffToken(email, role string) string {
	a.T.Helper()
	if _, err := a.Staff.CreateUser(context.Background(), email, role, "correct horse battery"); err != nil {
		a.T.Fatal(err)
	}
	return a.Login(email)
}

// Login logs a staff user made by StaffToken in again (tokens expire an hour
// after the test clock's now).
func (a *App) Login(email string) string {
	a.T.Helper()
	r := a.Do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "correct horse battery"}, "")
	if r.Status != 200 {
		a.T.Fatalf("login: %d %s", r.Status, r.Body)
	}
	var out struct{ Token string }
	r.JSON(a.T, &out)
	return out.Token
}

// LastEmail is the newest email delivered with a link of a kind ("verify"
// or "r").
func (a *App) LastEmail(kind string) fakeresend.Email {
	a.T.Helper()
	emails := a.Resend.Emails()
	for i := len(emails) - 1; i >= 0; i-- {
		for _, m := range linkRe.FindAllStringSubmatch(emails[i].Text, -1) {
			if m[1] == kind {
				return emails[i]
			}
		}
	}
	a.T.Fatalf("no email with a /%s/ link among %d", kind, len(emails))
	return fakeresend.Email{}
}

var linkRe = regexp.MustCompile(`http://rightsdesk\.test/(verify|r|consents)/([A-Z2-7]+)`)

// LinkIn finds the first link of a kind ("verify", "r" or "consents") in an
// email text.
func LinkIn(t testing.TB, text, kind string) (url, token string) {
	t.Helper()
	for _, m := range linkRe.FindAllStringSubmatch(text, -1) {
		if m[1] == kind {
			return m[0], m[2]
		}
	}
	t.Fatalf("no /%s/ link in email:\n%s", kind, text)
	return "", ""
}
