package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
)

// The whole loop, as a new user would run it: rightsdesk and this example
// host, each with its own database; a system registered over the API; a
// request made and verified by the requester; staff start it; the job
// goes to the host, which does the work and answers; the request completes
// itself, and the requester downloads the package from the status page.

// loop is rightsdesk and the host app wired together.
type loop struct {
	rd     *apptest.App
	host   *App
	hostDB string
	admin  string
	// down makes the host's URL answer 503 without reaching the app, as a
	// host that is down would; reached counts the jobs that got through.
	mu      sync.Mutex
	down    bool
	reached int
}

func (l *loop) setDown(d bool) { l.mu.Lock(); l.down = d; l.mu.Unlock() }

func (l *loop) jobsReached() int { l.mu.Lock(); defer l.mu.Unlock(); return l.reached }

// rewrite sends the host's answers for http://rightsdesk.test (the base URL
// rightsdesk's tests run with) to the test server.
type rewrite struct{ target *url.URL }

func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = r.target.Scheme, r.target.Host
	return http.DefaultTransport.RoundTrip(req)
}

func newLoop(t *testing.T, types ...string) *loop {
	t.Helper()
	l := &loop{rd: apptest.New(t, apptest.Options{})}
	l.admin = l.rd.StaffToken("admin@example.com", "admin")

	var handler http.Handler
	hostSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		down := l.down
		if !down {
			l.reached++
		}
		l.mu.Unlock()
		if down {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(hostSrv.Close)

	res := l.rd.Do("POST", "/api/v1/systems", map[string]any{
		"name": "photos", "request_types": types, "webhook_url": hostSrv.URL + "/rightsdesk/jobs",
	}, l.admin)
	if res.Status != http.StatusCreated {
		t.Fatalf("register system: %d %s", res.Status, res.Body)
	}
	var sys struct {
		SigningSecret string `json:"signing_secret"`
		Key           string `json:"key"`
	}
	res.JSON(t, &sys)

	target, _ := url.Parse(l.rd.URL)
	l.hostDB = filepath.Join(t.TempDir(), "hostapp.db")
	host, err := NewApp(l.hostDB, sys.SigningSecret, sys.Key, &http.Client{Transport: rewrite{target}}, l.rd.Clock.Now,
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { host.Close() })
	if err := host.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.host, handler = host, host.Handler()
	return l
}

// request makes and verifies a request as the requester does, and returns
// its id.
func (l *loop) request(t *testing.T, body map[string]any) string {
	t.Helper()
	res := l.rd.Do("POST", "/api/v1/requests", body, "")
	if res.Status != http.StatusAccepted {
		t.Fatalf("submit: %d %s", res.Status, res.Body)
	}
	id := res.Map(t)["id"].(string)
	l.rd.Deliver()
	_, token := apptest.LinkIn(t, l.rd.LastEmail("verify").Text, "verify")
	if res := l.rd.Do("POST", "/api/v1/verifications", map[string]string{"token": token}, ""); res.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", res.Status, res.Body)
	}
	return id
}

func (l *loop) start(t *testing.T, id string) {
	t.Helper()
	if res := l.rd.Do("POST", "/api/v1/requests/"+id+"/actions", map[string]string{"action": "start"}, l.admin); res.Status != http.StatusOK {
		t.Fatalf("start: %d %s", res.Status, res.Body)
	}
}

// sendJobs runs rightsdesk's job sender once.
func (l *loop) sendJobs(t *testing.T) int {
	t.Helper()
	n, err := l.rd.Jobs.RunOnce(context.Background())
	if err != nil && !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatal(err)
	}
	return n
}

