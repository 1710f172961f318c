package main

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestAccessAnswersWithTheSubjectsRows(t *testing.T) {
	c := &clock{t: testStart}
	app := newTestApp(t, testDBPath(t), c, true)
	r := newReceiver(t)

	got := answerTo(t, app, c, r, jobFor(r, "job-access", "access", adaRequest))

	if got.Path != "/api/v1/tasks/task-job-access/result" || got.Authorization != "Bearer "+testKey {
		t.Fatalf("posted to %s with %q", got.Path, got.Authorization)
	}
	if got.Answer.Status != StatusDone {
		t.Fatalf("status %q (%s), want done", got.Answer.Status, got.Answer.Reason)
	}
	ada, _ := userByEmail(t, app, "ada@example.com")
	var images []Image
	var orders []Order
	app.db.Where("user_id = ?", ada.ID).Order("id").Find(&images)
	app.db.Where("user_id = ?", ada.ID).Order("id").Find(&orders)
	if len(images) != 2 || len(orders) != 2 {
		t.Fatalf("seed: %d images, %d orders, want 2 and 2", len(images), len(orders))
	}
	want := marshal(t, map[string]any{"users": []User{ada}, "images": images, "orders": orders})
	if gotData := marshal(t, got.Answer.Data); !sameJSON(t, gotData, want) {
		t.Fatalf("data\n got %s\nwant %s", gotData, want)
	}
}

func TestExportOfUnknownEmailIsDoneWithEmptyData(t *testing.T) {
	c := &clock{t: testStart}
	app := newTestApp(t, testDBPath(t), c, true)
	r := newReceiver(t)
	req := JobRequest{Reference: "RD-0002", Email: "nobody@example.com", Name: "Nobody"}

	got := answerTo(t, app, c, r, jobFor(r, "job-export", "export", req))

	var raw struct {
		Status string                     `json:"status"`
		Reason string                     `json:"reason"`
		Data   map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(got.Raw), &raw); err != nil {
		t.Fatal(err)
	}
	if raw.Status != StatusDone || raw.Reason != noAccount || raw.Data == nil || len(raw.Data) != 0 {
		t.Fatalf("got %s, want done, data {} and reason %q", got.Raw, noAccount)
	}
}

func TestDeletionRemovesTheUserAndKeepsAnonymisedOrders(t *testing.T) {
	c := &clock{t: testStart}
	app := newTestApp(t, testDBPath(t), c, true)
	r := newReceiver(t)
	ada, _ := userByEmail(t, app, "ada@example.com")

	got := answerTo(t, app, c, r, jobFor(r, "job-delete", "deletion", adaRequest))

	if got.Answer.Status != StatusDone || !slices.Equal(got.Answer.Kept, []Kept{ordersKept}) {
		t.Fatalf("got %s, want done with the orders kept", got.Raw)
	}
	if _, ok := userByEmail(t, app, "ada@example.com"); ok {
		t.Fatal("the user is still there")
	}
	var images, ownedOrders, anonymousOrders int64
	app.db.Model(&Image{}).Where("user_id = ?", ada.ID).Count(&images)
	app.db.Model(&Order{}).Where("user_id = ?", ada.ID).Count(&ownedOrders)
	app.db.Model(&Order{}).Where("user_id IS NULL").Count(&anonymousOrders)
	if images != 0 || ownedOrders != 0 || anonymousOrders != 2 {
		t.Fatalf("images %d, orders still hers %d, anonymous orders %d; want 0, 0, 2", images, ownedOrders, anonymousOrders)
	}
	grace, ok := userByEmail(t, app, "grace@example.com")
	var graceImages int64
	app.db.Model(&Image{}).Where("user_id = ?", grace.ID).Count(&graceImages)
	if !ok || graceImages != 1 {
		t.Fatal("another user's account or images were touched")
	}
}

func TestCorrectionReportsWhatChanged(t *testing.T) {
	c := &clock{t: testStart}
	app := newTestApp(t, testDBPath(t), c, true)
	r := newReceiver(t)
	req := adaRequest
	req.Corrections = []Correction{
		{Field: "city", Current: "London", Requested: "Marylebone"},
		{Field: "name", Requested: "Augusta Ada King"},
		{Field: "email", Requested: "ada@elsewhere.example"},
	}

	got := answerTo(t, app, c, r, jobFor(r, "job-correct", "correction", req))

	wantChanged := []Change{
		{Field: "city", From: "London", To: "Marylebone"},
		{Field: "name", From: "Ada Lovelace", To: "Augusta Ada King"},
	}
	if got.Answer.Status != StatusDone || !slices.Equal(got.Answer.Changed, wantChanged) {
		t.Fatalf("got %s, want done with %+v", got.Raw, wantChanged)
	}
	if !strings.Contains(got.Answer.Reason, "not changed: email") {
		t.Fatalf("reason %q does not say email was not changed", got.Answer.Reason)
	}
	ada, ok := userByEmail(t, app, "ada@example.com")
	if !ok || ada.City != "Marylebone" || ada.Name != "Augusta Ada King" || ada.Phone != "+44 20 7946 0001" {
		t.Fatalf("stored user %+v", ada)
	}
}

