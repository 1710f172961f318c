package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
)

// A policy offering three of the eleven types, two purposes, two regimes.
const subsetPolicy = `
organization:
  name: Subset Studio
  privacy_email: privacy@subset.example
  policy_version: "2026-01-01"
  policy_url: https://subset.example/privacy
request_types: [access, deletion, opt_out]
purposes:
  - {key: sale_sharing, title: Selling or sharing your data, description: With advertising partners., legal_basis: consent, default: granted}
  - {key: analytics, title: Product analytics, legal_basis: consent, default: granted}
country_regimes: {US-CA: ccpa, IN: dpdp, ZW: gdpr}
`

func subsetApp(t *testing.T) *apptest.App {
	t.Helper()
	pol, err := policy.Parse([]byte(subsetPolicy), "subset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return apptest.New(t, apptest.Options{Policy: pol})
}

// Every visible control has a <label for> naming it.
func assertLabelled(t *testing.T, p *htmlPage) {
	t.Helper()
	n := 0
	p.Doc.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		if typ := s.AttrOr("type", ""); typ == "hidden" || typ == "submit" {
			return
		}
		n++
		id := s.AttrOr("id", "")
		if id == "" || p.Doc.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("control %s (id %q) has no label[for]", s.AttrOr("name", "?"), id)
		}
	})
	if n == 0 {
		t.Error("no controls on the page")
	}
}

func attrValues(s *goquery.Selection, attr string) []string {
	var out []string
	s.Each(func(_ int, e *goquery.Selection) { out = append(out, e.AttrOr(attr, "")) })
	return out
}

func TestChooserListsExactlyTheOfferedTypes(t *testing.T) {
	app := subsetApp(t)
	b := newFormClient(t, app)
	p := b.get("/").want(200)
	if got := attrValues(p.Doc.Find(`#type-form input[type=radio][name=type]`), "value"); !slices.Equal(got, []string{"access", "deletion", "opt_out"}) {
		t.Fatalf("offered types %v", got)
	}
	if p.Doc.Find("#type-form").AttrOr("method", "") != "get" || !p.has("#continue") {
		t.Fatal("the chooser is a GET form with a Continue button")
	}
	// One line of plain language per type, tied to its radio.
	p.Doc.Find(`input[name=type]`).Each(func(_ int, s *goquery.Selection) {
		hint := p.Doc.Find("#" + s.AttrOr("id", "") + "-hint")
		if hint.Length() != 1 || s.AttrOr("aria-describedby", "") != s.AttrOr("id", "")+"-hint" || len(hint.Text()) < 20 {
			t.Errorf("type %s lacks its explanation", s.AttrOr("value", ""))
		}
	})
	assertLabelled(t, p)
	if p.text("header .org") != "Subset Studio · Privacy requests" || p.Doc.Find("footer a").AttrOr("href", "") != "https://subset.example/privacy" {
		t.Fatalf("organisation and policy link: %q", p.text("header"))
	}

	// A type the policy does not offer, or no type at all: the chooser again.
	for _, typ := range []string{"export", "fly", "grievance"} {
		bad := b.get("/?type=" + typ).want(400)
		if !bad.has("#type-form") || !bad.has("#error-summary") || bad.has("#request-form") {
			t.Fatalf("?type=%s: %s", typ, bad.Body)
		}
		if href := bad.Doc.Find("#error-summary a").AttrOr("href", ""); href != "#type-access" {
			t.Fatalf("the summary links %q", href)
		}
		if !strings.HasPrefix(bad.Doc.Find("title").Text(), "Error: ") {
			t.Fatal("the title of a page with errors starts with Error:")
		}
	}
	if p := b.post("/requests", url.Values{"_csrf": {b.csrfFrom("/")}, "type": {"export"}, "email": {"a@example.com"}}, nil); p.Status != 400 || !p.has("#type-form") {
		t.Fatalf("posting an unoffered type: %d %s", p.Status, p.Body)
	}
}

// csrfFrom opens a page and returns its forms' token.
func (b *formClient) csrfFrom(path string) string {
	b.t.Helper()
	p := b.get(path)
	tok := p.Doc.Find(`input[name=_csrf]`).First().AttrOr("value", "")
	if tok == "" {
		// The chooser has no post form; the type form has.
		tok = b.get("/?type=access").Doc.Find(`input[name=_csrf]`).AttrOr("value", "")
	}
	if tok == "" {
		b.t.Fatal("no CSRF token in the form")
	}
	return tok
}

