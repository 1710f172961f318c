package handlers_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/fulfilment"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// An admin registers a webhook system and a manual one in the console,
// sees each one's credentials once, rotates them, and disables and enables
// a system.
func TestConsoleSystems(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	consoleStaff(t, app, "admin@example.com", models.RoleAdmin)
	cc := newConsoleClient(t, app)
	cc.login("admin@example.com")

	page := cc.get("/admin/systems")
	if page.Status != 200 || consoleSel(page, "#no-systems") == "" ||
		page.Doc.Find(`#system-create-form input[name="request_types"]`).Length() != len(app.Policy.RequestTypes) ||
		page.Doc.Find(`#system-kind-webhook[checked]`).Length() != 1 {
		t.Fatalf("empty page: %d %s", page.Status, consoleText(page))
	}
	consoleAccessible(t, "systems", page)

	// Bad input: the form comes back with the error by the field.
	bad := cc.post("/admin/systems", url.Values{"name": {"CRM"}, "request_types": {"access", "deletion"}, "kind": {"webhook"}, "webhook_url": {"ftp://crm.internal/jobs"}})
	if bad.Status != 422 || !strings.Contains(consoleSel(bad, "#system-webhook-url-error"), "http or https") ||
		bad.Doc.Find(`#system-name`).AttrOr("value", "") != "CRM" || bad.Doc.Find(`#system-type-deletion[checked]`).Length() != 1 ||
		bad.Doc.Find(`#system-type-export[checked]`).Length() != 0 || bad.Doc.Find(`#system-error a[href="#system-webhook-url"]`).Length() != 1 {
		t.Fatalf("bad URL: %d %s", bad.Status, consoleText(bad))
	}
	consoleAccessible(t, "systems with an error", bad)
	if p := cc.post("/admin/systems", url.Values{"name": {"CRM"}, "kind": {"webhook"}, "webhook_url": {"https://crm.internal/jobs"}}); p.Status != 422 ||
		consoleSel(p, "#system-types-error") == "" {
		t.Fatalf("no request type: %d %s", p.Status, consoleText(p))
	}
	if p := cc.post("/admin/systems", url.Values{"name": {"CRM"}, "request_types": {"access"}, "kind": {"webhook"}}); p.Status != 422 ||
		!strings.Contains(consoleSel(p, "#system-webhook-url-error"), "required") {
		t.Fatalf("no URL: %d %s", p.Status, consoleText(p))
	}
	if p := cc.postRaw("/admin/systems", url.Values{"name": {"CRM"}, "request_types": {"access"}, "webhook_url": {"https://crm.internal/jobs"}}); p.Status != 403 {
		t.Fatalf("without a CSRF token: %d", p.Status)
	}
	if list, _ := app.Fulfilment.Systems(ctx); len(list) != 0 {
		t.Fatalf("refused posts registered %d systems", len(list))
	}

	// A webhook system: its signing secret and key, once.
	created := cc.post("/admin/systems", url.Values{"name": {"CRM"}, "request_types": {"access", "deletion"}, "kind": {"webhook"}, "webhook_url": {"https://crm.internal/jobs"}})
	secret, key := consoleSel(created, "#new-system-secret"), consoleSel(created, "#new-system-key")
	if created.Status != 200 || !strings.HasPrefix(secret, "whsec_") || !strings.HasPrefix(key, fulfilment.SystemKeyPrefix) ||
		consoleSel(created, "#created-system-name") != "CRM" || consoleSel(created, "#created-system-url") != "https://crm.internal/jobs" ||
		!strings.Contains(consoleSel(created, "#secret-warning"), "only time") {
		t.Fatalf("create: %d %s", created.Status, consoleText(created))
	}
	consoleAccessible(t, "system created", created)
	d, err := app.Fulfilment.SystemByKey(ctx, key)
	if err != nil || d.Name != "CRM" || app.Fulfilment.SigningSecret(d) != secret || d.CreatedBy != "admin@example.com" {
		t.Fatalf("the key shown is not the system's: %v %+v", err, d)
	}

	list := cc.get("/admin/systems")
	if strings.Contains(list.Body, secret) || strings.Contains(list.Body, key) {
		t.Fatal("the list shows a secret or a key again")
	}
	row := list.Doc.Find(`#systems-table tr.system-row[data-name="CRM"]`)
	if row.Length() != 1 || row.AttrOr("data-id", "") != d.ID || row.AttrOr("data-status", "") != "active" ||
		!strings.Contains(row.Find(".system-types").Text(), "access, deletion") || row.Find(".system-delivery code").Text() != "https://crm.internal/jobs" ||
		!strings.HasPrefix(row.Find(".system-key").Text(), d.KeyPrefix) || !strings.Contains(row.Text(), "admin@example.com") {
		t.Fatalf("row: %q", row.Text())
	}
	consoleAccessible(t, "systems list", list)

	// The name is taken.
	if p := cc.post("/admin/systems", url.Values{"name": {"CRM"}, "request_types": {"export"}, "kind": {"manual"}}); p.Status != 422 ||
		!strings.Contains(consoleSel(p, "#system-name-error"), "Another system") || p.Doc.Find(`#system-kind-manual[checked]`).Length() != 1 {
		t.Fatalf("duplicate name: %d %s", p.Status, consoleText(p))
	}

	// Rotate the key: a new one, once; the old one stops working.
	rot := cc.post("/admin/systems/"+d.ID+"/rotate-key", nil)
	newKey := consoleSel(rot, "#new-system-key")
	if rot.Status != 200 || !strings.HasPrefix(newKey, fulfilment.SystemKeyPrefix) || newKey == key || consoleSel(rot, "#new-system-secret") != "" {
		t.Fatalf("rotate key: %d %s", rot.Status, consoleText(rot))
	}
	consoleAccessible(t, "key rotated", rot)
	if _, err := app.Fulfilment.SystemByKey(ctx, key); err == nil {
		t.Fatal("the old key still works")
	}
	if got, err := app.Fulfilment.SystemByKey(ctx, newKey); err != nil || got.ID != d.ID {
		t.Fatalf("the new key: %v", err)
	}
	if strings.Contains(cc.get("/admin/systems").Body, newKey) {
		t.Fatal("the list shows the new key")
	}

	// Rotate the signing secret.
	rot = cc.post("/admin/systems/"+d.ID+"/rotate-secret", nil)
	newSecret := consoleSel(rot, "#new-system-secret")
	if rot.Status != 200 || !strings.HasPrefix(newSecret, "whsec_") || newSecret == secret || consoleSel(rot, "#new-system-key") != "" {
		t.Fatalf("rotate secret: %d %s", rot.Status, consoleText(rot))
	}
	if d, _ = app.Fulfilment.System(ctx, d.ID); app.Fulfilment.SigningSecret(d) != newSecret {
		t.Fatal("the secret shown is not the system's")
	}

	// A manual system: a key and no signing secret, nor a button to rotate one.
	manual := cc.post("/admin/systems", url.Values{"name": {"Billing ledger"}, "request_types": {"deletion"}, "kind": {"manual"}, "webhook_url": {"https://ignored.example/"}})
	if manual.Status != 200 || manual.Doc.Find("#new-system-secret").Length() != 0 || !strings.HasPrefix(consoleSel(manual, "#new-system-key"), fulfilment.SystemKeyPrefix) {
		t.Fatalf("manual: %d %s", manual.Status, consoleText(manual))
	}
	list = cc.get("/admin/systems")
	mrow := list.Doc.Find(`#systems-table tr.system-row[data-name="Billing ledger"]`)
	mid := mrow.AttrOr("data-id", "")
	if mrow.AttrOr("data-kind", "") != "manual" || !strings.Contains(mrow.Find(".system-delivery").Text(), "Manual") ||
		list.Doc.Find("#rotate-secret-"+mid).Length() != 0 || list.Doc.Find("#rotate-key-"+mid).Length() != 1 {
		t.Fatalf("manual row: %q", mrow.Text())
	}
	if p := cc.post("/admin/systems/"+mid+"/rotate-secret", nil); p.Status != 409 {
		t.Fatalf("rotate a manual system's secret: %d", p.Status)
	}

	// Disable, then enable.
	after := cc.follow(cc.post("/admin/systems/"+d.ID+"/disable", nil))
	row = after.Doc.Find(`#systems-table tr[data-id="` + d.ID + `"]`)
	if !strings.Contains(consoleSel(after, "#flash"), "disabled") || row.AttrOr("data-status", "") != "disabled" ||
		!strings.Contains(row.Text(), "Disabled") || after.Doc.Find("#enable-system-"+d.ID).Length() != 1 {
		t.Fatalf("after disabling: %s", consoleText(after))
	}
	if got, _ := app.Fulfilment.System(ctx, d.ID); got.DisabledAt == nil {
		t.Fatal("not disabled")
	}
	after = cc.follow(cc.post("/admin/systems/"+d.ID+"/enable", nil))
	if !strings.Contains(consoleSel(after, "#flash"), "enabled") || after.Doc.Find(`#systems-table tr[data-id="`+d.ID+`"]`).AttrOr("data-status", "") != "active" {
		t.Fatalf("after enabling: %s", consoleText(after))
	}
	if p := cc.post("/admin/systems/0195a000-0000-7000-8000-00000000ffff/disable", nil); p.Status != 404 {
		t.Fatalf("unknown system: %d", p.Status)
	}
}

