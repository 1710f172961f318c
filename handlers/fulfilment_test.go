package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

// fakeSystem is a data system's webhook: it records each job and its
// signature header, and answers 200.
type fakeSystem struct {
	mu   sync.Mutex
	jobs []receivedJob
	srv  *httptest.Server
}

type receivedJob struct {
	Signature string
	Body      []byte
}

func newFakeSystem(t *testing.T) *fakeSystem {
	f := &fakeSystem{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.jobs = append(f.jobs, receivedJob{r.Header.Get(webhooks.SignatureHeader), body})
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSystem) received() []receivedJob {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]receivedJob(nil), f.jobs...)
}

type registered struct {
	ID            string `json:"id"`
	SigningSecret string `json:"signing_secret"`
	Key           string `json:"key"`
}

func registerSystem(t *testing.T, a *apptest.App, admin string, body map[string]any) registered {
	t.Helper()
	res := a.Do("POST", "/api/v1/systems", body, admin)
	if res.Status != http.StatusCreated {
		t.Fatalf("register %v: %d %s", body["name"], res.Status, res.Body)
	}
	var out registered
	res.JSON(t, &out)
	return out
}

// startedRequest records a verified request by staff intake and starts it.
func startedRequest(t *testing.T, a *apptest.App, admin, typ, email string) string {
	t.Helper()
	res := a.Do("POST", "/api/v1/requests/intake", map[string]any{"type": typ, "email": email, "country": "GB",
		"received_at": "2026-01-30T09:00:00Z", "verified": true}, admin)
	if res.Status != http.StatusCreated {
		t.Fatalf("intake: %d %s", res.Status, res.Body)
	}
	id := res.Map(t)["id"].(string)
	if res := a.Do("POST", "/api/v1/requests/"+id+"/actions", map[string]string{"action": "start"}, admin); res.Status != http.StatusOK {
		t.Fatalf("start: %d %s", res.Status, res.Body)
	}
	return id
}

type taskJSON struct {
	ID     string                `json:"id"`
	Status string                `json:"status"`
	Note   string                `json:"note"`
	System struct{ Name string } `json:"system"`
}

func tasksOf(t *testing.T, a *apptest.App, admin, id string) map[string]taskJSON {
	t.Helper()
	var d struct {
		Status string     `json:"status"`
		Tasks  []taskJSON `json:"tasks"`
	}
	a.Do("GET", "/api/v1/requests/"+id, nil, admin).JSON(t, &d)
	out := map[string]taskJSON{}
	for _, tk := range d.Tasks {
		out[tk.System.Name] = tk
	}
	return out
}

