package handlers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
)

// Bad input gets the contract's envelope and changes nothing.
func TestIntakeRejectsBadInputAndChangesNothing(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	huge := `{"type":"access","email":"a@example.com","details":"` + strings.Repeat("x", 70*1024) + `"}`
	cases := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"unknown field", `{"type":"access","email":"a@example.com","admin":true}`, 400, "unknown_field", "admin"},
		{"malformed JSON", `{"type":"access",`, 400, "invalid_json", ""},
		{"not an object", `[1,2]`, 400, "invalid_json", ""},
		{"trailing data", `{"type":"access","email":"a@example.com"} {}`, 400, "invalid_json", ""},
		{"empty body", ``, 400, "invalid_json", ""},
		{"wrong type", `{"type":"access","email":5}`, 400, "invalid_type", "email"},
		{"over 64 KiB", huge, 413, "too_large", ""},
		{"missing type", map[string]any{"email": "a@example.com"}, 400, "invalid", "type"},
		{"unknown type", map[string]any{"type": "teleport", "email": "a@example.com"}, 400, "invalid", "type"},
		{"bad email", map[string]any{"type": "access", "email": "not-an-email"}, 400, "invalid", "email"},
		{"header injection in email", map[string]any{"type": "access", "email": "a@example.com\r\nBcc: x@evil.test"}, 400, "invalid", "email"},
		{"newline in name", map[string]any{"type": "access", "email": "a@example.com", "name": "Ana\r\nBcc: x@evil.test"}, 400, "invalid", "name"},
		{"unknown regime", map[string]any{"type": "access", "email": "a@example.com", "regime": "mars"}, 400, "invalid", "regime"},
		{"bad country", map[string]any{"type": "access", "email": "a@example.com", "country": "France"}, 400, "invalid", "country"},
		{"region of another country", map[string]any{"type": "access", "email": "a@example.com", "country": "US", "region": "GB-ENG"}, 400, "invalid", "region"},
		{"correction without corrections", map[string]any{"type": "correction", "email": "a@example.com"}, 400, "invalid", "corrections"},
		{"opt-out with unknown scope", map[string]any{"type": "opt_out", "email": "a@example.com", "scope": []string{"telepathy"}}, 400, "invalid", "scope"},
		{"withdrawal of unknown purpose", map[string]any{"type": "consent_withdrawal", "email": "a@example.com", "purposes": []string{"nope"}}, 400, "invalid", "purposes"},
		{"nomination without nominee", map[string]any{"type": "nomination", "email": "a@example.com"}, 400, "invalid", "nominee"},
		{"appeal without reference", map[string]any{"type": "appeal", "email": "a@example.com"}, 400, "invalid", "related_reference"},
		{"appeal of unknown request", map[string]any{"type": "appeal", "email": "a@example.com", "related_reference": "DSR-AAAA-AAAA"}, 400, "invalid", "related_reference"},
		{"bad relationship", map[string]any{"type": "access", "email": "a@example.com", "relationship": "cousin"}, 400, "invalid", "relationship"},
		{"scope on an access request", map[string]any{"type": "access", "email": "a@example.com", "scope": []string{"marketing"}}, 400, "invalid", "scope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := app.Do("POST", "/api/v1/requests", c.body, "")
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			var env struct {
				Error struct{ Code, Message, Field string }
			}
			r.JSON(t, &env)
			if env.Error.Code != c.code || env.Error.Field != c.field || env.Error.Message == "" {
				t.Fatalf("envelope %+v, want code %s field %q", env.Error, c.code, c.field)
			}
		})
	}
	if n, _ := app.Store.CountRequests(context.Background()); n != 0 {
		t.Fatalf("bad input stored %d requests", n)
	}
	app.Deliver()
	if n := len(app.Resend.Emails()); n != 0 {
		t.Fatalf("bad input sent %d emails", n)
	}
}

// The answer must not tell whether an email is already known.
func TestIntakeAnswerIsTheSameForKnownAndUnknownEmails(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	first := app.Do("POST", "/api/v1/requests", map[string]any{"type": "access", "email": "known@example.com"}, "")
	second := app.Do("POST", "/api/v1/requests", map[string]any{"type": "access", "email": "known@example.com"}, "")
	fresh := app.Do("POST", "/api/v1/requests", map[string]any{"type": "access", "email": "new@example.com"}, "")
	for _, r := range []*apptest.Response{first, second, fresh} {
		m := r.Map(t)
		if r.Status != 202 || len(m) != 3 || m["status"] != "pending_verification" {
			t.Fatalf("answers differ: %d %v", r.Status, m)
		}
	}
}

func TestRegimeResolution(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	admin := app.StaffToken("admin@example.com", "admin")
	cases := []struct {
		body   map[string]any
		regime string
		due    string
	}{
		{map[string]any{"country": "DE"}, "gdpr", "2026-02-28T23:59:59Z"},
		{map[string]any{"country": "GB"}, "uk_gdpr", "2026-02-28T23:59:59Z"},
		{map[string]any{"country": "US", "region": "CA"}, "ccpa", "2026-03-17T23:59:59Z"},
		{map[string]any{"country": "US", "region": "US-CA"}, "ccpa", "2026-03-17T23:59:59Z"},
		{map[string]any{"country": "US", "region": "VA"}, "us_state", "2026-03-17T23:59:59Z"},
		{map[string]any{"country": "IN"}, "dpdp", "2026-03-02T23:59:59Z"},
		{map[string]any{"country": "BR"}, "lgpd", "2026-02-15T23:59:59Z"},
		{map[string]any{"country": "JP"}, "default", "2026-03-02T23:59:59Z"},
		{map[string]any{"country": "FR", "regime": "lgpd"}, "lgpd", "2026-02-15T23:59:59Z"},
	}
	for _, c := range cases {
		body := map[string]any{"type": "access", "email": "r@example.com"}
		for k, v := range c.body {
			body[k] = v
		}
		r := app.Do("POST", "/api/v1/requests", body, "")
		if r.Status != 202 {
			t.Fatalf("%v: %d %s", c.body, r.Status, r.Body)
		}
		d := app.Do("GET", "/api/v1/requests/"+r.Map(t)["id"].(string), nil, admin).Map(t)
		if d["regime"] != c.regime || d["due_at"] != c.due {
			t.Errorf("%v: regime %v due %v; want %s %s", c.body, d["regime"], d["due_at"], c.regime, c.due)
		}
	}
}
