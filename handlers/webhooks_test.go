package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

// webhookHost is a host application that records what it is sent.
type webhookHost struct {
	*httptest.Server
	mu   sync.Mutex
	got  []*http.Request
	body []string
}

func newWebhookHost(t *testing.T) *webhookHost {
	h := &webhookHost{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got, h.body = append(h.got, r), append(h.body, string(b))
		h.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *webhookHost) requests() ([]*http.Request, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*http.Request(nil), h.got...), append([]string(nil), h.body...)
}

// sendWebhooks runs the webhook dispatcher until nothing is due.
func sendWebhooks(t *testing.T, app *apptest.App) {
	t.Helper()
	for {
		n, err := app.Webhooks.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// An admin registers an endpoint through the API, a consent change reaches
// it signed with the secret shown once, and the list never shows the
// secret. Disabling it cancels what it has not received.
func TestWebhooksAPI(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	admin := app.StaffToken("admin@example.com", models.RoleAdmin)
	host := newWebhookHost(t)

	r := app.Do("POST", "/api/v1/webhooks", map[string]any{"url": host.URL + "/hooks", "description": "CRM"}, admin)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var created struct {
		ID            string    `json:"id"`
		URL           string    `json:"url"`
		Description   string    `json:"description"`
		CreatedAt     time.Time `json:"created_at"`
		SigningSecret string    `json:"signing_secret"`
	}
	var raw map[string]any
	r.JSON(t, &raw)
	r.JSON(t, &created)
	if created.ID == "" || created.URL != host.URL+"/hooks" || created.Description != "CRM" || !strings.HasPrefix(created.SigningSecret, "whsec_") || created.CreatedAt.IsZero() || len(raw) != 5 {
		t.Fatalf("created: %s", r.Body)
	}

	// A consent change, recorded by a host through the API, is delivered.
	key, _, err := app.Staff.CreateAPIKey(ctx, "app", []string{models.ScopeConsentsWrite}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if r := app.Do("POST", "/api/v1/consents", map[string]any{"email": "ana@example.com", "purpose": "marketing", "action": "withdraw", "source": "api"}, key); r.Status != http.StatusCreated {
		t.Fatalf("record consent: %d %s", r.Status, r.Body)
	}
	sendWebhooks(t, app)
	got, bodies := host.requests()
	if len(got) != 1 {
		t.Fatalf("host got %d requests", len(got))
	}
	if err := webhooks.Verify(got[0].Header.Get("Rightsdesk-Signature"), []byte(bodies[0]), created.SigningSecret, app.Clock.Now(), 5*time.Minute); err != nil {
		t.Fatalf("the delivery does not verify with the secret shown: %v", err)
	}
	var env struct {
		ID, Type string
		Data     map[string]any
	}
	if err := json.Unmarshal([]byte(bodies[0]), &env); err != nil || env.Type != "consent.changed" || env.Data["purpose"] != "marketing" || env.Data["granted"] != false {
		t.Fatalf("body %s: %v", bodies[0], err)
	}

	// The list: counts, and never the secret.
	r = app.Do("GET", "/api/v1/webhooks", nil, admin)
	if r.Status != 200 || strings.Contains(string(r.Body), created.SigningSecret) || strings.Contains(string(r.Body), "signing_secret") {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	var list struct{ Items []map[string]any }
	r.JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0]["id"] != created.ID || list.Items[0]["delivered"] != 1.0 || list.Items[0]["pending"] != 0.0 ||
		list.Items[0]["created_by"] != "admin@example.com" || list.Items[0]["disabled_at"] != nil || list.Items[0]["last_delivered_at"] == nil {
		t.Fatalf("list: %s", r.Body)
	}

	// Disabled: its pending delivery is cancelled and it gets nothing more.
	if r := app.Do("POST", "/api/v1/consents", map[string]any{"email": "ana@example.com", "purpose": "marketing", "action": "grant", "source": "api"}, key); r.Status != http.StatusCreated {
		t.Fatalf("record consent: %d %s", r.Status, r.Body)
	}
	if r := app.Do("DELETE", "/api/v1/webhooks/"+created.ID, nil, admin); r.Status != http.StatusNoContent || len(r.Body) != 0 {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	if r := app.Do("DELETE", "/api/v1/webhooks/"+created.ID, nil, admin); r.Status != http.StatusNoContent {
		t.Fatalf("disable again: %d %s", r.Status, r.Body)
	}
	sendWebhooks(t, app)
	if got, _ := host.requests(); len(got) != 1 {
		t.Fatalf("a disabled endpoint got %d requests", len(got))
	}
	r = app.Do("GET", "/api/v1/webhooks", nil, admin)
	r.JSON(t, &list)
	if list.Items[0]["disabled_at"] == nil || list.Items[0]["cancelled"] != 1.0 || list.Items[0]["pending"] != 0.0 {
		t.Fatalf("after disabling: %s", r.Body)
	}
	if r := app.Do("DELETE", "/api/v1/webhooks/0195a000-0000-7000-8000-00000000ffff", nil, admin); r.Status != http.StatusNotFound {
		t.Fatalf("unknown: %d %s", r.Status, r.Body)
	}
}

func TestWebhooksAPIRefusesBadInput(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	admin := app.StaffToken("admin@example.com", models.RoleAdmin)
	for _, c := range []struct {
		body        any
		code, field string
	}{
		{map[string]any{"url": "ftp://example.com/x"}, "invalid", "url"},
		{map[string]any{"url": "example.com/hook"}, "invalid", "url"},
		{map[string]any{}, "invalid", "url"},
		{map[string]any{"url": "https://example.com/" + strings.Repeat("a", 2000)}, "invalid", "url"},
		{map[string]any{"url": "https://example.com/", "description": strings.Repeat("d", 201)}, "invalid", "description"},
		{map[string]any{"url": "https://example.com/", "secret": "mine"}, "unknown_field", "secret"},
		{map[string]any{"url": 7}, "invalid_type", "url"},
		{`{"url":`, "invalid_json", ""},
	} {
		r := app.Do("POST", "/api/v1/webhooks", c.body, admin)
		var e struct {
			Error struct{ Code, Field, Message string }
		}
		r.JSON(t, &e)
		if r.Status != 400 || e.Error.Code != c.code || e.Error.Field != c.field || e.Error.Message == "" {
			t.Errorf("%v: %d %s", c.body, r.Status, r.Body)
		}
	}
	if r := app.Do("GET", "/api/v1/webhooks", nil, admin); !strings.Contains(string(r.Body), `"items":[]`) {
		t.Fatalf("nothing was to be created: %s", r.Body)
	}
}

// Admins, and API keys with the systems scope, only.
func TestWebhooksAPIRoles(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	callers := map[string]string{"none": "", "bad token": "not-a-token"}
	for _, role := range models.Roles {
		callers[role] = app.StaffToken(role+"@example.com", role)
	}
	for _, scope := range models.Scopes {
		key, _, err := app.Staff.CreateAPIKey(ctx, "key-"+scope, []string{scope}, "test")
		if err != nil {
			t.Fatal(err)
		}
		callers["key:"+scope] = key
	}
	for caller, token := range callers {
		allowed := caller == models.RoleAdmin || caller == "key:"+models.ScopeSystems
		refused := http.StatusForbidden
		if caller == "none" || caller == "bad token" {
			refused = http.StatusUnauthorized
		}
		want := func(ok int) int {
			if allowed {
				return ok
			}
			return refused
		}
		t.Run(caller, func(t *testing.T) {
			hook, _, err := app.WebhookService.CreateEndpoint(ctx, "https://example.com/"+caller, "", "test")
			if err != nil {
				t.Fatal(err)
			}
			calls := []struct {
				method, path string
				body         any
				want         int
			}{
				{"GET", "/api/v1/webhooks", nil, want(200)},
				{"POST", "/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/"}, want(201)},
				{"DELETE", "/api/v1/webhooks/" + hook.ID, nil, want(204)},
			}
			for _, c := range calls {
				if r := app.Do(c.method, c.path, c.body, token); r.Status != c.want {
					t.Errorf("%s %s: %d, want %d: %s", c.method, c.path, r.Status, c.want, r.Body)
				}
			}
		})
	}
	// An endpoint made with a key names it.
	r := app.Do("GET", "/api/v1/webhooks", nil, callers["key:"+models.ScopeSystems])
	if !strings.Contains(string(r.Body), fmt.Sprintf(`"created_by":"API key key-%s"`, models.ScopeSystems)) {
		t.Fatalf("created_by of a key's endpoint: %s", r.Body)
	}
}