func TestTasksAreMadeSignedAndAnsweredByTheirOwnSystem(t *testing.T) {
	a := apptest.New(t, apptest.Options{})
	admin := a.StaffToken("admin@example.com", "admin")
	crm, billing := newFakeSystem(t), newFakeSystem(t)
	crmSys := registerSystem(t, a, admin, map[string]any{"name": "crm", "request_types": []string{"access", "deletion"}, "webhook_url": crm.srv.URL})
	billSys := registerSystem(t, a, admin, map[string]any{"name": "billing", "request_types": []string{"deletion"}, "webhook_url": billing.srv.URL})
	registerSystem(t, a, admin, map[string]any{"name": "paper files", "request_types": []string{"deletion"}, "manual": true})
	off := registerSystem(t, a, admin, map[string]any{"name": "retired", "request_types": []string{"deletion"}, "manual": true})
	if res := a.Do("PATCH", "/api/v1/systems/"+off.ID, map[string]any{"disabled": true}, admin); res.Status != http.StatusOK {
		t.Fatalf("disable: %d %s", res.Status, res.Body)
	}
	if !strings.HasPrefix(crmSys.SigningSecret, "whsec_") || !strings.HasPrefix(crmSys.Key, "rds_") {
		t.Fatalf("credentials not shown on creation: %+v", crmSys)
	}
	// A manual system made a webhook one gets its secret, once.
	paperless := registerSystem(t, a, admin, map[string]any{"name": "scans", "request_types": []string{"access"}, "manual": true})
	var switched registered
	a.Do("PATCH", "/api/v1/systems/"+paperless.ID, map[string]any{"webhook_url": crm.srv.URL + "/scans"}, admin).JSON(t, &switched)
	if paperless.SigningSecret != "" || !strings.HasPrefix(switched.SigningSecret, "whsec_") || switched.Key != "" {
		t.Fatalf("manual → webhook: secret %q then %q, key %q", paperless.SigningSecret, switched.SigningSecret, switched.Key)
	}
	if list := a.Do("GET", "/api/v1/systems", nil, admin); strings.Contains(string(list.Body), crmSys.Key) || strings.Contains(string(list.Body), crmSys.SigningSecret) {
		t.Fatal("the list shows a secret")
	}

	id := startedRequest(t, a, admin, "deletion", "sam@example.com")
	tasks := tasksOf(t, a, admin, id)
	if len(tasks) != 3 || tasks["retired"].ID != "" {
		t.Fatalf("tasks: %+v, want crm, billing and paper files (not the disabled system)", tasks)
	}
	if _, err := a.Jobs.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	jobs := crm.received()
	if len(jobs) != 1 || len(billing.received()) != 1 {
		t.Fatalf("crm got %d jobs, billing %d; want one each", len(jobs), len(billing.received()))
	}
	now := a.Clock.Now()
	if err := webhooks.Verify(jobs[0].Signature, jobs[0].Body, crmSys.SigningSecret, now, 0); err != nil {
		t.Fatalf("the job does not verify with the system's secret: %v", err)
	}
	if webhooks.Verify(jobs[0].Signature, jobs[0].Body, billSys.SigningSecret, now, 0) == nil {
		t.Fatal("the job verifies with another system's secret")
	}
	var job map[string]any
	if err := json.Unmarshal(jobs[0].Body, &job); err != nil {
		t.Fatal(err)
	}
	req := job["request"].(map[string]any)
	if job["type"] != "deletion" || req["email"] != "sam@example.com" || job["task_id"] != tasks["crm"].ID ||
		job["result_url"] != "http://rightsdesk.test/api/v1/tasks/"+tasks["crm"].ID+"/result" || job["job_id"] == "" {
		t.Fatalf("job body: %s", jobs[0].Body)
	}
	if st := tasksOf(t, a, admin, id)["crm"].Status; st != "sent" {
		t.Fatalf("crm task after delivery: %s, want sent", st)
	}

	result := "/api/v1/tasks/" + tasks["crm"].ID + "/result"
	done := map[string]any{"status": "done", "kept": []map[string]string{{"data": "invoices", "reason": "tax law"}}}
	for _, c := range []struct {
		name, bearer string
		body         any
		want         int
	}{
		{"no key", "", done, 401},
		{"unknown key", "rds_notakey", done, 401},
		{"another system's key", billSys.Key, done, 403},
		{"bad body", crmSys.Key, map[string]any{"status": "maybe"}, 400},
		{"unknown field", crmSys.Key, map[string]any{"status": "done", "colour": "red"}, 400},
		{"failed without reason", crmSys.Key, map[string]any{"status": "failed"}, 400},
	} {
		if res := a.Do("POST", result, c.body, c.bearer); res.Status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, res.Status, res.Body, c.want)
		}
	}
	if st := tasksOf(t, a, admin, id)["crm"].Status; st != "sent" {
		t.Fatalf("a refused answer changed the task: %s", st)
	}
	if res := a.Do("POST", "/api/v1/tasks/no-such-task/result", done, crmSys.Key); res.Status != 404 {
		t.Errorf("unknown task: %d", res.Status)
	}
	if res := a.Do("POST", result, done, crmSys.Key); res.Status != 200 {
		t.Fatalf("answer: %d %s", res.Status, res.Body)
	}
	if res := a.Do("POST", result, done, crmSys.Key); res.Status != 409 || !strings.Contains(string(res.Body), "task_done") {
		t.Fatalf("second answer: %d %s, want 409 task_done", res.Status, res.Body)
	}

	// Billing fails: staff are told at once, and the request cannot
	// complete without an override.
	a.Deliver()
	before := len(a.Resend.Emails())
	billResult := "/api/v1/tasks/" + tasks["billing"].ID + "/result"
	if res := a.Do("POST", billResult, map[string]any{"status": "failed", "reason": "account locked"}, billSys.Key); res.Status != 200 {
		t.Fatalf("failed answer: %d %s", res.Status, res.Body)
	}
	a.Deliver()
	var notice *string
	for _, m := range a.Resend.Emails()[before:] {
		if m.To[0] == "admin@example.com" && strings.Contains(m.Text, "billing") {
			notice = &m.Text
		}
	}
	if notice == nil || strings.Contains(*notice, "sam@example.com") || strings.Contains(*notice, "account locked") {
		t.Fatalf("staff notice of the failed task missing or carrying personal data/the system's words: %v", notice)
	}

	// The manual task is ticked by staff with a note; auditors cannot.
	paper := "/api/v1/tasks/" + tasks["paper files"].ID + "/result"
	auditor := a.StaffToken("audit@example.com", "auditor")
	if res := a.Do("POST", paper, map[string]any{"status": "done", "note": "shredded"}, auditor); res.Status != 403 {
		t.Fatalf("auditor ticked a task: %d", res.Status)
	}
	if res := a.Do("POST", paper, map[string]any{"status": "done"}, admin); res.Status != 400 {
		t.Fatalf("tick without a note: %d %s", res.Status, res.Body)
	}
	if res := a.Do("POST", paper, map[string]any{"status": "done", "note": "shredded the folder"}, admin); res.Status != 200 {
		t.Fatalf("tick: %d %s", res.Status, res.Body)
	}

	act := "/api/v1/requests/" + id + "/actions"
	if res := a.Do("POST", act, map[string]string{"action": "complete"}, admin); res.Status != 409 || !strings.Contains(string(res.Body), `"tasks_pending"`) {
		t.Fatalf("complete with a failed task: %d %s, want 409 tasks_pending", res.Status, res.Body)
	}
	res := a.Do("POST", act, map[string]string{"action": "complete", "reason": "billing erased by hand after unlocking"}, admin)
	if res.Status != 200 || res.Map(t)["status"] != "completed" {
		t.Fatalf("complete with a reason: %d %s", res.Status, res.Body)
	}
	a.Deliver()
	mail := a.LastEmail("r").Text
	for _, want := range []string{"crm: done on", "kept invoices: tax law", "billing: could not act", "paper files: done on", "billing erased by hand"} {
		if !strings.Contains(mail, want) {
			t.Errorf("completion email lacks %q:\n%s", want, mail)
		}
	}
}