// Each type's form has exactly the fields that type needs.
func TestFormFieldsPerType(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	b := newFormClient(t, app)
	common := []string{"_csrf", "type", "email", "name", "relationship", "country", "region", "details"}
	specific := map[string][]string{
		"correction":         {"correction_1_field", "correction_1_current", "correction_1_requested", "correction_2_field", "correction_2_current", "correction_2_requested", "correction_3_field", "correction_3_current", "correction_3_requested"},
		"opt_out":            {"scope"},
		"consent_withdrawal": {"purposes"},
		"nomination":         {"nominee_name", "nominee_email"},
		"grievance":          {"related_reference", "concerns_child"},
		"appeal":             {"related_reference"},
	}
	for _, typ := range policy.RequestTypes {
		p := b.get("/?type=" + typ).want(200)
		var names []string
		p.Doc.Find("#request-form input, #request-form select, #request-form textarea").Each(func(_ int, s *goquery.Selection) {
			if n := s.AttrOr("name", ""); !slices.Contains(names, n) {
				names = append(names, n)
			}
		})
		want := append(slices.Clone(common), specific[typ]...)
		slices.Sort(names)
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Errorf("%s: fields %v, want %v", typ, names, want)
		}
		if got := p.Doc.Find(`input[name=type]`).AttrOr("value", ""); got != typ {
			t.Errorf("%s: hidden type %q", typ, got)
		}
		if p.Doc.Find("#request-form").AttrOr("action", "") != "/requests" || p.Doc.Find("#request-form").AttrOr("method", "") != "post" || !p.has("button#submit-request") {
			t.Errorf("%s: the form posts to /requests", typ)
		}
		if p.Doc.Find("#email").AttrOr("type", "") != "email" || p.Doc.Find("#email[required]").Length() != 1 {
			t.Errorf("%s: email is a required email input", typ)
		}
		assertLabelled(t, p)
	}

	// Opt-out scopes are the policy's opt-out purposes; consent purposes
	// all of its purposes, with their titles.
	opt := b.get("/?type=opt_out")
	if got := attrValues(opt.Doc.Find(`input[name=scope]`), "value"); !slices.Equal(got, policy.OptOutScopes) {
		t.Errorf("scopes %v", got)
	}
	cw := b.get("/?type=consent_withdrawal")
	if got := attrValues(cw.Doc.Find(`input[name=purposes]`), "value"); len(got) != len(app.Policy.Purposes) {
		t.Errorf("purposes %v", got)
	}
	if !strings.Contains(cw.text(`label[for="purpose-model_training"]`), "raining") {
		t.Errorf("a purpose is shown by its title: %q", cw.text(`label[for="purpose-model_training"]`))
	}
	// The relationship in words; the countries include every code of
	// country_regimes (US for US-CA) and "Other".
	f := b.get("/?type=access")
	if got := attrValues(f.Doc.Find("#relationship option"), "value"); !slices.Equal(got, []string{"self", "authorized_agent", "parent_guardian", "nominee"}) {
		t.Errorf("relationships %v", got)
	}
	if f.Doc.Find(`#relationship option[value=self]`).Text() != "Myself" {
		t.Error("relationships are in words")
	}
	countries := attrValues(f.Doc.Find("#country option"), "value")
	if countries[0] != "" {
		t.Errorf("the first country option is Other (no country): %q", countries[0])
	}
	for code := range app.Policy.CountryRegimes {
		c, _, _ := strings.Cut(code, "-")
		if !slices.Contains(countries, c) {
			t.Errorf("country %s of country_regimes is not offered", c)
		}
	}
	// Emails link the appeal form with its reference.
	ap := b.get("/?type=appeal&related_reference=DSR-ABCD-EFGH")
	if ap.Doc.Find("#related_reference").AttrOr("value", "") != "DSR-ABCD-EFGH" || ap.Doc.Find("#related_reference[required]").Length() != 1 {
		t.Error("the appeal form prefills its required related reference")
	}
	if gr := b.get("/?type=grievance"); gr.Doc.Find("#related_reference[required]").Length() != 0 || !gr.has(`input#concerns_child[type=checkbox]`) {
		t.Error("a grievance's reference is optional and it has the child checkbox")
	}
}

// Types the policy's country list names by code only are still offered.
func TestCountryListIncludesThePolicyCodes(t *testing.T) {
	b := newFormClient(t, subsetApp(t))
	p := b.get("/?type=access").want(200)
	for _, code := range []string{"US", "IN", "ZW", "FR", "GB", ""} {
		if p.Doc.Find(`#country option[value="`+code+`"]`).Length() != 1 {
			t.Errorf("country %q missing", code)
		}
	}
}

