package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/workflows/consents"
)

// checkConsent asks the hot path and returns granted and source.
func checkConsent(t *testing.T, app *apptest.App, key, query string) (bool, string) {
	t.Helper()
	r := app.Do("GET", "/api/v1/consents/check?"+query, nil, key)
	if r.Status != http.StatusOK {
		t.Fatalf("check %s: %d %s", query, r.Status, r.Body)
	}
	var st struct {
		Granted bool
		Source  string
	}
	r.JSON(t, &st)
	return st.Granted, st.Source
}

// A host application grants, checks and withdraws with its key; the key's
// use is recorded, and revoking it refuses the very next call.
func TestHostApplicationGrantsChecksWithdraws(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	key, k, err := app.Staff.CreateAPIKey(context.Background(), "shop", []string{"consents:read", "consents:write"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"email": "ana@example.com", "subject_id": "user-1", "purpose": "model_training", "action": "grant", "source": "web_form", "evidence": "signup v2"}
	if r := app.Do("POST", "/api/v1/consents", body, key); r.Status != http.StatusCreated {
		t.Fatalf("grant: %d %s", r.Status, r.Body)
	}
	if granted, src := checkConsent(t, app, key, "subject_id=user-1&purpose=model_training"); !granted || src != "web_form" {
		t.Fatalf("after grant: %v %s", granted, src)
	}
	body["action"] = "withdraw"
	r := app.Do("POST", "/api/v1/consents", body, key)
	if r.Status != http.StatusCreated {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	ev := r.Map(t)
	if ev["action"] != "withdraw" || ev["granted"] != false || ev["subject"] != "ana@example.com" || ev["subject_id"] != "user-1" {
		t.Fatalf("event: %v", ev)
	}
	if granted, _ := checkConsent(t, app, key, "email=ANA@example.com&purpose=model_training"); granted {
		t.Fatal("the next check after a withdrawal answered granted")
	}
	got, err := app.Store.APIKeyByID(context.Background(), k.ID)
	if err != nil || got.LastUsedAt == nil {
		t.Fatalf("last_used_at not recorded: %+v %v", got, err)
	}
	if _, err := app.Staff.RevokeAPIKey(context.Background(), k.ID); err != nil {
		t.Fatal(err)
	}
	if r := app.Do("GET", "/api/v1/consents/check?email=ana@example.com&purpose=model_training", nil, key); r.Status != http.StatusUnauthorized {
		t.Fatalf("a revoked (cached) key still works: %d", r.Status)
	}
}

// A verified opt_out made by the data subject withdraws each scope with the
// request's reference as evidence, completes itself and tells the
// requester, with a link to their consent center.
func TestVerifiedOptOutWithdrawsAndCompletes(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	key, _, _ := app.Staff.CreateAPIKey(context.Background(), "shop", []string{"consents:read"}, "test")
	r := app.Do("POST", "/api/v1/requests", map[string]any{"type": "opt_out", "email": "sam@example.com", "country": "US", "region": "CA",
		"scope": []string{"sale_sharing", "model_training"}}, "")
	if r.Status != http.StatusAccepted {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	ref := r.Map(t)["reference"].(string)
	if granted, _ := checkConsent(t, app, key, "email=sam@example.com&purpose=sale_sharing"); !granted {
		t.Fatal("consent withdrawn before the requester was verified")
	}
	app.Deliver()
	_, tok := apptest.LinkIn(t, app.LastEmail("verify").Text, "verify")
	if v := app.Do("POST", "/api/v1/verifications", map[string]string{"token": tok}, ""); v.Status != http.StatusOK || v.Map(t)["status"] != "completed" {
		t.Fatalf("verify: %d %s", v.Status, v.Body)
	}
	for _, p := range []string{"sale_sharing", "model_training"} {
		if granted, src := checkConsent(t, app, key, "email=sam@example.com&purpose="+p); granted || src != "request" {
			t.Errorf("%s: granted=%v source=%s after the verified opt-out", p, granted, src)
		}
	}
	if granted, _ := checkConsent(t, app, key, "email=sam@example.com&purpose=marketing"); !granted {
		t.Error("a purpose outside the scope was withdrawn")
	}
	v, err := app.Consents.Subject(context.Background(), consents.Identity{Email: "sam@example.com"})
	if err != nil || len(v.History) != 2 || v.History[0].Evidence != ref {
		t.Fatalf("history: %+v %v", v, err)
	}
	app.Deliver()
	mail := app.LastEmail("consents")
	if !strings.Contains(mail.Subject, "complete") || !strings.Contains(mail.Text, "not allowed") {
		t.Fatalf("completion email: %s\n%s", mail.Subject, mail.Text)
	}
	for _, e := range app.Resend.Emails() {
		if strings.Contains(e.Subject, "received") {
			t.Errorf("a receipt email was sent besides the completion: %s", e.Subject)
		}
	}
}

// One made by an authorized agent withdraws too (an opt-out only protects)
// but stays open for staff to check the agent's authority.
func TestAgentsOptOutWaitsForStaff(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	r := app.Do("POST", "/api/v1/requests", map[string]any{"type": "consent_withdrawal", "email": "kim@example.com",
		"relationship": "authorized_agent", "purposes": []string{"marketing"}}, "")
	if r.Status != http.StatusAccepted {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	app.Deliver()
	_, tok := apptest.LinkIn(t, app.LastEmail("verify").Text, "verify")
	if v := app.Do("POST", "/api/v1/verifications", map[string]string{"token": tok}, ""); v.Map(t)["status"] != "open" {
		t.Fatalf("verify: %s", v.Body)
	}
	st, err := app.Consents.Check(context.Background(), consents.Identity{Email: "kim@example.com"}, "marketing")
	if err != nil || st.Granted {
		t.Fatalf("marketing after the agent's verified withdrawal: %+v %v", st, err)
	}
}

// A public submission carrying Sec-GPC: 1 opts the email out of sale and
// sharing and targeted ads at once, before verification; a refused one
// records nothing.
func TestGlobalPrivacyControlOptsOut(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	gpc := func(body map[string]any) *apptest.Response {
		req, _ := http.NewRequest("POST", app.URL+"/api/v1/requests", strings.NewReader(mustJSON(t, body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-GPC", "1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return &apptest.Response{Status: resp.StatusCode}
	}
	if r := gpc(map[string]any{"type": "access", "email": "bad email"}); r.Status != http.StatusBadRequest {
		t.Fatalf("bad submission: %d", r.Status)
	}
	if r := gpc(map[string]any{"type": "access", "email": "gpc@example.com"}); r.Status != http.StatusAccepted {
		t.Fatalf("submission: %d", r.Status)
	}
	for _, p := range []string{"sale_sharing", "targeted_ads"} {
		st, err := app.Consents.Check(context.Background(), consents.Identity{Email: "gpc@example.com"}, p)
		if err != nil || st.Granted || st.Source != "gpc" {
			t.Errorf("%s after GPC: %+v %v", p, st, err)
		}
	}
	if st, _ := app.Consents.Check(context.Background(), consents.Identity{Email: "gpc@example.com"}, "marketing"); !st.Granted {
		t.Error("GPC withdrew marketing")
	}
	v, _ := app.Consents.Subject(context.Background(), consents.Identity{Email: "bad email"})
	if v != nil && v.Known {
		t.Error("a refused submission recorded consent")
	}
	// Through the HTML form too.
	b := newFormClient(t, app)
	form := url.Values{"_csrf": {b.csrfFrom("/?type=access")}, "type": {"access"}, "email": {"form-gpc@example.com"}}
	if p := b.post("/requests", form, map[string]string{"Sec-GPC": "1"}); p.Status != http.StatusOK {
		t.Fatalf("form: %d %s", p.Status, p.Body)
	}
	if st, _ := app.Consents.Check(context.Background(), consents.Identity{Email: "form-gpc@example.com"}, "sale_sharing"); st.Granted {
		t.Error("the form's GPC header was ignored")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