// hostWorks lets the host do its stored jobs and answer them.
func (l *loop) hostWorks(t *testing.T) {
	t.Helper()
	if _, err := l.host.ProcessPending(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (l *loop) detail(t *testing.T, id string) map[string]any {
	t.Helper()
	res := l.rd.Do("GET", "/api/v1/requests/"+id, nil, l.admin)
	if res.Status != http.StatusOK {
		t.Fatalf("detail: %d %s", res.Status, res.Body)
	}
	return res.Map(t)
}

func TestExportEndsWithAZipOfTheHostsData(t *testing.T) {
	l := newLoop(t, "access", "export", "deletion", "correction", "opt_out")
	id := l.request(t, map[string]any{"type": "export", "email": "ada@example.com", "name": "Ada", "country": "GB"})
	l.start(t, id)

	// The host is down for a while: the job waits and is retried.
	l.setDown(true)
	for range 3 {
		if l.sendJobs(t) != 1 {
			t.Fatal("the job was not tried while the host was down")
		}
		l.rd.Clock.Add(2 * time.Minute) // past the first backoffs
	}
	tasks := l.detail(t, id)["tasks"].([]any)
	if len(tasks) != 1 || tasks[0].(map[string]any)["status"] != "pending" {
		t.Fatalf("tasks while the host is down: %v", tasks)
	}
	// It comes back: the job arrives once, and is never sent again.
	l.setDown(false)
	l.sendJobs(t)
	l.rd.Clock.Add(10 * time.Minute)
	if n := l.sendJobs(t); n != 0 {
		t.Fatalf("%d job(s) sent again after delivery", n)
	}
	if got := l.jobsReached(); got != 1 {
		t.Fatalf("the host got the job %d times, want once", got)
	}
	if st := l.detail(t, id)["tasks"].([]any)[0].(map[string]any)["status"]; st != "sent" {
		t.Fatalf("task after delivery: %v, want sent", st)
	}

	l.hostWorks(t)
	d := l.detail(t, id)
	if d["status"] != "completed" || d["package"] == nil {
		t.Fatalf("after the host answered: status %v, package %v", d["status"], d["package"])
	}
	l.rd.Deliver()
	done := l.rd.LastEmail("r")
	if !strings.Contains(done.Text, "photos: done on") || !strings.Contains(done.Text, "/package") {
		t.Fatalf("the completion email does not name the system and link the package:\n%s", done.Text)
	}
	_, token := apptest.LinkIn(t, done.Text, "r")

	// The status page offers the download; the ZIP holds what the host has.
	page := l.rd.Do("GET", "/r/"+token, nil, "")
	if !bytes.Contains(page.Body, []byte(`id="download-package"`)) {
		t.Fatalf("the status page offers no download:\n%s", page.Body)
	}
	zipRes := l.rd.Do("GET", "/r/"+token+"/package", nil, "")
	if zipRes.Status != http.StatusOK || zipRes.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download: %d %s", zipRes.Status, zipRes.Header.Get("Content-Type"))
	}
	files := unzip(t, zipRes.Body)
	var data map[string]map[string][]map[string]any
	if err := json.Unmarshal(files["data.json"], &data); err != nil {
		t.Fatalf("data.json: %v", err)
	}
	var user User
	var images []Image
	var orders []Order
	l.host.db.Where("email = ?", "ada@example.com").Take(&user)
	l.host.db.Where("user_id = ?", user.ID).Order("id").Find(&images)
	l.host.db.Where("user_id = ?", user.ID).Order("id").Find(&orders)
	photos := data["photos"]
	if len(photos["users"]) != 1 || photos["users"][0]["email"] != user.Email || photos["users"][0]["phone"] != user.Phone {
		t.Errorf("users in the package: %v, host has %+v", photos["users"], user)
	}
	if len(photos["images"]) != len(images) || len(images) == 0 {
		t.Fatalf("%d images in the package, the host has %d", len(photos["images"]), len(images))
	}
	for i, img := range images {
		if photos["images"][i]["filename"] != img.Filename || photos["images"][i]["caption"] != img.Caption {
			t.Errorf("image %d: %v, host has %+v", i, photos["images"][i], img)
		}
	}
	if len(photos["orders"]) != len(orders) {
		t.Errorf("%d orders in the package, the host has %d", len(photos["orders"]), len(orders))
	}
	for _, name := range []string{"photos/users.csv", "photos/images.csv", "README.txt", "manifest.json"} {
		if len(files[name]) == 0 {
			t.Errorf("the package has no %s", name)
		}
	}
	if !bytes.Contains(files["photos/images.csv"], []byte(images[0].Filename)) {
		t.Errorf("images.csv lacks %s:\n%s", images[0].Filename, files["photos/images.csv"])
	}

	// The download is an event on the request.
	var downloads int
	for _, e := range l.detail(t, id)["events"].([]any) {
		if e.(map[string]any)["action"] == "download" {
			downloads++
		}
	}
	if downloads != 1 {
		t.Errorf("%d download events, want 1", downloads)
	}
}

func TestDeletionAndCorrectionSayWhatTheHostDid(t *testing.T) {
	l := newLoop(t, "deletion", "correction")
	del := l.request(t, map[string]any{"type": "deletion", "email": "ada@example.com", "country": "GB"})
	fix := l.request(t, map[string]any{"type": "correction", "email": "grace@example.com", "country": "GB",
		"corrections": []map[string]string{{"field": "phone", "current": "+1 202 555 0102", "requested": "+1 202 555 0199"}}})
	l.start(t, del)
	l.start(t, fix)
	if n := l.sendJobs(t); n != 2 {
		t.Fatalf("%d jobs sent, want 2", n)
	}
	l.hostWorks(t)
	for _, id := range []string{del, fix} {
		if st := l.detail(t, id)["status"]; st != "completed" {
			t.Fatalf("request %s is %v after the host answered", id, st)
		}
	}
	var n int64
	l.host.db.Model(&User{}).Where("email = ?", "ada@example.com").Count(&n)
	if n != 0 {
		t.Fatal("the host still has the deleted account")
	}
	l.rd.Deliver()
	var deletionMail, correctionMail string
	for _, m := range l.rd.Resend.Emails() {
		if !strings.Contains(m.Subject, "complete") && !strings.Contains(m.Text, "We have completed") {
			continue
		}
		switch m.To[0] {
		case "ada@example.com":
			deletionMail = m.Text
		case "grace@example.com":
			correctionMail = m.Text
		}
	}
	if !strings.Contains(deletionMail, "photos: done on") || !strings.Contains(deletionMail, "kept orders") {
		t.Errorf("the deletion email does not say what the system did and kept:\n%s", deletionMail)
	}
	if !strings.Contains(correctionMail, `phone changed from "+1 202 555 0102" to "+1 202 555 0199"`) {
		t.Errorf("the correction email does not say what changed:\n%s", correctionMail)
	}
}

// unzip reads every file of a ZIP.
func unzip(t *testing.T, raw []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return out
}