func TestSilentTaskIsToldToStaffOnce(t *testing.T) {
	a := apptest.New(t, apptest.Options{})
	admin := a.StaffToken("admin@example.com", "admin")
	registerSystem(t, a, admin, map[string]any{"name": "archive", "request_types": []string{"access"}, "manual": true})
	id := startedRequest(t, a, admin, "access", "kim@example.com")
	a.Deliver()
	count := func() int {
		n := 0
		for _, m := range a.Resend.Emails() {
			if strings.Contains(m.Subject, "needs attention") {
				n++
			}
		}
		return n
	}
	a.Clock.Add(6 * 24 * time.Hour)
	if _, err := a.Requests.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.Deliver()
	if count() != 0 {
		t.Fatal("staff were told before the task fell silent")
	}
	a.Clock.Add(2 * 24 * time.Hour)
	for range 2 {
		if _, err := a.Requests.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		a.Deliver()
	}
	if count() != 1 {
		t.Fatalf("%d silence notices, want exactly 1", count())
	}
	if tasksOf(t, a, a.Login("admin@example.com"), id)["archive"].Status != "pending" {
		t.Fatal("the notice changed the task")
	}
}

func TestPackageIsOfferedForSevenDaysThenDeleted(t *testing.T) {
	a := apptest.New(t, apptest.Options{})
	admin := a.StaffToken("admin@example.com", "admin")
	registerSystem(t, a, admin, map[string]any{"name": "shop", "request_types": []string{"access"}, "manual": true})
	id := startedRequest(t, a, admin, "access", "lou@example.com")
	tk := tasksOf(t, a, admin, id)["shop"]
	answer := map[string]any{"status": "done", "note": "exported from the shop admin",
		"data": map[string]any{"orders": []map[string]any{{"id": 1, "total": 12.5}, {"id": 2, "total": 3}}}}
	if res := a.Do("POST", "/api/v1/tasks/"+tk.ID+"/result", answer, admin); res.Status != 200 {
		t.Fatalf("answer: %d %s", res.Status, res.Body)
	}
	// Staff entered the request: the requester is "self", so it completed
	// itself with the last task.
	var d struct {
		Status  string
		Package *struct{ Bytes int64 }
	}
	a.Do("GET", "/api/v1/requests/"+id, nil, admin).JSON(t, &d)
	if d.Status != "completed" || d.Package == nil || d.Package.Bytes == 0 {
		t.Fatalf("after the last task: %+v", d)
	}
	a.Deliver()
	_, token := apptest.LinkIn(t, a.LastEmail("r").Text, "r")
	if res := a.Do("GET", "/r/"+token+"/package", nil, ""); res.Status != 200 || !strings.Contains(string(res.Body[:4]), "PK") {
		t.Fatalf("download: %d", res.Status)
	}
	if res := a.Do("GET", "/r/AAAAAAAAAAAAAAAAAAAAAAAAAA/package", nil, ""); res.Status != 404 {
		t.Fatalf("unknown token: %d, want 404", res.Status)
	}

	p, err := a.Store.PackageOf(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	a.Clock.Add(7*24*time.Hour + time.Minute)
	if res := a.Do("GET", "/r/"+token+"/package", nil, ""); res.Status != 410 {
		t.Fatalf("expired package: %d, want 410", res.Status)
	}
	rep, err := a.Requests.Sweep(context.Background())
	if err != nil || rep.Purged != 1 {
		t.Fatalf("sweep purged %d packages (err %v), want 1", rep.Purged, err)
	}
	files := 0
	filepath.Walk(filepath.Dir(filepath.Dir(filesDirOf(t, a, p))), func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files++
		}
		return nil
	})
	if files != 0 {
		t.Fatalf("%d file(s) left on disk after the purge", files)
	}
	if res := a.Do("GET", "/r/"+token+"/package", nil, ""); res.Status != 410 {
		t.Fatalf("purged package: %d, want 410", res.Status)
	}
	var events struct{ Events []struct{ Action string } }
	a.Do("GET", "/api/v1/requests/"+id, nil, a.Login("admin@example.com")).JSON(t, &events)
	downloads := 0
	for _, e := range events.Events {
		if e.Action == "download" {
			downloads++
		}
	}
	if downloads != 1 {
		t.Fatalf("%d download events, want 1", downloads)
	}
}

