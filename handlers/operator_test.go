package handlers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/limits"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
)

// With no email provider the operator reads the verification link from the
// dev outbox, as an admin; nobody else sees it.
func TestDevOutboxIsReadableByAdminsOnly(t *testing.T) {
	app := apptest.New(t, apptest.Options{DevOutbox: true})
	admin := app.StaffToken("admin@example.com", "admin")
	agent := app.StaffToken("agent@example.com", "agent")
	app.Do("POST", "/api/v1/requests", map[string]any{"type": "access", "email": "dev@example.com"}, "")
	app.Deliver()
	if n := len(app.Resend.Emails()); n != 0 {
		t.Fatalf("the dev outbox sent %d emails", n)
	}
	r := app.Do("GET", "/api/v1/outbox?status=dev", nil, admin)
	if r.Status != 200 || !strings.Contains(string(r.Body), "http://rightsdesk.test/verify/") {
		t.Fatalf("dev outbox: %d %s", r.Status, r.Body)
	}
	if r := app.Do("GET", "/api/v1/outbox", nil, agent); r.Status != 403 {
		t.Fatalf("agent reading the outbox: %d", r.Status)
	}
	if r := app.Do("GET", "/api/v1/outbox?status=lost", nil, admin); r.Status != 400 {
		t.Fatalf("bad status filter: %d", r.Status)
	}
}

func TestSentMessagesKeepNoBody(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	admin := app.StaffToken("admin@example.com", "admin")
	app.Do("POST", "/api/v1/requests", map[string]any{"type": "access", "email": "p@example.com"}, "")
	app.Deliver()
	r := app.Do("GET", "/api/v1/outbox?status=sent", nil, admin)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"status":"sent"`) || strings.Contains(string(r.Body), "/verify/") {
		t.Fatalf("a sent message must not keep its link: %s", r.Body)
	}
}

func TestPublicEndpointsAreRateLimitedPerIP(t *testing.T) {
	app := apptest.New(t, apptest.Options{Limits: &limits.Config{IP: limits.Rate{N: 3, Per: 3 * time.Minute}}})
	var last *apptest.Response
	for range 4 {
		last = app.Do("POST", "/api/v1/requests", map[string]any{"type": "access", "email": "flood@example.com"}, "")
	}
	if last.Status != 429 || last.Header.Get("Retry-After") == "" {
		t.Fatalf("4th request in a minute with burst 3: %d (Retry-After %q)", last.Status, last.Header.Get("Retry-After"))
	}
	errMessage(t, last)
}

func TestHealthAndReadiness(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := app.Do("GET", p, nil, ""); r.Status != 200 {
			t.Fatalf("%s: %d", p, r.Status)
		}
	}
	if r := app.Do("GET", "/nowhere", nil, ""); r.Status != 404 {
		t.Fatalf("unknown route: %d", r.Status)
	} else {
		errMessage(t, r)
	}
	app.Store.Close()
	if r := app.Do("GET", "/readyz", nil, ""); r.Status != 503 {
		t.Fatalf("readyz with the database closed: %d", r.Status)
	}
}

func TestStaticServesTheStylesheetButNoListing(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	if r := app.Do("GET", "/static/style.css", nil, ""); r.Status != 200 || !strings.Contains(string(r.Body), "font") {
		t.Fatalf("stylesheet: %d", r.Status)
	}
	if r := app.Do("GET", "/static/", nil, ""); r.Status != 404 {
		t.Fatalf("directory listing: %d %s", r.Status, r.Body)
	}
}
