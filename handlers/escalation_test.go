package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
)

func emailsTo(app *apptest.App, addr, ref string) []string {
	var out []string
	for _, e := range app.Resend.Emails() {
		if len(e.To) == 1 && e.To[0] == addr && strings.Contains(e.Subject, ref) {
			out = append(out, e.Subject)
		}
	}
	return out
}

// A Virginia consumer's denied request is appealed: the appeal is routed to
// the grievance officer, is due 60 days after receipt (Va. Code
// § 59.1-577(C)), waits for a person to acknowledge it, and once late shows
// up under escalation_level=2 with the sweep's event in its timeline.
func TestAppealIsRoutedAndEscalatesThroughTheAPI(t *testing.T) {
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)})
	admin := app.StaffToken("admin@example.com", "admin")
	app.StaffToken("officer@example.com", "grievance_officer")
	id := openRequest(t, app, map[string]any{"type": "deletion", "country": "US", "region": "VA"})
	if r := act(app, admin, id, map[string]any{"action": "deny", "reason": "The account is under a legal hold."}); r.Status != 200 {
		t.Fatalf("deny: %d %s", r.Status, r.Body)
	}
	app.Deliver()
	denied := app.Resend.Emails()[len(app.Resend.Emails())-1]
	for _, want := range []string{"legal hold", "Appeal", "Attorney General", "grievance"} {
		if !strings.Contains(denied.Text, want) {
			t.Errorf("denial email lacks %q:\n%s", want, denied.Text)
		}
	}
	ref := app.Do("GET", "/api/v1/requests/"+id, nil, admin).Map(t)["reference"].(string)

	app.Clock.Set(time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC))
	appealID := openRequest(t, app, map[string]any{"type": "appeal", "country": "US", "region": "VA", "related_reference": ref, "details": "Please reconsider."})
	admin = app.Login("admin@example.com") // staff tokens last an hour of the test clock
	appeal := app.Do("GET", "/api/v1/requests/"+appealID, nil, admin).Map(t)
	if appeal["regime"] != "us_state" || appeal["due_at"] != "2026-05-04T23:59:59Z" || appeal["acknowledged_at"] != nil {
		t.Fatalf("appeal: regime %v due %v acknowledged %v", appeal["regime"], appeal["due_at"], appeal["acknowledged_at"])
	}
	appealRef := appeal["reference"].(string)
	for _, officer := range []string{"officer@example.com", "privacy@example.com"} {
		if got := emailsTo(app, officer, appealRef); len(got) != 1 || !strings.Contains(got[0], "for the grievance officer") {
			t.Fatalf("routing notice to %s: %v", officer, got)
		}
	}

	app.Clock.Set(time.Date(2026, 5, 5, 0, 0, 1, 0, time.UTC))
	rep, err := app.Requests.Sweep(context.Background())
	if err != nil || rep.Escalated != 1 {
		t.Fatalf("sweep: %+v %v", rep, err)
	}
	app.Deliver()
	officer := app.Login("officer@example.com")
	list := app.Do("GET", "/api/v1/requests?escalation_level=2", nil, officer)
	var page struct {
		Items []map[string]any `json:"items"`
	}
	list.JSON(t, &page)
	if list.Status != 200 || len(page.Items) != 1 || page.Items[0]["id"] != appealID {
		t.Fatalf("escalation_level=2: %d %s", list.Status, list.Body)
	}
	if r := app.Do("GET", "/api/v1/requests?escalation_level=0", nil, officer); strings.Contains(string(r.Body), appealID) {
		t.Fatal("the escalated appeal is listed under level 0")
	}
	if r := app.Do("GET", "/api/v1/requests?escalation_level=9", nil, officer); r.Status != 400 {
		t.Fatalf("escalation_level=9: %d", r.Status)
	}
	detail := app.Do("GET", "/api/v1/requests/"+appealID, nil, officer).Map(t)
	events := detail["events"].([]any)
	last := events[len(events)-1].(map[string]any)
	if last["action"] != "escalate" || last["actor"] != "system" || !strings.Contains(last["note"].(string), "past its due date") {
		t.Fatalf("last event %v", last)
	}
	if got := emailsTo(app, "officer@example.com", appealRef); len(got) != 2 || !strings.HasPrefix(got[1], "Overdue") {
		t.Fatalf("officer emails about the appeal: %v", got)
	}
	late := app.Resend.Emails()
	var toRequester string
	for _, e := range late {
		if e.To[0] == "subject@example.com" && strings.Contains(e.Subject, "late") && strings.Contains(e.Subject, appealRef) {
			toRequester = e.Text
		}
	}
	if !strings.Contains(toRequester, "Attorney General") {
		t.Fatalf("the requester's overdue email does not say how to escalate:\n%s", toRequester)
	}
}
