package handlers_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/models"
)

// exerciseWebhooks calls the webhook endpoints' API with good and bad
// input and credentials, and checks that what a host is sent matches the
// spec's consentChanged webhook.
func exerciseWebhooks(t *testing.T, c *specChecker, app *apptest.App, admin, auditor, requestsKey string) {
	t.Helper()
	ctx := context.Background()
	systems, _, err := app.Staff.CreateAPIKey(ctx, "wiring", []string{models.ScopeSystems}, "test")
	if err != nil {
		t.Fatal(err)
	}
	host := newWebhookHost(t)
	created := c.do(specCall{method: "POST", path: "/api/v1/webhooks", bearer: admin, validInput: true, want: 201,
		body: map[string]any{"url": host.URL + "/hooks", "description": "CRM"}}).m(t)
	c.do(specCall{method: "POST", path: "/api/v1/webhooks", bearer: systems, validInput: true, want: 201,
		body: map[string]any{"url": "http://10.0.0.7:8080/rightsdesk"}})
	c.do(specCall{method: "POST", path: "/api/v1/webhooks", bearer: admin, want: 400,
		body: map[string]any{"url": "ftp://example.com/"}})
	c.do(specCall{method: "POST", path: "/api/v1/webhooks", bearer: admin, badInput: true, want: 400,
		body: map[string]any{"url": "https://example.com/", "secret": "mine"}})
	c.do(specCall{method: "POST", path: "/api/v1/webhooks", bearer: admin, badInput: true, want: 400, body: map[string]any{}})
	c.do(specCall{method: "POST", path: "/api/v1/webhooks", bearer: auditor, want: 403, body: map[string]any{"url": "https://example.com/"}})
	c.do(specCall{method: "POST", path: "/api/v1/webhooks", bearer: requestsKey, want: 403, body: map[string]any{"url": "https://example.com/"}})
	c.do(specCall{method: "POST", path: "/api/v1/webhooks", want: 401, body: map[string]any{"url": "https://example.com/"}})

	// A consent change, as the host receives it.
	writer, _, err := app.Staff.CreateAPIKey(ctx, "app", []string{models.ScopeConsentsWrite}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if r := app.Do("POST", "/api/v1/consents", map[string]any{"email": "ana@example.com", "subject_id": "u-1", "purpose": "marketing",
		"action": "withdraw", "source": "api", "evidence": "settings page"}, writer); r.Status != 201 {
		t.Fatalf("record consent: %d %s", r.Status, r.Body)
	}
	sendWebhooks(t, app)
	_, bodies := host.requests()
	if len(bodies) == 0 {
		t.Fatal("the host got nothing")
	}
	var body any
	if err := json.Unmarshal([]byte(bodies[len(bodies)-1]), &body); err != nil {
		t.Fatal(err)
	}
	if err := loadSpec(t).Components.Schemas["ConsentChanged"].Value.VisitJSON(body); err != nil {
		t.Errorf("a consent.changed body does not match the spec's ConsentChanged: %v\n%s", err, bodies[len(bodies)-1])
	}

	c.do(specCall{method: "GET", path: "/api/v1/webhooks", bearer: admin, want: 200})
	c.do(specCall{method: "GET", path: "/api/v1/webhooks", bearer: systems, want: 200})
	c.do(specCall{method: "GET", path: "/api/v1/webhooks", bearer: auditor, want: 403})
	c.do(specCall{method: "GET", path: "/api/v1/webhooks", want: 401})

	id := created["id"].(string)
	c.do(specCall{method: "DELETE", path: "/api/v1/webhooks/" + id, bearer: auditor, want: 403})
	c.do(specCall{method: "DELETE", path: "/api/v1/webhooks/" + id, want: 401})
	c.do(specCall{method: "DELETE", path: "/api/v1/webhooks/" + id, bearer: admin, want: 204})
	c.do(specCall{method: "DELETE", path: "/api/v1/webhooks/" + id, bearer: systems, want: 204})
	c.do(specCall{method: "DELETE", path: "/api/v1/webhooks/0195a000-0000-7000-8000-00000000ffff", bearer: admin, want: 404})
	// Listed again: disabled, with a failure-free history.
	c.do(specCall{method: "GET", path: "/api/v1/webhooks", bearer: admin, want: 200})
}