// filesDirOf finds the package's file under the test's files directory.
func filesDirOf(t *testing.T, a *apptest.App, p *models.Package) string {
	t.Helper()
	return filepath.Join(a.Fulfilment.FilesDir(), filepath.FromSlash(p.Path))
}

func TestOptOutWaitsForItsSystemsThenCompletes(t *testing.T) {
	a := apptest.New(t, apptest.Options{})
	admin := a.StaffToken("admin@example.com", "admin")
	registerSystem(t, a, admin, map[string]any{"name": "ads", "request_types": []string{"opt_out"}, "manual": true})
	res := a.Do("POST", "/api/v1/requests", map[string]any{"type": "opt_out", "email": "max@example.com", "country": "GB",
		"scope": []string{"targeted_ads"}}, "")
	if res.Status != 202 {
		t.Fatalf("submit: %d %s", res.Status, res.Body)
	}
	id := res.Map(t)["id"].(string)
	a.Deliver()
	_, token := apptest.LinkIn(t, a.LastEmail("verify").Text, "verify")
	a.Do("POST", "/api/v1/verifications", map[string]string{"token": token}, "")
	tk := tasksOf(t, a, admin, id)["ads"]
	var d struct{ Status string }
	a.Do("GET", "/api/v1/requests/"+id, nil, admin).JSON(t, &d)
	if tk.ID == "" || d.Status != "in_progress" {
		t.Fatalf("verified opt-out: status %s, task %+v; want in_progress with a task", d.Status, tk)
	}
	check := a.Do("GET", "/api/v1/subjects/consents?email=max@example.com", nil, admin)
	if !strings.Contains(string(check.Body), `"targeted_ads"`) {
		t.Fatalf("the withdrawal was not recorded at verification: %s", check.Body)
	}
	a.Do("POST", "/api/v1/tasks/"+tk.ID+"/result", map[string]any{"status": "done", "note": "removed from audiences"}, admin)
	a.Do("GET", "/api/v1/requests/"+id, nil, admin).JSON(t, &d)
	if d.Status != "completed" {
		t.Fatalf("after its only task: %s, want completed", d.Status)
	}
}

func TestRetentionRedactsWhatSystemsSaid(t *testing.T) {
	a := apptest.New(t, apptest.Options{})
	admin := a.StaffToken("admin@example.com", "admin")
	hook := newFakeSystem(t)
	sys := registerSystem(t, a, admin, map[string]any{"name": "crm", "request_types": []string{"deletion"}, "webhook_url": hook.srv.URL})
	id := startedRequest(t, a, admin, "deletion", "ned@example.com")
	tk := tasksOf(t, a, admin, id)["crm"]
	if _, err := a.Jobs.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	answer := map[string]any{"status": "done", "reason": "deleted ned's profile", "kept": []map[string]string{{"data": "ned's invoices", "reason": "tax"}}}
	if res := a.Do("POST", "/api/v1/tasks/"+tk.ID+"/result", answer, sys.Key); res.Status != 200 {
		t.Fatalf("answer: %d %s", res.Status, res.Body)
	}
	a.Clock.Add(731 * 24 * time.Hour)
	if rep, err := a.Requests.Sweep(context.Background()); err != nil || rep.Redacted != 1 {
		t.Fatalf("sweep redacted %d (err %v)", rep.Redacted, err)
	}
	task, err := a.Store.GetTask(context.Background(), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if task.Note != "" || len(task.Kept) != 0 || task.Status != models.TaskDone || task.SystemName != "crm" {
		t.Fatalf("task after redaction: %+v", task)
	}
}