func TestCorrectionWithNothingApplicableFails(t *testing.T) {
	c := &clock{t: testStart}
	app := newTestApp(t, testDBPath(t), c, true)
	r := newReceiver(t)
	req := adaRequest
	req.Corrections = []Correction{{Field: "email", Requested: "ada@elsewhere.example"}, {Field: "phone", Requested: " "}}

	got := answerTo(t, app, c, r, jobFor(r, "job-correct", "correction", req))

	if got.Answer.Status != StatusFailed || !strings.Contains(got.Answer.Reason, "email") || !strings.Contains(got.Answer.Reason, "phone") {
		t.Fatalf("got %s, want failed naming email and phone", got.Raw)
	}
	if ada, _ := userByEmail(t, app, "ada@example.com"); ada.Phone != "+44 20 7946 0001" {
		t.Fatalf("phone changed to %q", ada.Phone)
	}
}

func TestOptOutAndWithdrawalClearTheNamedFlags(t *testing.T) {
	c := &clock{t: testStart}
	app := newTestApp(t, testDBPath(t), c, true)
	r := newReceiver(t)
	optOut := adaRequest
	optOut.Scope = []string{"sale_sharing", "targeted_ads", "telepathy"}
	withdrawal := adaRequest
	withdrawal.Purposes = []string{"model_training"}

	send(t, app, c, jobFor(r, "job-optout", "opt_out", optOut))
	send(t, app, c, jobFor(r, "job-withdraw", "consent_withdrawal", withdrawal))
	if n := process(t, app); n != 2 {
		t.Fatalf("answered %d, want 2", n)
	}

	got := r.Received()
	if got[0].Answer.Status != StatusDone || got[0].Answer.Reason != "opted out of: sale_sharing, targeted_ads; not used by this system: telepathy" {
		t.Fatalf("opt-out answer %s", got[0].Raw)
	}
	if got[1].Answer.Status != StatusDone || got[1].Answer.Reason != "opted out of: model_training" {
		t.Fatalf("withdrawal answer %s", got[1].Raw)
	}
	ada, _ := userByEmail(t, app, "ada@example.com")
	if ada.SaleSharing || ada.TargetedAds || ada.ModelTraining || !ada.Marketing || !ada.Profiling {
		t.Fatalf("flags %+v, want only marketing and profiling left on", ada)
	}
	if grace, _ := userByEmail(t, app, "grace@example.com"); !grace.TargetedAds {
		t.Fatal("another user's opt-in was cleared")
	}
}

func TestUnhandledTypeFails(t *testing.T) {
	c := &clock{t: testStart}
	app := newTestApp(t, testDBPath(t), c, true)
	r := newReceiver(t)

	got := answerTo(t, app, c, r, jobFor(r, "job-restrict", "restriction", adaRequest))

	if got.Answer.Status != StatusFailed || got.Answer.Reason != "this system does not handle restriction" {
		t.Fatalf("got %s", got.Raw)
	}
}

func TestUsersPageShowsWhatTheAppHolds(t *testing.T) {
	c := &clock{t: testStart}
	app := newTestApp(t, testDBPath(t), c, true)
	r := newReceiver(t)
	page := func() string {
		rec := httptestGet(app, "/")
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /: %d", rec.Code)
		}
		return rec.Body.String()
	}
	if !strings.Contains(page(), "ada@example.com") {
		t.Fatal("the page does not list ada")
	}
	answerTo(t, app, c, r, jobFor(r, "job-delete", "deletion", adaRequest))
	if body := page(); strings.Contains(body, "ada@example.com") || !strings.Contains(body, "grace@example.com") {
		t.Fatalf("after the deletion the page shows:\n%s", body)
	}
}

// sameJSON says whether a and b encode the same value, whatever the order
// of their keys.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var av, bv any
	if err := json.Unmarshal(a, &av); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &bv); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(av, bv)
}

// An opt-out naming no use stops them all.
func TestOptOutNamingNothingClearsEveryFlag(t *testing.T) {
	c := &clock{t: testStart}
	app := newTestApp(t, testDBPath(t), c, true)
	r := newReceiver(t)
	req := JobRequest{Reference: "RD-0003", Email: "grace@example.com", Name: "Grace Hopper"}

	got := answerTo(t, app, c, r, jobFor(r, "job-optout-all", "opt_out", req))

	if got.Answer.Status != StatusDone || got.Answer.Reason != "opted out of: "+strings.Join(optInColumns, ", ") {
		t.Fatalf("got %s", got.Raw)
	}
	if grace, _ := userByEmail(t, app, "grace@example.com"); grace.TargetedAds || grace.Marketing {
		t.Fatalf("flags %+v, want all off", grace)
	}
}
