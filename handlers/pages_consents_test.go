package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/limits"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/workflows/consents"
)

// centerPolicy has a time zone, a policy URL, a purpose withdrawn by
// default and one on another legal basis, so that the page's words for
// each show.
const centerPolicy = `organization: {name: Center Org, policy_version: "2026-01", policy_url: "https://center.example/privacy"}
grievance_officer: {name: Gita Officer, email: officer@center.example, address: "1 Main Road, Pune"}
request_types: [access, opt_out, consent_withdrawal]
timezone: Asia/Kolkata
purposes:
  - {key: model_training, title: Model training, description: Using your uploads to improve our models., legal_basis: consent, default: granted}
  - {key: marketing, title: Marketing emails, description: News and offers by email., legal_basis: consent, default: withdrawn}
  - {key: analytics, title: Product analytics, description: Counting how features are used., legal_basis: legitimate_interests, default: granted}
`

func newCenterApp(t *testing.T) *apptest.App {
	t.Helper()
	pol, err := policy.Parse([]byte(centerPolicy), "center.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return apptest.New(t, apptest.Options{Policy: pol, Now: time.Date(2026, 2, 3, 9, 30, 0, 0, time.UTC)})
}

var centerLinkRe = regexp.MustCompile(`http://rightsdesk\.test/consents/([A-Z2-7]+)`)

// centerToken is the consent-center token of the newest email to addr
// that carries one.
func centerToken(t *testing.T, app *apptest.App, addr string) string {
	t.Helper()
	emails := app.Resend.Emails()
	for i := len(emails) - 1; i >= 0; i-- {
		if m := centerLinkRe.FindStringSubmatch(emails[i].Text); m != nil && slices.Contains(emails[i].To, addr) {
			return m[1]
		}
	}
	t.Fatalf("no email to %s links the consent center", addr)
	return ""
}

// askForCenter uses the public form to have a link emailed, and returns it.
func (b *formClient) askForCenter(addr string) string {
	b.t.Helper()
	form := b.get("/consents").want(200).form("#consent-link-form")
	form.Set("email", addr)
	b.post("/consents", form, nil).want(200)
	b.app.Deliver()
	return centerToken(b.t, b.app, addr)
}

// The home page links the form; the form emails a link (the same answer
// for a new and a known address); the link opens the center with every
// purpose of the policy at its default.
func TestConsentCenterFromTheForm(t *testing.T) {
	app := newCenterApp(t)
	b := newFormClient(t, app)
	if href := b.get("/").want(200).Doc.Find("#manage-consents").AttrOr("href", ""); href != "/consents" {
		t.Fatalf("the home page links %q, want /consents", href)
	}

	ask := b.get("/consents").want(200)
	if ask.Doc.Find("#consent-link-form").AttrOr("method", "") != "post" || !ask.has(`label[for=email]`) || ask.form("#consent-link-form").Get("_csrf") == "" {
		t.Fatalf("ask page:\n%s", ask.Body)
	}

	// A bad address: 422, the error next to the field, what was typed kept.
	form := ask.form("#consent-link-form")
	form.Set("email", "not an email")
	bad := b.post("/consents", form, nil).want(http.StatusUnprocessableEntity)
	if bad.text("#email-error") == "" || !bad.has(`#email[aria-invalid=true]`) || bad.Doc.Find("#email").AttrOr("value", "") != "not an email" ||
		!bad.has("#error-summary a[href='#email']") || !strings.HasPrefix(bad.text("title"), "Error:") {
		t.Fatalf("bad email page:\n%s", bad.Body)
	}

	// A new address and a known one get the same page.
	form.Set("email", "new@example.com")
	first := b.post("/consents", form, nil).want(200)
	if _, err := app.Consents.Record(context.Background(), "test", consents.RecordInput{Identity: consents.Identity{Email: "known@example.com"},
		Purpose: "analytics", Action: "withdraw", Source: "api"}); err != nil {
		t.Fatal(err)
	}
	form.Set("email", "known@example.com")
	second := b.post("/consents", form, nil).want(200)
	if !first.has("#check-email") || first.text("main") != second.text("main") {
		t.Fatalf("the answers differ:\n%s\n---\n%s", first.text("main"), second.text("main"))
	}
	app.Deliver()
	var link string
	for _, e := range app.Resend.Emails() {
		if slices.Contains(e.To, "new@example.com") {
			if link != "" {
				t.Fatal("two emails to new@example.com")
			}
			link = e.Subject
		}
	}
	if link != "Your privacy choices at Center Org" {
		t.Fatalf("consent_link email subject %q", link)
	}
	token := centerToken(t, app, "new@example.com")

	page := b.get("/consents/" + token).want(200)
	if page.text("#subject-email") != "new@example.com" || page.has("#notice") {
		t.Fatalf("center:\n%s", page.Body)
	}
	for _, p := range app.Policy.Purposes {
		sec := page.Doc.Find("#purpose-" + p.Key)
		if sec.Length() != 1 || !strings.Contains(sec.Find("h3").Text(), p.Title) || !strings.Contains(sec.Text(), p.Description) {
			t.Fatalf("purpose %s is not shown with its title and description:\n%s", p.Key, page.Body)
		}
		state := page.text("#state-" + p.Key)
		want := "Allowed"
		if !p.DefaultGranted() {
			want = "Not allowed"
		}
		if !strings.HasPrefix(state, want+",") || !strings.Contains(state, "our default; you have not changed it") {
			t.Fatalf("%s state %q, want %s at the default", p.Key, state, want)
		}
	}
	if !strings.Contains(page.text("#purpose-analytics"), "our legitimate interests") || !strings.Contains(page.text("#purpose-marketing"), "your consent") {
		t.Fatal("legal bases are not in words")
	}
	if !page.has("#withdraw-model_training") || !page.has("#grant-marketing") || page.has("#history") || !page.has("#no-history") {
		t.Fatalf("buttons or history:\n%s", page.Body)
	}
	if page.Doc.Find("#policy-link").AttrOr("href", "") != "https://center.example/privacy" {
		t.Fatal("no link to the policy")
	}

	// The known address's center shows its history.
	known := b.get("/consents/" + centerToken(t, app, "known@example.com")).want(200)
	if known.Doc.Find("tr.history-row").Length() != 1 || !strings.HasPrefix(known.text("#state-analytics"), "Not allowed since") ||
		!strings.Contains(known.text("#state-analytics"), "by our app") {
		t.Fatalf("known subject's center:\n%s", known.Body)
	}
}

// Withdraw and allow again by the buttons: 303 back with a notice, the
// state and the history change, checks see it, and each change is emailed.
func TestConsentCenterWithdrawAndAllowAgain(t *testing.T) {
	app := newCenterApp(t)
	b := newFormClient(t, app)
	token := b.askForCenter("ana@example.com")
	center := "/consents/" + token
	page := b.get(center).want(200)

	form := page.form("#change-model_training")
	if form.Get("action") != "withdraw" || form.Get("_csrf") == "" || page.Doc.Find("#change-model_training").AttrOr("action", "") != center+"/purposes/model_training" {
		t.Fatalf("withdraw form: %v", form)
	}
	done := b.post(center+"/purposes/model_training", form, nil)
	if done.Status != http.StatusSeeOther || done.Header.Get("Location") != center+"?changed=model_training" {
		t.Fatalf("withdraw: %d %q", done.Status, done.Header.Get("Location"))
	}
	page = b.follow(done).want(200)
	if !strings.HasPrefix(page.text("#state-model_training"), "Not allowed since 3 February 2026, 15:00 IST, on a web form") {
		t.Fatalf("state after withdrawing: %q", page.text("#state-model_training"))
	}
	if !strings.Contains(page.text("#notice"), "Model training is now not allowed") || !page.has("#grant-model_training") {
		t.Fatalf("after withdrawing:\n%s", page.Body)
	}
	rows := page.Doc.Find("tr.history-row")
	if rows.Length() != 1 {
		t.Fatalf("%d history rows", rows.Length())
	}
	row := strings.Join(strings.Fields(rows.Text()), " ")
	for _, want := range []string{"3 February 2026, 15:00", "Model training", "Consent withdrawn", "on a web form", "2026-01", "Receipt (JSON)"} {
		if !strings.Contains(row, want) {
			t.Fatalf("history row %q lacks %q", row, want)
		}
	}
	if !strings.Contains(page.text("#history caption"), "Asia/Kolkata") {
		t.Fatal("the history does not say its time zone")
	}
	st, err := app.Consents.Check(context.Background(), consents.Identity{Email: "ana@example.com"}, "model_training")
	if err != nil || st.Granted || st.Source != "web_form" {
		t.Fatalf("check after withdrawing: %+v %v", st, err)
	}
	app.Deliver()
	changed := lastEmailTo(t, app, "ana@example.com")
	if !strings.Contains(changed.Subject, "have changed") || !strings.Contains(changed.Text, "Model training") || !centerLinkRe.MatchString(changed.Text) {
		t.Fatalf("consent_changed email: %s\n%s", changed.Subject, changed.Text)
	}

	// A second click of the old form changes nothing and says so.
	again := b.post(center+"/purposes/model_training", form, nil)
	if again.Header.Get("Location") != center+"?unchanged=model_training" {
		t.Fatalf("second withdraw: %d %q", again.Status, again.Header.Get("Location"))
	}
	if p := b.follow(again); p.Doc.Find("tr.history-row").Length() != 1 || strings.Contains(p.text("#notice"), "emailed") {
		t.Fatalf("after a repeated click:\n%s", p.Body)
	}

	// Allow again: newest first in the history.
	app.Clock.Add(time.Hour)
	page = b.follow(b.post(center+"/purposes/model_training", page.form("#change-model_training"), nil)).want(200)
	if !strings.HasPrefix(page.text("#state-model_training"), "Allowed since 3 February 2026, 16:00 IST") {
		t.Fatalf("state after allowing again: %q", page.text("#state-model_training"))
	}
	if first := page.Doc.Find("tr.history-row").First().Text(); !strings.Contains(first, "Consent given") || !strings.Contains(first, "16:00") {
		t.Fatalf("newest row first: %q", first)
	}
	if st, _ := app.Consents.Check(context.Background(), consents.Identity{Email: "ana@example.com"}, "model_training"); !st.Granted {
		t.Fatal("check after allowing again: still withdrawn")
	}
}

func lastEmailTo(t *testing.T, app *apptest.App, addr string) (e struct{ Subject, Text string }) {
	t.Helper()
	emails := app.Resend.Emails()
	for i := len(emails) - 1; i >= 0; i-- {
		if slices.Contains(emails[i].To, addr) {
			return struct{ Subject, Text string }{emails[i].Subject, emails[i].Text}
		}
	}
	t.Fatalf("no email to %s", addr)
	return
}

// Posts without the CSRF token, or naming what we do not offer, change
// nothing; dead links get the error page.
func TestConsentCenterRefusals(t *testing.T) {
	app := newCenterApp(t)
	b := newFormClient(t, app)
	token := b.askForCenter("bo@example.com")
	center := "/consents/" + token
	form := b.get(center).want(200).form("#change-model_training")

	noToken := url.Values{"action": {"withdraw"}}
	if p := b.post(center+"/purposes/model_training", noToken, nil); p.Status != http.StatusForbidden {
		t.Fatalf("post without _csrf: %d", p.Status)
	}
	if p := b.post(center+"/purposes/model_training", form, map[string]string{"Sec-Fetch-Site": "cross-site"}); p.Status != http.StatusForbidden {
		t.Fatalf("cross-site post: %d", p.Status)
	}
	fly := url.Values{"_csrf": {form.Get("_csrf")}, "action": {"fly"}}
	b.post(center+"/purposes/model_training", fly, nil).want(http.StatusBadRequest)
	b.post(center+"/purposes/juggling", form, nil).want(http.StatusBadRequest)
	v, err := app.Consents.Subject(context.Background(), consents.Identity{Email: "bo@example.com"})
	if err != nil || len(v.History) != 0 {
		t.Fatalf("refused posts recorded %d events (%v)", len(v.History), err)
	}

	dead := b.get("/consents/AAAAAAAAAAAAAAAAAAAAAAAAAA").want(http.StatusNotFound)
	if dead.text("h1") != "This link does not work" || !strings.Contains(dead.text("main"), "may have expired") {
		t.Fatalf("dead link page:\n%s", dead.Body)
	}
	b.post("/consents/AAAAAAAAAAAAAAAAAAAAAAAAAA/purposes/model_training", form, nil).want(http.StatusNotFound)

	// Links expire (90 days).
	app.Clock.Add(91 * 24 * time.Hour)
	b.get(center).want(http.StatusNotFound)
	b.post(center+"/purposes/model_training", form, nil).want(http.StatusNotFound)
}

// A receipt downloads as JSON with the fields of a consent record (ISO/IEC
// TS 27560) and of a Kantara consent receipt; another subject's event, or a
// dead link, is a 404 envelope.
func TestConsentCenterReceipt(t *testing.T) {
	app := newCenterApp(t)
	b := newFormClient(t, app)
	token := b.askForCenter("cy@example.com")
	center := "/consents/" + token
	page := b.follow(b.post(center+"/purposes/model_training", b.get(center).form("#change-model_training"), nil)).want(200)
	href := page.Doc.Find("tr.history-row a.receipt-link").AttrOr("href", "")
	id := strings.TrimPrefix(href, center+"/receipts/")
	if id == href || id == "" {
		t.Fatalf("receipt link %q", href)
	}

	res := getRaw(t, app.URL+href)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") ||
		res.Header.Get("Content-Disposition") != `attachment; filename="consent-receipt-`+id+`.json"` || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("receipt: %d %v", res.StatusCode, res.Header)
	}
	var r struct {
		ReceiptID  string `json:"receipt_id"`
		Controller struct {
			Name string `json:"name"`
		} `json:"controller"`
		Subject struct {
			Email string `json:"email"`
		} `json:"subject"`
		Purpose struct {
			Key        string `json:"key"`
			LegalBasis string `json:"legal_basis"`
		} `json:"purpose"`
		Action        string    `json:"action"`
		Time          time.Time `json:"time"`
		Method        string    `json:"method"`
		PolicyVersion string    `json:"policy_version"`
		Kantara       struct {
			ConsentReceiptID string `json:"consentReceiptID"`
			ConsentTimestamp int64  `json:"consentTimestamp"`
		} `json:"kantara_consent_receipt"`
	}
	if err := json.Unmarshal(res.body, &r); err != nil {
		t.Fatalf("receipt is not JSON: %s", res.body)
	}
	at := time.Date(2026, 2, 3, 9, 30, 0, 0, time.UTC)
	if r.ReceiptID != id || r.Controller.Name != "Center Org" || r.Subject.Email != "cy@example.com" || r.Purpose.Key != "model_training" ||
		r.Purpose.LegalBasis != "consent" || r.Action != "withdraw" || !r.Time.Equal(at) || r.Method != "web_form" ||
		r.PolicyVersion != "2026-01" || r.Kantara.ConsentReceiptID != id || r.Kantara.ConsentTimestamp != at.Unix() {
		t.Fatalf("receipt fields: %+v\n%s", r, res.body)
	}

	// Another subject's event through this link; any event through a dead link.
	other, err := app.Consents.Record(context.Background(), "test", consents.RecordInput{Identity: consents.Identity{Email: "dee@example.com"},
		Purpose: "marketing", Action: "grant", Source: "api"})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{center + "/receipts/" + other.ID, center + "/receipts/nothing", "/consents/AAAAAAAAAAAAAAAAAAAAAAAAAA/receipts/" + id} {
		res := getRaw(t, app.URL+path)
		var env struct {
			Error struct{ Code string } `json:"error"`
		}
		if res.StatusCode != 404 || json.Unmarshal(res.body, &env) != nil || env.Error.Code == "" || res.Header.Get("Content-Disposition") != "" {
			t.Fatalf("%s: %d %s", path, res.StatusCode, res.body)
		}
	}
}