func TestFormPostNeedsTheCSRFToken(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	b := newFormClient(t, app)
	form := b.get("/?type=access").want(200).form("#request-form")
	form.Set("email", "csrf@example.com")
	cookie := ""
	for _, c := range b.c.Jar.Cookies(mustParseURL(t, app.URL)) {
		if c.Name == "rd_csrf" {
			cookie = c.Value
		}
	}
	if cookie == "" || cookie != form.Get("_csrf") {
		t.Fatalf("the form's token %q is not the cookie's %q", form.Get("_csrf"), cookie)
	}

	noToken := url.Values{}
	for k, v := range form {
		if k != "_csrf" {
			noToken[k] = v
		}
	}
	refused := b.post("/requests", noToken, nil)
	if refused.Status != http.StatusForbidden || !strings.Contains(refused.Header.Get("Content-Type"), "text/html") || !refused.has("h1") {
		t.Fatalf("no token: %d %s", refused.Status, refused.Body)
	}
	// A token of another formClient's cookie.
	other := newFormClient(t, app)
	otherForm := other.get("/?type=access").form("#request-form")
	stolen := url.Values{}
	for k, v := range form {
		stolen[k] = v
	}
	stolen.Set("_csrf", otherForm.Get("_csrf"))
	if p := b.post("/requests", stolen, nil); p.Status != http.StatusForbidden {
		t.Fatalf("another cookie's token: %d", p.Status)
	}
	// A cross-site post, even with the right token.
	if p := b.post("/requests", form, map[string]string{"Sec-Fetch-Site": "cross-site"}); p.Status != http.StatusForbidden {
		t.Fatalf("cross-site: %d", p.Status)
	}
	// Same-site (a sibling subdomain) without the token.
	if p := b.post("/requests", noToken, map[string]string{"Sec-Fetch-Site": "same-site"}); p.Status != http.StatusForbidden {
		t.Fatalf("same-site without token: %d", p.Status)
	}
	// No cookie at all.
	if p := newFormClient(t, app).post("/requests", form, nil); p.Status != http.StatusForbidden {
		t.Fatalf("no cookie: %d", p.Status)
	}
	app.Deliver()
	if n := len(app.Resend.Emails()); n != 0 {
		t.Fatalf("a refused post sent %d emails", n)
	}

	// A browser announcing a same-origin post is trusted on that header
	// (echo's CSRF middleware): no token needed.
	if p := newFormClient(t, app).post("/requests", noToken, map[string]string{"Sec-Fetch-Site": "same-origin"}); p.Status != http.StatusOK {
		t.Fatalf("same-origin browser post: %d", p.Status)
	}

	ok := b.post("/requests", form, nil).want(200)
	if ok.text("h1") != "Check your email" {
		t.Fatalf("success page: %s", ok.Body)
	}
	app.Deliver()
	mail := app.LastEmail("verify")
	if mail.To[0] != "csrf@example.com" {
		t.Fatalf("verification email to %v", mail.To)
	}
	r := requestByReference(t, app, regexp.MustCompile(`DSR-[A-Z2-7]{4}-[A-Z2-7]{4}`).FindString(mail.Subject+mail.Text))
	if r.Source != "web" || r.Type != "access" || r.Status != "pending_verification" {
		t.Fatalf("stored request: source %s type %s status %s", r.Source, r.Type, r.Status)
	}
}

func mustParseURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The CSRF cookie: HttpOnly, SameSite=Strict, for the whole site.
func TestCSRFCookieAttributes(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	resp, err := http.Get(app.URL + "/?type=access")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var found bool
	for _, c := range resp.Cookies() {
		if c.Name == "rd_csrf" {
			found = true
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure {
				t.Fatalf("cookie %+v", c)
			}
		}
	}
	if !found {
		t.Fatal("no rd_csrf cookie")
	}
}

// The success page says nothing about whether the email is known.
func TestFormAnswerIsTheSameForKnownAndUnknownEmails(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	known := url.Values{"email": {"known@example.com"}, "name": {"Kim"}}
	b := newFormClient(t, app)
	b.openStatusPage("access", known)
	first := newFormClient(t, app).submitForm("access", known).want(200)
	second := newFormClient(t, app).submitForm("access", url.Values{"email": {"never-seen@example.com"}, "name": {"Kim"}}).want(200)
	strip := regexp.MustCompile(`name="_csrf" value="[^"]*"`)
	if strip.ReplaceAllString(first.Body, "") != strip.ReplaceAllString(second.Body, "") {
		t.Fatalf("known and unknown emails get different pages:\n%s\n---\n%s", first.Body, second.Body)
	}
	if strings.Contains(first.Body, "known@example.com") || strings.Contains(first.Body, "DSR-") {
		t.Fatal("the success page shows the email or a reference")
	}
}

