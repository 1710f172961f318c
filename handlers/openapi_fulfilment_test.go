package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/fulfilment"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

// specJobSink is a webhook data system that keeps every job it is sent and
// answers 200.
type specJobSink struct {
	*httptest.Server
	mu     sync.Mutex
	header []http.Header
	body   [][]byte
}

func newSpecJobSink(t *testing.T) *specJobSink {
	s := &specJobSink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.header, s.body = append(s.header, r.Header.Clone()), append(s.body, b)
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *specJobSink) jobs() ([]http.Header, [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Header(nil), s.header...), append([][]byte(nil), s.body...)
}

// exerciseFulfilment calls the data systems' API, a request's tasks, the
// systems' and staff's answers, and the package download, with good and
// bad input and credentials; it checks that the job a webhook system is
// sent matches the spec's taskJob webhook. requestsKey is an API key with
// requests:write only.
func exerciseFulfilment(t *testing.T, c *specChecker, app *apptest.App, admin, auditor, requestsKey string) {
	t.Helper()
	ctx := context.Background()
	registry, _, err := app.Staff.CreateAPIKey(ctx, "registry", []string{models.ScopeSystems}, "test")
	if err != nil {
		t.Fatal(err)
	}
	sink := newSpecJobSink(t)

	// Registration.
	crm := c.do(specCall{method: "POST", path: "/api/v1/systems", bearer: admin, validInput: true, want: 201,
		body: map[string]any{"name": "CRM", "request_types": []string{"access", "deletion"}, "webhook_url": sink.URL + "/jobs"}}).m(t)
	if crm["signing_secret"] == nil || crm["key"] == nil {
		t.Fatalf("a webhook system's credentials are not shown: %v", crm)
	}
	archive := c.do(specCall{method: "POST", path: "/api/v1/systems", bearer: registry, validInput: true, want: 201,
		body: map[string]any{"name": "Paper archive", "request_types": []string{"access"}, "manual": true}}).m(t)
	if _, ok := archive["signing_secret"]; ok || archive["key"] == nil {
		t.Fatalf("a manual system's credentials: %v", archive)
	}
	old := c.do(specCall{method: "POST", path: "/api/v1/systems", bearer: admin, validInput: true, want: 201,
		body: map[string]any{"name": "Old shop", "request_types": []string{"access"}, "webhook_url": "http://127.0.0.1:9/jobs", "manual": false}}).m(t)
	crmID, archiveID := crm["id"].(string), archive["id"].(string)
	c.do(specCall{method: "POST", path: "/api/v1/systems", bearer: admin, validInput: true, want: 409,
		body: map[string]any{"name": "CRM", "request_types": []string{"access"}, "manual": true}})
	c.do(specCall{method: "POST", path: "/api/v1/systems", bearer: admin, badInput: true, want: 400,
		body: map[string]any{"name": "Astrology", "request_types": []string{"horoscope"}, "manual": true}})
	c.do(specCall{method: "POST", path: "/api/v1/systems", bearer: admin, badInput: true, want: 400,
		body: map[string]any{"name": "Nowhere", "request_types": []string{"access"}}})
	c.do(specCall{method: "POST", path: "/api/v1/systems", bearer: admin, badInput: true, want: 400,
		body: map[string]any{"name": "Both", "request_types": []string{"access"}, "webhook_url": "https://both.example/jobs", "manual": true}})
	c.do(specCall{method: "POST", path: "/api/v1/systems", bearer: admin, want: 400,
		body: map[string]any{"name": "Ftp", "request_types": []string{"access"}, "webhook_url": "ftp://files.example/jobs"}})
	c.do(specCall{method: "POST", path: "/api/v1/systems", bearer: admin, badInput: true, want: 400,
		body: map[string]any{"name": "Mine", "request_types": []string{"access"}, "manual": true, "secret": "mine"}})
	c.do(specCall{method: "POST", path: "/api/v1/systems", bearer: admin, want: 413,
		body: map[string]any{"name": strings.Repeat("x", 70*1024), "request_types": []string{"access"}, "manual": true}})
	c.do(specCall{method: "POST", path: "/api/v1/systems", bearer: auditor, want: 403,
		body: map[string]any{"name": "Audit", "request_types": []string{"access"}, "manual": true}})
	c.do(specCall{method: "POST", path: "/api/v1/systems", bearer: requestsKey, want: 403,
		body: map[string]any{"name": "Key", "request_types": []string{"access"}, "manual": true}})
	c.do(specCall{method: "POST", path: "/api/v1/systems", want: 401,
		body: map[string]any{"name": "Anon", "request_types": []string{"access"}, "manual": true}})

	// The list and one system, never with credentials.
	list := c.do(specCall{method: "GET", path: "/api/v1/systems", bearer: admin, want: 200})
	if strings.Contains(string(list.body), `"key"`) || strings.Contains(string(list.body), "whsec_") {
		t.Fatalf("the list shows credentials: %s", list.body)
	}
	c.do(specCall{method: "GET", path: "/api/v1/systems", bearer: registry, want: 200})
	c.do(specCall{method: "GET", path: "/api/v1/systems", bearer: auditor, want: 403})
	c.do(specCall{method: "GET", path: "/api/v1/systems", want: 401})
	c.do(specCall{method: "GET", path: "/api/v1/systems/" + crmID, bearer: admin, want: 200})
	c.do(specCall{method: "GET", path: "/api/v1/systems/" + crmID, bearer: requestsKey, want: 403})
	c.do(specCall{method: "GET", path: "/api/v1/systems/" + crmID, want: 401})
	c.do(specCall{method: "GET", path: "/api/v1/systems/01950c6e-4f9a-7b8e-9a51-3c2d1e0f4a5b", bearer: admin, want: 404})

	// Changes.
	crmPath := "/api/v1/systems/" + crmID
	rotated := c.do(specCall{method: "PATCH", path: crmPath, bearer: admin, validInput: true, want: 200,
		body: map[string]any{"rotate_secret": true, "request_types": []string{"access", "export", "deletion"}}}).m(t)
	secret, _ := rotated["signing_secret"].(string)
	if secret == "" || secret == crm["signing_secret"] {
		t.Fatalf("rotate_secret: %v", rotated)
	}
	if _, ok := rotated["key"]; ok {
		t.Fatalf("the key was shown without being rotated: %v", rotated)
	}
	rekeyed := c.do(specCall{method: "PATCH", path: "/api/v1/systems/" + archiveID, bearer: registry, validInput: true, want: 200,
		body: map[string]any{"rotate_key": true, "name": "Paper archive (basement)"}}).m(t)
	archiveKey, _ := rekeyed["key"].(string)
	if archiveKey == "" || archiveKey == archive["key"] {
		t.Fatalf("rotate_key: %v", rekeyed)
	}
	disabled := c.do(specCall{method: "PATCH", path: "/api/v1/systems/" + old["id"].(string), bearer: admin, validInput: true, want: 200,
		body: map[string]any{"disabled": true}}).m(t)
	if disabled["disabled_at"] == nil {
		t.Fatalf("disabled: %v", disabled)
	}
	c.do(specCall{method: "PATCH", path: "/api/v1/systems/" + archiveID, bearer: admin, validInput: true, want: 409,
		body: map[string]any{"name": "CRM"}})
	c.do(specCall{method: "PATCH", path: crmPath, bearer: admin, badInput: true, want: 400,
		body: map[string]any{"request_types": []string{}}})
	c.do(specCall{method: "PATCH", path: crmPath, bearer: admin, badInput: true, want: 400,
		body: map[string]any{"request_types": []string{"horoscope"}}})
	c.do(specCall{method: "PATCH", path: crmPath, bearer: admin, badInput: true, want: 400,
		body: map[string]any{"colour": "red"}})
	c.do(specCall{method: "PATCH", path: "/api/v1/systems/01950c6e-4f9a-7b8e-9a51-3c2d1e0f4a5b", bearer: admin, validInput: true, want: 404,
		body: map[string]any{"disabled": true}})
	c.do(specCall{method: "PATCH", path: crmPath, bearer: auditor, want: 403, body: map[string]any{"disabled": true}})
	c.do(specCall{method: "PATCH", path: crmPath, want: 401, body: map[string]any{"disabled": true}})
	c.do(specCall{method: "PATCH", path: crmPath, bearer: admin, want: 413,
		body: map[string]any{"name": strings.Repeat("x", 70*1024)}})

	// An agent's access request, started: a task per enabled system that
	// handles access (not the disabled one).
	req := c.do(specCall{method: "POST", path: "/api/v1/requests/intake", bearer: admin, validInput: true, want: 201,
		body: map[string]any{"type": "access", "email": "kai@example.com", "name": "Kai", "country": "FR", "relationship": "authorized_agent",
			"received_at": "2026-01-30T09:00:00Z", "verified": true}}).m(t)
	id := req["id"].(string)
	actions := "/api/v1/requests/" + id + "/actions"
	started := c.do(specCall{method: "POST", path: actions, bearer: admin, validInput: true, want: 200,
		body: map[string]any{"action": "start"}}).m(t)
	if n := len(started["tasks"].([]any)); n != 2 {
		t.Fatalf("started with %d task(s): %v", n, started["tasks"])
	}
	tasksPath := "/api/v1/requests/" + id + "/tasks"
	var hookTask, manualTask string
	for _, x := range c.do(specCall{method: "GET", path: tasksPath, bearer: auditor, want: 200}).m(t)["items"].([]any) {
		task := x.(map[string]any)
		switch task["system"].(map[string]any)["id"] {
		case crmID:
			hookTask = task["id"].(string)
		case archiveID:
			manualTask = task["id"].(string)
		}
	}
	if hookTask == "" || manualTask == "" {
		t.Fatalf("tasks: hook %q, manual %q", hookTask, manualTask)
	}
	c.do(specCall{method: "GET", path: tasksPath, bearer: requestsKey, want: 403})
	c.do(specCall{method: "GET", path: tasksPath, want: 401})
	c.do(specCall{method: "GET", path: "/api/v1/requests/01950c6e-4f9a-7b8e-9a51-3c2d1e0f4a5b/tasks", bearer: admin, want: 404})
	pending := c.do(specCall{method: "POST", path: actions, bearer: admin, validInput: true, want: 409,
		body: map[string]any{"action": "complete"}}).m(t)
	if code := pending["error"].(map[string]any)["code"]; code != "tasks_pending" {
		t.Fatalf("complete with tasks pending: %v", pending)
	}

	// The job, as the webhook system receives it.
	for {
		n, err := app.Jobs.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	headers, bodies := sink.jobs()
	if len(bodies) != 1 {
		t.Fatalf("the webhook system got %d job(s)", len(bodies))
	}
	checkTaskJob(t, headers[0], bodies[0], secret, app.Clock.Now())
	var job struct {
		TaskID    string `json:"task_id"`
		ResultURL string `json:"result_url"`
	}
	if err := json.Unmarshal(bodies[0], &job); err != nil {
		t.Fatal(err)
	}
	result := "/api/v1/tasks/" + hookTask + "/result"
	if job.TaskID != hookTask || !strings.HasSuffix(job.ResultURL, result) {
		t.Fatalf("job for task %s at %s, want %s", job.TaskID, job.ResultURL, hookTask)
	}
	c.do(specCall{method: "GET", path: tasksPath, bearer: admin, want: 200})

	// Answers, refused.
	done := map[string]any{"status": "done", "reason": "Two tables found.",
		"data": map[string]any{
			"users":  []map[string]any{{"id": 42, "email": "kai@example.com", "name": "Kai", "tags": []string{"vip"}}},
			"orders": []map[string]any{{"id": 7, "total": "12.50"}, {"id": 9, "total": nil}},
		}}
	crmKey := crm["key"].(string)
	c.do(specCall{method: "POST", path: result, validInput: true, want: 401, body: done})
	c.do(specCall{method: "POST", path: result, bearer: "rds_" + strings.Repeat("a", 26), validInput: true, want: 401, body: done})
	c.do(specCall{method: "POST", path: result, bearer: archiveKey, validInput: true, want: 403, body: done})
	c.do(specCall{method: "POST", path: result, bearer: auditor, validInput: true, want: 403, body: done})
	c.do(specCall{method: "POST", path: "/api/v1/tasks/01950c6e-4f9a-7b8e-9a51-3c2d1e0f4a5b/result", bearer: crmKey, validInput: true, want: 404, body: done})
	c.do(specCall{method: "POST", path: result, bearer: crmKey, badInput: true, want: 400, body: map[string]any{"status": "maybe"}})
	c.do(specCall{method: "POST", path: result, bearer: crmKey, badInput: true, want: 400, body: map[string]any{"status": "failed"}})
	c.do(specCall{method: "POST", path: result, bearer: crmKey, badInput: true, want: 400,
		body: map[string]any{"status": "failed", "reason": "No account.", "data": map[string]any{}}})
	c.do(specCall{method: "POST", path: result, bearer: crmKey, badInput: true, want: 400,
		body: map[string]any{"status": "done", "data": map[string]any{"orders": []int{1, 2}}}})
	c.do(specCall{method: "POST", path: result, bearer: crmKey, badInput: true, want: 400,
		body: map[string]any{"status": "done", "data": map[string]any{"a/b": []any{}}}})
	c.do(specCall{method: "POST", path: result, bearer: crmKey, badInput: true, want: 400,
		body: map[string]any{"status": "done", "kept": []map[string]string{{"data": "orders"}}}})
	c.do(specCall{method: "POST", path: result, bearer: crmKey, badInput: true, want: 400,
		body: map[string]any{"status": "done", "colour": "red"}})
	c.do(specCall{method: "POST", path: result, bearer: crmKey, badInput: true, want: 400, body: `{"status":"done"`})
	c.do(specCall{method: "POST", path: result, bearer: crmKey, want: 415, body: `{"status":"done"}`,
		header: map[string]string{"Content-Type": "text/plain"}})

	// The system's answer, then a second one.
	answered := c.do(specCall{method: "POST", path: result, bearer: crmKey, validInput: true, want: 200, body: done}).m(t)
	if answered["status"] != "done" || len(answered["tables"].([]any)) != 2 {
		t.Fatalf("answered: %v", answered)
	}
	again := c.do(specCall{method: "POST", path: result, bearer: crmKey, validInput: true, want: 409,
		body: map[string]any{"status": "failed", "reason": "Changed our mind."}}).m(t)
	if code := again["error"].(map[string]any)["code"]; code != "task_done" {
		t.Fatalf("a second answer: %v", again)
	}

	// Staff tick the manual task: a note is required.
	ticked := "/api/v1/tasks/" + manualTask + "/result"
	c.do(specCall{method: "POST", path: ticked, bearer: requestsKey, validInput: true, want: 400, body: map[string]any{"status": "done"}})
	c.do(specCall{method: "POST", path: ticked, bearer: admin, validInput: true, want: 200,
		body: map[string]any{"status": "done", "note": "Searched the paper archive: nothing is held.",
			"kept": nil, "changed": []map[string]any{{"field": "none", "to": ""}}}})

	// Every task is done; the agent's request waits for staff, who
	// complete it: the package is built.
	c.do(specCall{method: "GET", path: "/api/v1/requests/" + id, bearer: auditor, want: 200})
	completed := c.do(specCall{method: "POST", path: actions, bearer: admin, validInput: true, want: 200,
		body: map[string]any{"action": "complete", "note": "Authority checked."}}).m(t)
	if completed["status"] != "completed" || completed["package"] == nil {
		t.Fatalf("completed: %v", completed)
	}

	// The requester downloads it from the completion email's link.
	app.Deliver()
	_, token := apptest.LinkIn(t, app.LastEmail("r").Text, "r")
	c.do(specCall{method: "GET", path: "/r/" + token, want: 200})
	zip := c.do(specCall{method: "GET", path: "/r/" + token + "/package", want: 200})
	if !strings.HasPrefix(string(zip.body), "PK") {
		t.Fatalf("not a ZIP: %.40q", zip.body)
	}
	c.do(specCall{method: "GET", path: "/r/" + token + "/package", header: map[string]string{"Range": "bytes=0-1"}, want: 206})
	detail := c.do(specCall{method: "GET", path: "/api/v1/requests/" + id, bearer: admin, want: 200}).m(t)
	if n := detail["package"].(map[string]any)["downloads"]; n != float64(2) {
		t.Fatalf("downloads: %v", n)
	}
	c.do(specCall{method: "GET", path: "/r/AAAAAAAAAAAAAAAAAAAAAAAAAA/package", want: 404})

	// A request without a package.
	other := c.do(specCall{method: "POST", path: "/api/v1/requests/intake", bearer: admin, validInput: true, want: 201,
		body: map[string]any{"type": "deletion", "email": "noor@example.com", "country": "FR",
			"received_at": "2026-01-30T09:00:00Z", "verified": true}}).m(t)
	app.Deliver()
	received := app.LastEmail("r")
	if !strings.Contains(received.Text, other["reference"].(string)) {
		t.Fatalf("the newest status link is not of %s:\n%s", other["reference"], received.Text)
	}
	_, otherToken := apptest.LinkIn(t, received.Text, "r")
	c.do(specCall{method: "GET", path: "/r/" + otherToken + "/package", want: 404})

	// Seven days on, the package has expired.
	app.Clock.Add(fulfilment.PackageTTL + time.Minute)
	c.do(specCall{method: "GET", path: "/r/" + token + "/package", want: 410})
}

// checkTaskJob checks a job a webhook system received against the spec's
// taskJob webhook: its headers, its signature (with the system's current
// secret) and its body.
func checkTaskJob(t *testing.T, h http.Header, body []byte, secret string, now time.Time) {
	t.Helper()
	doc := loadSpec(t)
	hook := doc.Webhooks["taskJob"]
	if hook == nil || hook.Post == nil {
		t.Fatal("the spec has no taskJob webhook")
	}
	opts := []openapi3.SchemaValidationOption{openapi3.EnableJSONSchema2020(),
		openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562))}
	for _, p := range hook.Post.Parameters {
		if p.Value.In != "header" {
			continue
		}
		v := h.Get(p.Value.Name)
		if v == "" {
			if p.Value.Required {
				t.Errorf("a job came without the header %s", p.Value.Name)
			}
			continue
		}
		if err := p.Value.Schema.Value.VisitJSON(v, opts...); err != nil {
			t.Errorf("a job's header %s: %q does not match the spec: %v", p.Value.Name, v, err)
		}
	}
	if err := webhooks.Verify(h.Get(webhooks.SignatureHeader), body, secret, now, 5*time.Minute); err != nil {
		t.Errorf("a job's signature does not verify with the system's signing secret: %v", err)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	if h.Get("Rightsdesk-Job") != v.(map[string]any)["job_id"] {
		t.Errorf("Rightsdesk-Job %q is not the body's job_id", h.Get("Rightsdesk-Job"))
	}
	schema := hook.Post.RequestBody.Value.Content.Get("application/json").Schema.Value
	if err := schema.VisitJSON(v, opts...); err != nil {
		t.Errorf("a task.job body does not match the spec's TaskJob: %v\n%s", err, body)
	}
}
