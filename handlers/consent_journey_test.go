package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

// receivedHook is what a listening host application got.
type receivedHook struct {
	header http.Header
	body   []byte
}

// The acceptance check, as a new user would try it: a host
// application listens for webhooks and asks the check endpoint; the person
// withdraws model training in their consent center; the very next check
// answers false, and a signed consent.changed delivery reaches the host.
func TestWithdrawingInTheConsentCenterStopsTheHost(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	var mu sync.Mutex
	var got []receivedHook
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, receivedHook{r.Header.Clone(), body})
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer host.Close()
	_, secret, err := app.WebhookService.CreateEndpoint(context.Background(), host.URL+"/hooks/rightsdesk", "shop", "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := app.Staff.CreateAPIKey(context.Background(), "shop", []string{"consents:read", "consents:write"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	// The host records consent at sign-up and relies on it.
	if r := app.Do("POST", "/api/v1/consents", map[string]any{"email": "ana@example.com", "subject_id": "user-42",
		"purpose": "model_training", "action": "grant", "source": "web_form"}, key); r.Status != http.StatusCreated {
		t.Fatalf("grant: %d %s", r.Status, r.Body)
	}
	if granted, _ := checkConsent(t, app, key, "subject_id=user-42&purpose=model_training"); !granted {
		t.Fatal("granted consent answered false")
	}
	if n, err := app.Webhooks.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("the grant's delivery: %d %v", n, err)
	}

	// The person asks for their consent center and withdraws.
	b := newFormClient(t, app)
	center := "/consents/" + b.askForCenter("ana@example.com")
	page := b.get(center).want(http.StatusOK)
	b.follow(b.post(center+"/purposes/model_training", page.form("#change-model_training"), nil)).want(http.StatusOK)

	if granted, src := checkConsent(t, app, key, "subject_id=user-42&purpose=model_training"); granted || src != "web_form" {
		t.Fatalf("the next check after the withdrawal: granted=%v source=%s", granted, src)
	}
	if n, err := app.Webhooks.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("the withdrawal's delivery: %d %v", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("the host got %d deliveries, want 2", len(got))
	}
	last := got[1]
	if err := webhooks.Verify(last.header.Get("Rightsdesk-Signature"), last.body, secret, app.Clock.Now(), 5*time.Minute); err != nil {
		t.Fatalf("the delivery's signature does not verify with the endpoint's secret: %v", err)
	}
	if err := webhooks.Verify(last.header.Get("Rightsdesk-Signature"), last.body, "whsec_forged", app.Clock.Now(), 5*time.Minute); err == nil {
		t.Fatal("a forged secret verified")
	}
	var env struct {
		Type string
		Data struct {
			Email     string `json:"email"`
			SubjectID string `json:"subject_id"`
			Purpose   string `json:"purpose"`
			Action    string `json:"action"`
			Granted   bool   `json:"granted"`
		}
	}
	if err := json.Unmarshal(last.body, &env); err != nil {
		t.Fatal(err)
	}
	if env.Type != "consent.changed" || env.Data.Purpose != "model_training" || env.Data.Action != "withdraw" || env.Data.Granted ||
		env.Data.Email != "ana@example.com" || env.Data.SubjectID != "user-42" || last.header.Get("Rightsdesk-Event") != "consent.changed" {
		t.Fatalf("delivery: %s", last.body)
	}
}
