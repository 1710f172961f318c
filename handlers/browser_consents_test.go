package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/internal/testutil/browser"
	"github.com/rightsdesk/rightsdesk/workflows/consents"
)

// A person asks for a consent-center link from the home page, opens the
// emailed link, withdraws consent to model training with one click, and
// sees the new state and the history row.
func TestBrowserConsentCenter(t *testing.T) {
	app := apptest.New(t, apptest.Options{Now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
	// An earlier choice, so that the history has more than the click.
	if _, err := app.Consents.Record(context.Background(), "test", consents.RecordInput{Identity: consents.Identity{Email: "ana@example.com"},
		Purpose: "marketing", Action: "withdraw", Source: "gpc", Evidence: "Sec-GPC: 1"}); err != nil {
		t.Fatal(err)
	}
	app.Clock.Add(26 * time.Hour)
	b := browser.New(t)

	b.Open(app.URL+"/", "#manage-consents")
	b.Submit("#manage-consents", "#consent-link-form")
	b.Do(chromedp.SendKeys(chromedp.CSS("#email"), "ana@example.com"))
	b.Submit("#send-link", "#check-email")

	app.Deliver()
	token := centerToken(t, app, "ana@example.com")
	b.Open(app.URL+"/consents/"+token, "#withdraw-model_training")
	if n := b.Count("section.consent-purpose"); n != len(app.Policy.Purposes) {
		t.Fatalf("%d purposes shown, the policy has %d", n, len(app.Policy.Purposes))
	}
	if b.Count("tr.history-row") != 1 {
		t.Fatalf("history before the click: %d rows", b.Count("tr.history-row"))
	}

	b.Submit("#withdraw-model_training", "#notice")
	if s := b.Text("#state-model_training"); !strings.HasPrefix(s, "Not allowed since") || b.Count("#grant-model_training") != 1 {
		t.Fatalf("after withdrawing: %q", s)
	}
	if b.Count("tr.history-row") != 2 || !strings.Contains(b.Text("tr.history-row"), "Consent withdrawn") ||
		!strings.Contains(b.Text("tr.history-row"), "Model training") {
		t.Fatalf("history after the click: %q", b.Text("#history"))
	}
	if st, _ := app.Consents.Check(context.Background(), consents.Identity{Email: "ana@example.com"}, "model_training"); st.Granted {
		t.Fatal("the click recorded nothing")
	}
	b.Screenshot("consent-center")

	b.Do(chromedp.EmulateViewport(390, 844))
	b.Open(app.URL+"/consents/"+token, "#history")
	b.Screenshot("consent-center-phone")
}
