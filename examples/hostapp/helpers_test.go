package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

const (
	testSecret = "whsec_test_signing_secret"
	testKey    = "rdsk_test_system_key"
)

var testStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// clock is a settable time for the App.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// received is one answer as the fake rightsdesk got it.
type received struct {
	Path, Authorization string
	Raw                 string
	Answer              Answer
	Status              int // what the fake answered
}

// receiver is a fake rightsdesk result endpoint that records every answer
// and replies with a settable status.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	got    []received
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{status: http.StatusOK}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var a Answer
		if err := json.Unmarshal(body, &a); err != nil {
			t.Errorf("answer is not JSON: %v: %s", err, body)
		}
		r.mu.Lock()
		status := r.status
		r.got = append(r.got, received{Path: req.URL.Path, Authorization: req.Header.Get("Authorization"), Raw: string(body), Answer: a, Status: status})
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) SetStatus(code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = code
}

func (r *receiver) Received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// accepted are the answers the fake took with a 2xx.
func (r *receiver) accepted() []received {
	var out []received
	for _, g := range r.Received() {
		if g.Status/100 == 2 {
			out = append(out, g)
		}
	}
	return out
}

func testDBPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "hostapp.db")
}

// newTestApp opens an App on path, seeded with the demo accounts when
// seed is set, and closes it at the end of the test.
func newTestApp(t *testing.T, path string, c *clock, seed bool, opts ...Option) *App {
	t.Helper()
	quiet := WithLogger(discardLogger)
	app, err := NewApp(path, testSecret, testKey, nil, c.Now, append([]Option{quiet}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Close() })
	if seed {
		if err := app.SeedDemo(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return app
}

func jobFor(r *receiver, id, typ string, req JobRequest) Job {
	return Job{JobID: id, TaskID: "task-" + id, Type: typ, Request: req, ResultURL: r.URL + "/api/v1/tasks/task-" + id + "/result"}
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// deliver posts body to the App's job endpoint signed with secret at t.
func deliver(app *App, secret string, at time.Time, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/rightsdesk/jobs", bytes.NewReader(body))
	req.Header.Set(webhooks.SignatureHeader, webhooks.Sign(secret, at, body))
	rec := httptest.NewRecorder()
	app.Handler().ServeHTTP(rec, req)
	return rec
}

// send delivers job as rightsdesk would, expecting it to be stored.
func send(t *testing.T, app *App, c *clock, job Job) {
	t.Helper()
	if rec := deliver(app, testSecret, c.Now(), marshal(t, job)); rec.Code != http.StatusAccepted {
		t.Fatalf("job %s: got %d %s, want 202", job.JobID, rec.Code, rec.Body)
	}
}

// process runs one worker pass and returns how many answers were taken.
func process(t *testing.T, app *App) int {
	t.Helper()
	n, err := app.ProcessPending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// answerTo sends job, runs the worker once, and returns the one answer
// the fake rightsdesk got.
func answerTo(t *testing.T, app *App, c *clock, r *receiver, job Job) received {
	t.Helper()
	send(t, app, c, job)
	process(t, app)
	got := r.Received()
	if len(got) != 1 {
		t.Fatalf("got %d answers, want 1: %+v", len(got), got)
	}
	return got[0]
}

func storedJobs(t *testing.T, app *App) []JobRecord {
	t.Helper()
	var jobs []JobRecord
	if err := app.db.Order("received_at").Find(&jobs).Error; err != nil {
		t.Fatal(err)
	}
	return jobs
}

func userByEmail(t *testing.T, app *App, email string) (User, bool) {
	t.Helper()
	var users []User
	if err := app.db.Where("email = ?", email).Find(&users).Error; err != nil {
		t.Fatal(err)
	}
	if len(users) == 0 {
		return User{}, false
	}
	return users[0], true
}

func httptestGet(app *App, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	app.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

var discardLogger = slog.New(slog.DiscardHandler)
