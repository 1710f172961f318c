package webhooks_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

func TestCreateEndpointChecksInput(t *testing.T) {
	e := newEnv(t)
	long := "https://hooks.example.com/" + strings.Repeat("a", 2000-len("https://hooks.example.com/"))
	for _, ok := range []string{"https://hooks.example.com/rightsdesk", "http://127.0.0.1:9000/hook", "http://10.0.0.7/h?x=1",
		"http://[::1]:8080/", "HTTPS://Hooks.Example.com", " http://crm.internal/hook ", long} {
		ep, secret, err := e.svc.CreateEndpoint(e.ctx, ok, "", "admin@example.com")
		if err != nil {
			t.Errorf("%q refused: %v", ok, err)
			continue
		}
		if ep.URL != strings.TrimSpace(ok) || !strings.HasPrefix(secret, "whsec_") || secret != e.keys.WebhookSecret(ep.ID) {
			t.Errorf("%q: %+v %q", ok, ep, secret)
		}
	}
	for _, c := range []struct{ url, desc, field string }{
		{"", "", "url"},
		{"   ", "", "url"},
		{"hooks.example.com/x", "", "url"},
		{"/relative", "", "url"},
		{"ftp://hooks.example.com/", "", "url"},
		{"javascript:alert(1)", "", "url"},
		{"mailto:a@example.com", "", "url"},
		{"http://", "", "url"},
		{"http:///path", "", "url"},
		{"https://user:pw@hooks.example.com/", "", "url"},
		{"https://hooks.example.com/#top", "", "url"},
		{"https://hooks.example.com/\x7f", "", "url"},
		{long + "a", "", "url"},
		{"https://hooks.example.com/", strings.Repeat("é", 201), "description"},
		{"https://hooks.example.com/", "two\nlines", "description"},
	} {
		_, _, err := e.svc.CreateEndpoint(e.ctx, c.url, c.desc, "admin@example.com")
		var fe *webhooks.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || fe.Message == "" {
			t.Errorf("%q %q: %v, want a %s error", c.url, c.desc, err, c.field)
		}
	}
	if _, _, err := e.svc.CreateEndpoint(e.ctx, "https://hooks.example.com/", strings.Repeat("é", 200), ""); err != nil {
		t.Errorf("200 characters: %v", err)
	}
	views, err := e.svc.Endpoints(e.ctx)
	if err != nil || len(views) != 8 {
		t.Fatalf("%d endpoints: %v", len(views), err)
	}
}

// Deliveries lists an endpoint's deliveries newest first, without bodies;
// the endpoint list sums them up, with the latest failure.
func TestDeliveriesAndCounts(t *testing.T) {
	e := newEnv(t)
	h := newHost(t, e.clock, 500)
	id, _ := e.endpoint(h.URL)
	e.change("0195a000-0000-7000-8000-000000000011")
	e.clock.Add(time.Second)
	e.change("0195a000-0000-7000-8000-000000000012")
	e.runOnce(2)

	list, err := e.svc.Deliveries(e.ctx, id, 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("%d deliveries: %v", len(list), err)
	}
	if !list[0].CreatedAt.After(list[1].CreatedAt) || list[0].Body != "" || list[0].LastStatus != 500 || list[0].Attempts != 1 {
		t.Fatalf("not newest first, or with a body: %+v", list)
	}
	if _, err := e.svc.Deliveries(e.ctx, "0195a000-0000-7000-8000-00000000ffff", 10); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("unknown endpoint: %v", err)
	}
	views, err := e.svc.Endpoints(e.ctx)
	if err != nil || len(views) != 1 {
		t.Fatal(err)
	}
	if v := views[0]; v.Pending != 2 || v.Delivered != 0 || v.LastError != "HTTP 500" || v.LastStatus != 500 || v.LastDeliveredAt != nil {
		t.Fatalf("view %+v", v)
	}
}