type rawResponse struct {
	*http.Response
	body []byte
}

// getRaw GETs as a browser following a link would (Accept: text/html).
func getRaw(t *testing.T, u string) rawResponse {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return rawResponse{resp, body}
}

// The public posts share the per-IP rate limit of the request form.
func TestConsentCenterRateLimited(t *testing.T) {
	app := apptest.New(t, apptest.Options{Limits: &limits.Config{IP: limits.Rate{N: 1, Per: time.Hour}}})
	b := newFormClient(t, app)
	form := b.get("/consents").want(200).form("#consent-link-form")
	form.Set("email", "flood@example.com")
	b.post("/consents", form, nil).want(200)
	if p := b.post("/consents", form, nil); p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" {
		t.Fatalf("second post: %d", p.Status)
	}
	b.post("/consents/AAAAAAAAAAAAAAAAAAAAAAAAAA/purposes/marketing", form, nil).want(http.StatusTooManyRequests)
}

// exerciseConsentPages calls the consent center's pages for
// TestResponsesMatchSpec, each answer checked against the spec.
func exerciseConsentPages(t *testing.T, c *specChecker, app *apptest.App) {
	t.Helper()
	page := c.do(specCall{method: "GET", path: "/consents", want: 200})
	var token string
	for _, ck := range (&http.Response{Header: page.header}).Cookies() {
		if ck.Name == "rd_csrf" {
			token = ck.Value
		}
	}
	if token == "" {
		t.Fatal("GET /consents sets no rd_csrf cookie")
	}
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": "rd_csrf=" + token}
	csrf := "_csrf=" + token + "&"
	const dead = "/consents/AAAAAAAAAAAAAAAAAAAAAAAAAA"

	c.do(specCall{method: "POST", path: "/consents", header: form, validInput: true, want: 200, body: csrf + "email=eve%40example.com"})
	c.do(specCall{method: "POST", path: "/consents", header: form, validInput: true, want: 422, body: csrf + "email=not+an+email"})
	c.do(specCall{method: "POST", path: "/consents", header: form, badInput: true, want: 403, body: "email=eve%40example.com"})
	c.do(specCall{method: "POST", path: "/consents", header: form, want: 413, body: csrf + "email=" + strings.Repeat("x", 70*1024)})
	app.Deliver()
	center := "/consents/" + centerToken(t, app, "eve@example.com")
	c.do(specCall{method: "GET", path: center, want: 200})
	c.do(specCall{method: "GET", path: dead, want: 404})

	purpose := center + "/purposes/model_training"
	c.do(specCall{method: "POST", path: purpose, header: form, validInput: true, noRedirect: true, want: 303, body: csrf + "action=withdraw"})
	c.do(specCall{method: "POST", path: purpose, header: form, validInput: true, noRedirect: true, want: 303, body: csrf + "action=withdraw"})
	c.do(specCall{method: "POST", path: purpose, header: form, badInput: true, want: 400, body: csrf + "action=fly"})
	c.do(specCall{method: "POST", path: center + "/purposes/astrology", header: form, validInput: true, want: 400, body: csrf + "action=grant"})
	c.do(specCall{method: "POST", path: purpose, header: form, badInput: true, want: 403, body: "action=grant"})
	c.do(specCall{method: "POST", path: dead + "/purposes/model_training", header: form, validInput: true, want: 404, body: csrf + "action=grant"})
	c.do(specCall{method: "POST", path: purpose, header: form, want: 413, body: csrf + "action=" + strings.Repeat("x", 70*1024)})
	c.do(specCall{method: "GET", path: center + "?changed=model_training", validInput: true, want: 200})

	v, err := app.Consents.Center(context.Background(), strings.TrimPrefix(center, "/consents/"))
	if err != nil || len(v.History) != 1 {
		t.Fatalf("center after one change: %v", err)
	}
	c.do(specCall{method: "GET", path: center + "/receipts/" + v.History[0].ID, want: 200})
	c.do(specCall{method: "GET", path: center + "/receipts/01950c6e-4f9a-7b8e-9a51-3c2d1e0f4a5b", want: 404})
	c.do(specCall{method: "GET", path: dead + "/receipts/" + v.History[0].ID, want: 404})
}
