package handlers_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

// An admin adds an endpoint in the console, sees its secret once, sees its
// deliveries counted, and disables it.
func TestConsoleWebhooks(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	consoleStaff(t, app, "admin@example.com", models.RoleAdmin)
	cc := newConsoleClient(t, app)
	cc.login("admin@example.com")
	host := newWebhookHost(t)

	page := cc.get("/admin/webhooks")
	if page.Status != 200 || consoleSel(page, "#no-webhooks") == "" || page.Doc.Find("#nav-webhooks[aria-current]").Length() != 1 {
		t.Fatalf("empty page: %d %s", page.Status, consoleText(page))
	}
	consoleAccessible(t, "webhooks", page)
	if p := cc.post("/admin/webhooks", url.Values{"url": {"ftp://example.com/"}, "description": {"CRM"}}); p.Status != 422 ||
		consoleSel(p, "#webhook-url-error") == "" || p.Doc.Find(`#webhook-description`).AttrOr("value", "") != "CRM" {
		t.Fatalf("bad URL: %d %s", p.Status, consoleText(p))
	}
	if p := cc.postRaw("/admin/webhooks", url.Values{"url": {host.URL}}); p.Status != 403 {
		t.Fatalf("without a CSRF token: %d", p.Status)
	}

	created := cc.post("/admin/webhooks", url.Values{"url": {host.URL + "/hooks"}, "description": {"CRM"}})
	secret := consoleSel(created, "#new-webhook-secret")
	if created.Status != 200 || !strings.HasPrefix(secret, "whsec_") || consoleSel(created, "#created-webhook-url") != host.URL+"/hooks" {
		t.Fatalf("create: %d %s", created.Status, consoleText(created))
	}
	consoleAccessible(t, "webhook created", created)

	// A change reaches it, signed with the secret the page showed.
	key, _, err := app.Staff.CreateAPIKey(ctx, "app", []string{models.ScopeConsentsWrite}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if r := app.Do("POST", "/api/v1/consents", map[string]any{"email": "ana@example.com", "purpose": "analytics", "action": "grant", "source": "web_form"}, key); r.Status != 201 {
		t.Fatalf("record consent: %d %s", r.Status, r.Body)
	}
	sendWebhooks(t, app)
	got, bodies := host.requests()
	if len(got) != 1 || webhooks.Verify(got[0].Header.Get("Rightsdesk-Signature"), []byte(bodies[0]), secret, app.Clock.Now(), time.Minute) != nil {
		t.Fatalf("host got %d requests, or the signature does not verify", len(got))
	}

	list := cc.get("/admin/webhooks")
	if strings.Contains(list.Body, secret) {
		t.Fatal("the secret is shown again")
	}
	row := list.Doc.Find(`#webhooks-table tr[data-url="` + host.URL + `/hooks"]`)
	if row.Length() != 1 || consoleSel(list, "#webhooks-table .webhook-delivered") == "" || !strings.HasPrefix(consoleSel(list, "#webhooks-table .webhook-delivered"), "1") ||
		!strings.Contains(row.Text(), "CRM") || !strings.Contains(row.Text(), "admin@example.com") || !strings.Contains(row.Text(), "Active") {
		t.Fatalf("row: %q", row.Text())
	}

	// Disable: the pending delivery is cancelled, the host hears no more.
	if r := app.Do("POST", "/api/v1/consents", map[string]any{"email": "ana@example.com", "purpose": "analytics", "action": "withdraw", "source": "web_form"}, key); r.Status != 201 {
		t.Fatalf("record consent: %d %s", r.Status, r.Body)
	}
	if n := consoleSel(cc.get("/admin/webhooks"), "#webhooks-table .webhook-pending"); n != "1" {
		t.Fatalf("pending: %q", n)
	}
	id, _ := row.Attr("data-id")
	p := cc.post("/admin/webhooks/"+id+"/disable", nil)
	after := cc.follow(p)
	if !strings.Contains(consoleSel(after, "#webhook-done"), "disabled") {
		t.Fatalf("after disabling: %s", consoleText(after))
	}
	row = after.Doc.Find(`#webhooks-table tr[data-id="` + id + `"]`)
	if !strings.Contains(row.Text(), "Disabled") || row.Find("button").Length() != 0 || consoleSel(after, "#webhooks-table .webhook-pending") != "0" {
		t.Fatalf("disabled row: %q", row.Text())
	}
	sendWebhooks(t, app)
	if got, _ := host.requests(); len(got) != 1 {
		t.Fatalf("a disabled endpoint got %d requests", len(got))
	}
	if p := cc.post("/admin/webhooks/0195a000-0000-7000-8000-00000000ffff/disable", nil); p.Status != 404 {
		t.Fatalf("unknown endpoint: %d", p.Status)
	}
}

// Only admins reach the page (the roles table walks every role too).
func TestConsoleWebhooksAdminsOnly(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	consoleStaff(t, app, "agent@example.com", models.RoleAgent)
	cc := newConsoleClient(t, app)
	cc.login("agent@example.com")
	if p := cc.get("/admin/webhooks"); p.Status != 403 {
		t.Fatalf("agent: %d", p.Status)
	}
	if p := cc.post("/admin/webhooks", url.Values{"url": {"https://example.com/"}}); p.Status != 403 {
		t.Fatalf("agent post: %d", p.Status)
	}
	if eps, _ := app.WebhookService.Endpoints(context.Background()); len(eps) != 0 {
		t.Fatal("an agent added an endpoint")
	}
}