// Only admins reach the systems page and its posts.
func TestConsoleSystemsAdminsOnly(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	d, _, err := app.Fulfilment.CreateSystem(ctx, "test", fulfilment.SystemInput{Name: "CRM", RequestTypes: []string{"access"}, Manual: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{models.RoleAgent, models.RoleGrievanceOfficer, models.RoleAuditor} {
		consoleStaff(t, app, role+"@example.com", role)
		cc := newConsoleClient(t, app)
		cc.login(role + "@example.com")
		if p := cc.get("/admin/systems"); p.Status != 403 {
			t.Fatalf("%s: %d", role, p.Status)
		}
		if p := cc.get("/admin/requests"); p.Doc.Find("#nav-systems").Length() != 0 {
			t.Fatalf("%s sees the systems link", role)
		}
		if p := cc.post("/admin/systems", url.Values{"name": {"Other"}, "request_types": {"access"}, "kind": {"manual"}}); p.Status != 403 {
			t.Fatalf("%s post: %d", role, p.Status)
		}
		for _, action := range []string{"disable", "rotate-key"} {
			if p := cc.post("/admin/systems/"+d.ID+"/"+action, nil); p.Status != 403 {
				t.Fatalf("%s %s: %d", role, action, p.Status)
			}
		}
	}
	list, _ := app.Fulfilment.Systems(ctx)
	if got, _ := app.Fulfilment.System(ctx, d.ID); len(list) != 1 || got.DisabledAt != nil || got.KeyHash != d.KeyHash {
		t.Fatal("a refused post changed the systems")
	}
}

// consoleStartedRequest submits a verified request of type typ and starts
// it, which makes its tasks.
func consoleStartedRequest(t *testing.T, app *apptest.App, typ, email string) string {
	t.Helper()
	ctx := context.Background()
	staffActor := requests.Actor{Kind: "staff", Name: "admin@example.com", Role: models.RoleAdmin}
	r, err := app.Requests.SubmitForRequester(ctx, staffActor, requests.StaffInput{
		Input: requests.Input{Type: typ, Email: email}, ReceivedAt: app.Clock.Now().Add(-time.Hour), Verified: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Requests.Act(ctx, staffActor, r.ID, requests.ActionInput{Action: "start"}); err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// A manual system's task on the request page: listed, refused without a
// note, not completable without a reason, and recorded by a worker (the
// request then completes itself); an auditor sees no form.
func TestConsoleTasks(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	consoleStaff(t, app, "admin@example.com", models.RoleAdmin)
	consoleStaff(t, app, "agent@example.com", models.RoleAgent)
	consoleStaff(t, app, "auditor@example.com", models.RoleAuditor)
	if _, _, err := app.Fulfilment.CreateSystem(ctx, "test", fulfilment.SystemInput{Name: "Billing ledger", RequestTypes: []string{"deletion"}, Manual: true}); err != nil {
		t.Fatal(err)
	}
	// Not started yet: no tasks.
	staffActor := requests.Actor{Kind: "staff", Name: "admin@example.com", Role: models.RoleAdmin}
	open, err := app.Requests.SubmitForRequester(ctx, staffActor, requests.StaffInput{
		Input: requests.Input{Type: "deletion", Email: "later@example.com"}, ReceivedAt: app.Clock.Now().Add(-time.Hour), Verified: true})
	if err != nil {
		t.Fatal(err)
	}
	id := consoleStartedRequest(t, app, "deletion", "ana@example.com")
	det, err := app.Requests.Get(ctx, id)
	if err != nil || len(det.Tasks) != 1 {
		t.Fatalf("tasks: %v %d", err, len(det.Tasks))
	}
	task := det.Tasks[0]
	path := "/admin/requests/" + id

	cc := newConsoleClient(t, app)
	cc.login("agent@example.com")
	if p := cc.get("/admin/requests/" + open.ID); p.Doc.Find("#no-tasks").Length() != 1 || p.Doc.Find("li.task").Length() != 0 {
		t.Fatalf("a request not started: %s", consoleText(p))
	}
	p := cc.get(path)
	li := p.Doc.Find("#task-" + task.ID)
	if p.Status != 200 || p.Doc.Find("#no-tasks").Length() != 0 || li.AttrOr("data-system", "") != "Billing ledger" ||
		li.AttrOr("data-status", "") != "pending" || li.AttrOr("data-kind", "") != "manual" ||
		!strings.Contains(li.Find(".task-kind").Text(), "Manual") || p.Doc.Find("#task-form-"+task.ID).Length() != 1 ||
		p.Doc.Find("#task-"+task.ID+"-status-done[checked]").Length() != 1 {
		t.Fatalf("task on the page: %d %s", p.Status, consoleText(p))
	}
	if !strings.Contains(p.Doc.Find(`label[for="complete-reason"]`).Text(), "Override: why complete with tasks not done") {
		t.Fatalf("complete's reason label: %q", p.Doc.Find(`label[for="complete-reason"]`).Text())
	}
	consoleAccessible(t, "request with a task", p)
	resultPath := path + "/tasks/" + task.ID + "/result"

	// Without a note: refused, nothing changes.
	p = cc.post(resultPath, url.Values{"status": {"done"}, "note": {"  "}})
	if p.Status != 422 || !strings.Contains(consoleSel(p, "#task-"+task.ID+"-note-error"), "required") ||
		p.Doc.Find(`#task-error a[href="#task-`+task.ID+`-note"]`).Length() != 1 {
		t.Fatalf("no note: %d %s", p.Status, consoleText(p))
	}
	consoleAccessible(t, "task without a note", p)
	if p := cc.post(resultPath, url.Values{"note": {"Deleted."}}); p.Status != 422 || consoleSel(p, "#task-"+task.ID+"-status-error") == "" ||
		consoleSel(p, "#task-"+task.ID+"-note") != "Deleted." {
		t.Fatalf("no status: %d %s", p.Status, consoleText(p))
	}
	if d, _ := app.Requests.Get(ctx, id); d.Tasks[0].Status != models.TaskPending || d.Tasks[0].AnsweredAt != nil {
		t.Fatalf("a refused result changed the task: %+v", d.Tasks[0])
	}

	// Completing with the task pending and no reason: the tasks_pending
	// message on the complete form, and the request stays in progress.
	version := p.Doc.Find(`#action-complete input[name="version"]`).AttrOr("value", "")
	p = consoleAct(cc, id, url.Values{"action": {"complete"}, "version": {version}})
	if p.Status != 409 || !strings.Contains(consoleSel(p, "#action-error"), "tasks pending") ||
		!strings.Contains(consoleSel(p, "#complete-reason-error"), "task is not done") || p.Doc.Find(`#action-error a[href="#complete-reason"]`).Length() != 1 {
		t.Fatalf("complete with a task pending: %d %s", p.Status, consoleText(p))
	}
	if r, _ := app.Store.GetRequest(ctx, id); r.Status != "in_progress" {
		t.Fatalf("status after a refused complete: %s", r.Status)
	}

	// An auditor sees the task but no form; a post is refused.
	ac := newConsoleClient(t, app)
	ac.login("auditor@example.com")
	ap := ac.get(path)
	if ap.Doc.Find("#task-"+task.ID).Length() != 1 || ap.Doc.Find("form.task-form").Length() != 0 {
		t.Fatalf("auditor: %s", consoleText(ap))
	}
	if p := ac.post(resultPath, url.Values{"status": {"done"}, "note": {"Deleted."}}); p.Status != 403 {
		t.Fatalf("auditor post: %d", p.Status)
	}
	// A task of another request is not this request's.
	if p := cc.post("/admin/requests/"+open.ID+"/tasks/"+task.ID+"/result", url.Values{"status": {"done"}, "note": {"Deleted."}}); p.Status != 404 {
		t.Fatalf("task of another request: %d", p.Status)
	}

	// With a note: done; the last task done, the request completes itself.
	p = cc.post(resultPath, url.Values{"status": {"done"}, "note": {"Deleted the account and its invoices."}})
	if p.Status != 303 || !strings.HasPrefix(p.Header.Get("Location"), path) {
		t.Fatalf("record: %d %s", p.Status, consoleText(p))
	}
	after := cc.follow(p)
	if !strings.Contains(consoleSel(after, "#flash"), "done") {
		t.Fatalf("flash: %s", consoleText(after))
	}
	d, err := app.Requests.Get(ctx, id)
	if err != nil || d.Tasks[0].Status != models.TaskDone || d.Tasks[0].Note != "Deleted the account and its invoices." ||
		d.Tasks[0].AnsweredBy != "staff:agent@example.com" {
		t.Fatalf("task after recording: %v %+v", err, d.Tasks[0])
	}
	li = after.Doc.Find("#task-" + task.ID)
	if li.AttrOr("data-status", "") != "done" || !strings.Contains(li.Find(".task-note").Text(), "Deleted the account") ||
		!strings.Contains(li.Find(".task-answered").Text(), "agent@example.com") || after.Doc.Find("#task-form-"+task.ID).Length() != 0 {
		t.Fatalf("done task: %q", li.Text())
	}
	if d.Request.Status != "completed" || !strings.Contains(consoleSel(after, "#flash"), "completed") || consoleSel(after, "#fact-status") != "completed" {
		t.Fatalf("the request did not complete itself, or the flash does not say so: %s %q", d.Request.Status, consoleSel(after, "#flash"))
	}
	// A second answer is refused.
	if p := cc.post(resultPath, url.Values{"status": {"failed"}, "note": {"Again."}}); p.Status != 409 || !strings.Contains(consoleSel(p, "#task-error"), "done already") {
		t.Fatalf("second answer: %d %s", p.Status, consoleText(p))
	}
}

// A failed task stays open for another answer; an access request's last
// done task builds its package, which the page describes.
func TestConsoleTaskFailedThenPackage(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	consoleStaff(t, app, "agent@example.com", models.RoleAgent)
	if _, _, err := app.Fulfilment.CreateSystem(ctx, "test", fulfilment.SystemInput{Name: "Support desk", RequestTypes: []string{"access"}, Manual: true}); err != nil {
		t.Fatal(err)
	}
	id := consoleStartedRequest(t, app, "access", "ana@example.com")
	det, _ := app.Requests.Get(ctx, id)
	task := det.Tasks[0]
	cc := newConsoleClient(t, app)
	cc.login("agent@example.com")
	resultPath := "/admin/requests/" + id + "/tasks/" + task.ID + "/result"

	after := cc.follow(cc.post(resultPath, url.Values{"status": {"failed"}, "note": {"The desk was down."}}))
	li := after.Doc.Find("#task-" + task.ID)
	if !strings.Contains(consoleSel(after, "#flash"), "failed") || li.AttrOr("data-status", "") != "failed" ||
		after.Doc.Find("#task-form-"+task.ID).Length() != 1 || after.Doc.Find("#package").Length() != 0 {
		t.Fatalf("failed: %s", consoleText(after))
	}
	after = cc.follow(cc.post(resultPath, url.Values{"status": {"done"}, "note": {"Exported the tickets."}}))
	d, _ := app.Requests.Get(ctx, id)
	if d.Tasks[0].Status != models.TaskDone {
		t.Fatalf("task: %+v", d.Tasks[0])
	}
	if d.Package == nil {
		t.Fatalf("no package was built (request %s)", d.Request.Status)
	}
	if !strings.Contains(consoleSel(after, "#package-size"), "bytes") && !strings.Contains(consoleSel(after, "#package-size"), "KiB") ||
		!strings.HasPrefix(d.Package.SHA256, strings.TrimSuffix(consoleSel(after, "#package-sha256"), "…")) ||
		!strings.Contains(consoleSel(after, "#package-downloads"), "0 downloads") || !strings.Contains(consoleSel(after, "#package-expiry"), "expires") {
		t.Fatalf("package line: %q", consoleSel(after, "#package"))
	}
	consoleAccessible(t, "request with a package", after)
}