// A refused form comes back with the error next to its field and what was
// typed kept.
func TestFormErrorsAreShownNextToTheirFields(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	b := newFormClient(t, app)
	p := b.submitForm("consent_withdrawal", url.Values{
		"email": {"not an email"}, "name": {"Ada Lovelace"}, "relationship": {"parent_guardian"},
		"country": {"GB"}, "details": {"Please <stop> it."}, "purposes": {"marketing", "profiling"},
	}).want(http.StatusUnprocessableEntity)

	email := p.Doc.Find("#email")
	if email.AttrOr("aria-invalid", "") != "true" || !strings.Contains(email.AttrOr("aria-describedby", ""), "email-error") {
		t.Fatalf("email input:\n%s", p.Body)
	}
	if p.text("#email-error") == "" || p.Doc.Find("#email-error").Parent().Find("#email").Length() != 1 {
		t.Fatal("the error is not next to the email input")
	}
	if href := p.Doc.Find("#error-summary a").AttrOr("href", ""); href != "#email" {
		t.Fatalf("summary links %q", href)
	}
	if email.AttrOr("value", "") != "not an email" || p.Doc.Find("#name").AttrOr("value", "") != "Ada Lovelace" ||
		p.Doc.Find("#details").Text() != "Please <stop> it." || p.Doc.Find("#relationship option[selected]").AttrOr("value", "") != "parent_guardian" ||
		p.Doc.Find("#country option[selected]").AttrOr("value", "") != "GB" {
		t.Fatalf("what was typed is not kept:\n%s", p.Body)
	}
	if got := attrValues(p.Doc.Find("input[name=purposes][checked]"), "value"); !slices.Equal(got, []string{"marketing", "profiling"}) {
		t.Fatalf("checked purposes %v", got)
	}
	if p.Doc.Find("[aria-invalid]").Length() != 1 {
		t.Fatal("only the field at fault is invalid")
	}
	assertLabelled(t, p)

	// Errors of groups: the fieldset describes it; correction rows are kept.
	scope := b.submitForm("opt_out", url.Values{"email": {"o@example.com"}}).want(http.StatusUnprocessableEntity)
	if !strings.Contains(scope.Doc.Find("fieldset#scope").AttrOr("aria-describedby", ""), "scope-error") ||
		scope.Doc.Find("#error-summary a").AttrOr("href", "") != "#scope-sale_sharing" {
		t.Fatalf("opt-out without a scope:\n%s", scope.Body)
	}
	corr := b.submitForm("correction", url.Values{"email": {"c@example.com"}, "correction_2_field": {"address"}, "correction_2_current": {"1 Old Road"}}).want(http.StatusUnprocessableEntity)
	if corr.text("#corrections-error") == "" || corr.Doc.Find("#correction-1-field").AttrOr("value", "") != "address" ||
		corr.Doc.Find("#correction-1-current").AttrOr("value", "") != "1 Old Road" {
		t.Fatalf("correction without the requested value:\n%s", corr.Body)
	}
	nom := b.submitForm("nomination", url.Values{"email": {"n@example.com"}, "nominee_name": {"Ravi"}, "nominee_email": {"ravi@"}}).want(http.StatusUnprocessableEntity)
	if nom.text("#nominee_email-error") == "" || nom.Doc.Find("#nominee_name").AttrOr("value", "") != "Ravi" {
		t.Fatalf("nominee email:\n%s", nom.Body)
	}
	appeal := b.submitForm("appeal", url.Values{"email": {"a@example.com"}, "related_reference": {"DSR-AAAA-BBBB"}}).want(http.StatusUnprocessableEntity)
	if appeal.text("#related_reference-error") == "" || appeal.Doc.Find("#related_reference").AttrOr("value", "") != "DSR-AAAA-BBBB" {
		t.Fatalf("appeal of an unknown reference:\n%s", appeal.Body)
	}
	region := b.submitForm("access", url.Values{"email": {"r@example.com"}, "region": {"CA"}}).want(http.StatusUnprocessableEntity)
	if region.text("#region-error") == "" {
		t.Fatalf("region without a country:\n%s", region.Body)
	}

	// The correct form goes through, with every field reaching the request.
	ok := b.submitForm("correction", url.Values{"email": {"c@example.com"}, "name": {"Cy"}, "country": {"US"}, "region": {"CA"},
		"correction_1_field": {"address"}, "correction_1_requested": {"2 New Street"}, "correction_3_field": {"phone"}, "correction_3_requested": {"555"}})
	ok.want(200)
	app.Deliver()
	mail := app.LastEmail("verify")
	r := requestByReference(t, app, regexp.MustCompile(`DSR-[A-Z2-7]{4}-[A-Z2-7]{4}`).FindString(mail.Subject+mail.Text))
	if r.Regime != "ccpa" || r.Region != "US-CA" || len(r.Corrections) != 2 || r.Corrections[1].Field != "phone" || r.Name != "Cy" {
		t.Fatalf("stored: %+v", r)
	}
}
