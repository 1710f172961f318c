package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/rightsdesk/rightsdesk/handlers"
	"github.com/rightsdesk/rightsdesk/internal/auth"
	"github.com/rightsdesk/rightsdesk/internal/limits"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
)

const specPath = "../docs/openapi.yaml"

// specServerURL is the spec's `servers` entry: requests are matched against
// it, whatever address the test server listens on.
const specServerURL = "http://localhost:8080"

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(specPath)
	if err != nil {
		t.Fatalf("load %s: %v", specPath, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s is not a valid OpenAPI document: %v", specPath, err)
	}
	return doc
}

// newSpecServer builds the real handlers the way apptest.New does, but keeps
// the *handlers.Server so the router itself can be inspected.
func newSpecServer(t *testing.T, lim limits.Config) *handlers.Server {
	t.Helper()
	now := func() time.Time { return time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC) }
	store := testdb.Open(t)
	keys := secrets.Derive([]byte("test secret of at least thirty-two bytes!"))
	reqs := requests.New(store, policy.Default("privacy@example.com"), requests.Config{BaseURL: "http://rightsdesk.test", MailFrom: "privacy@example.com", Keys: keys}, now)
	return handlers.New(handlers.Deps{
		Store: store, Requests: reqs, Staff: staff.New(store, now), JWT: auth.NewJWT(keys.JWTKey(), time.Hour, now),
		Limits: lim,
	})
}

var (
	echoParam    = regexp.MustCompile(`:([A-Za-z0-9_]+)`)
	httpMethods  = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}
	specDecoders sync.Once
)

// specPathOf turns an echo route path into its OpenAPI form:
// /requests/:id → /requests/{id}, /static/* → /static/{path}.
func specPathOf(echoPath string) string {
	p := echoParam.ReplaceAllString(echoPath, "{$1}")
	if strings.HasSuffix(p, "/*") {
		p = strings.TrimSuffix(p, "*") + "{path}"
	}
	return p
}

// Every route the router serves is in the spec, and the spec documents no
// route the router lacks.
func TestRoutesMatchSpec(t *testing.T) {
	doc := loadSpec(t)
	srv := newSpecServer(t, limits.Config{})

	inRouter := map[string]bool{}
	for _, r := range srv.Echo().Routes() {
		// Echo's own catch-all routes (method "echo_route_not_found") are
		// not part of the API.
		if !slices.Contains(httpMethods, r.Method) {
			continue
		}
		// The console is HTML for people, described in the README, not
		// an API.
		if r.Path == "/admin" || strings.HasPrefix(r.Path, "/admin/") {
			continue
		}
		inRouter[r.Method+" "+specPathOf(r.Path)] = true
	}
	inSpec := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			inSpec[strings.ToUpper(method)+" "+path] = true
		}
	}
	var missing, extra []string
	for k := range inRouter {
		if !inSpec[k] {
			missing = append(missing, k)
		}
	}
	for k := range inSpec {
		if !inRouter[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 {
		t.Errorf("routes served but not in %s:\n  %s", specPath, strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("routes in %s that the server does not serve:\n  %s", specPath, strings.Join(extra, "\n  "))
	}
	if len(inRouter) == 0 {
		t.Fatal("the router lists no routes")
	}
}

// specChecker sends requests to a test server and validates every answer
// (status, headers, body) against the spec.
type specChecker struct {
	t      *testing.T
	router routers.Router
	base   string // the test server's URL
	seen   map[string]bool
}

func newSpecChecker(t *testing.T, doc *openapi3.T, base string) *specChecker {
	t.Helper()
	specDecoders.Do(func() {
		// Pages and assets are text; validate them as strings.
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
		openapi3filter.RegisterBodyDecoder("text/css", openapi3filter.PlainBodyDecoder)
	})
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("router from spec: %v", err)
	}
	return &specChecker{t: t, router: r, base: base, seen: map[string]bool{}}
}

type specCall struct {
	method, path string
	body         any // nil, a string (raw) or a value (JSON)
	bearer       string
	header       map[string]string
	want         int
	// validInput: the request is one the spec must accept as well;
	// badInput: one the spec's own schemas must refuse as well.
	validInput, badInput bool
	// noRedirect: check a redirect itself rather than the page it leads to.
	noRedirect bool
}

type specAnswer struct {
	status int
	header http.Header
	body   []byte
}

func (a *specAnswer) m(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("not a JSON object (%d): %s", a.status, a.body)
	}
	return v
}

func (c *specChecker) do(call specCall) *specAnswer {
	t := c.t
	t.Helper()
	var raw []byte
	switch b := call.body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	build := func(base string) *http.Request {
		var rd io.Reader
		if raw != nil {
			rd = bytes.NewReader(raw)
		}
		req, err := http.NewRequest(call.method, base+call.path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if raw != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if call.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+call.bearer)
		}
		for k, v := range call.header {
			req.Header.Set(k, v)
		}
		return req
	}

	client := http.DefaultClient
	if call.noRedirect {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := client.Do(build(c.base))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ans := &specAnswer{status: resp.StatusCode, header: resp.Header, body: body}
	label := call.method + " " + call.path
	if ans.status != call.want {
		t.Fatalf("%s: status %d, want %d: %s", label, ans.status, call.want, body)
	}

	// The same request, addressed to the spec's server.
	specReq := build(specServerURL)
	route, params, err := c.router.FindRoute(specReq)
	if err != nil {
		t.Fatalf("%s: no operation in the spec: %v", label, err)
	}
	ctx := context.Background()
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true, MultiError: true,
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		// date and date-time are asserted by default; assert uuid and email too.
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
			openapi3.WithStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail)),
		},
	}
	in := &openapi3filter.RequestValidationInput{Request: specReq, PathParams: params, Route: route, Options: opts}
	if call.validInput {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			t.Errorf("%s: the server accepted this request but the spec refuses it: %v", label, err)
		}
	}
	if call.badInput {
		if err := openapi3filter.ValidateRequest(ctx, in); err == nil {
			t.Errorf("%s: the server refused this request but the spec accepts it", label)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: ans.status, Header: ans.header, Options: opts}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s → %d does not match the spec: %v\nbody: %s", label, ans.status, err, body)
	}
	c.seen[route.Method+" "+route.Path] = true
	return ans
}

// Realistic calls to every route, each answer checked against the spec.
func TestResponsesMatchSpec(t *testing.T) {
	doc := loadSpec(t)
	app := apptest.New(t, apptest.Options{})
	c := newSpecChecker(t, doc, app.URL)

	c.do(specCall{method: "GET", path: "/healthz", want: 200})
	c.do(specCall{method: "GET", path: "/readyz", want: 200})
	c.do(specCall{method: "GET", path: "/metrics", want: 200})
	c.do(specCall{method: "GET", path: "/static/style.css", want: 200})
	c.do(specCall{method: "GET", path: "/static/nothing-here.css", want: 404})

	// Public intake.
	created := c.do(specCall{method: "POST", path: "/api/v1/requests", validInput: true, want: 202,
		body: map[string]any{"type": "access", "email": "ana@example.com", "name": "Ana", "country": "FR"}}).m(t)
	id := created["id"].(string)
	c.do(specCall{method: "POST", path: "/api/v1/requests", want: 400,
		body: `{"type":"access","email":"ana@example.com","colour":"red"}`, badInput: true})
	c.do(specCall{method: "POST", path: "/api/v1/requests", want: 400,
		body: map[string]any{"type": "opt_out", "email": "ana@example.com"}})
	c.do(specCall{method: "POST", path: "/api/v1/requests", want: 413,
		body: `{"type":"access","email":"a@example.com","details":"` + strings.Repeat("x", 70*1024) + `"}`})
	c.do(specCall{method: "POST", path: "/api/v1/requests", validInput: true, want: 202,
		body: map[string]any{"type": "opt_out", "email": "sam@example.com", "country": "us", "region": "CA",
			"relationship": "authorized_agent", "scope": []string{"sale_sharing", "targeted_ads"}}})
	c.do(specCall{method: "POST", path: "/api/v1/requests", validInput: true, want: 202,
		body: map[string]any{"type": "correction", "email": "kim@example.com", "regime": "lgpd",
			"corrections": []map[string]string{{"field": "address", "current": "1 Old Road", "requested": "2 New Street"}}}})
	c.do(specCall{method: "POST", path: "/api/v1/requests", validInput: true, want: 202,
		body: map[string]any{"type": "nomination", "email": "lee@example.com", "country": "IN",
			"nominee": map[string]string{"name": "Ravi", "email": "ravi@example.com"}}})

	// Verification: the page, then the API, then dead tokens.
	app.Deliver()
	_, token := apptest.LinkIn(t, app.Resend.Emails()[0].Text, "verify")
	c.do(specCall{method: "GET", path: "/verify/" + token, want: 200})
	c.do(specCall{method: "GET", path: "/verify/AAAAAAAAAAAAAAAAAAAAAAAAAA", want: 404})
	c.do(specCall{method: "POST", path: "/verify/" + token, header: map[string]string{"Sec-Fetch-Site": "cross-site"}, want: 403})
	pub := c.do(specCall{method: "POST", path: "/api/v1/verifications", validInput: true, want: 200,
		body: map[string]string{"token": token}}).m(t)
	if pub["status"] != "open" {
		t.Fatalf("verified request: %v", pub)
	}
	c.do(specCall{method: "POST", path: "/api/v1/verifications", body: map[string]string{"token": token}, want: 410})
	c.do(specCall{method: "POST", path: "/api/v1/verifications", body: map[string]string{"token": "AAAAAAAAAAAAAAAAAAAAAAAAAA"}, want: 404})
	c.do(specCall{method: "POST", path: "/api/v1/verifications", body: map[string]string{}, badInput: true, want: 400})
	c.do(specCall{method: "GET", path: "/verify/" + token, want: 410})
	c.do(specCall{method: "POST", path: "/verify/" + token, want: 410})

	// The receipt email links the requester's status page.
	app.Deliver()
	var statusToken string
	for _, e := range app.Resend.Emails() {
		if strings.Contains(e.Text, "/r/") {
			_, statusToken = apptest.LinkIn(t, e.Text, "r")
			break
		}
	}
	if statusToken == "" {
		t.Fatal("no email links the status page")
	}
	c.do(specCall{method: "GET", path: "/r/" + statusToken, want: 200})
	c.do(specCall{method: "GET", path: "/r/AAAAAAAAAAAAAAAAAAAAAAAAAA", want: 404})

	// A second request confirmed through the HTML form.
	var formToken string
	for _, e := range app.Resend.Emails() {
		if strings.Contains(e.Text, "/verify/") && !strings.Contains(e.Text, token) {
			_, formToken = apptest.LinkIn(t, e.Text, "verify")
			break
		}
	}
	if formToken == "" {
		t.Fatal("no second verification email")
	}
	confirmed := c.do(specCall{method: "POST", path: "/verify/" + formToken, noRedirect: true, want: 303})

	// Staff login.
	admin := app.StaffToken("admin@example.com", "admin")
	auditor := app.StaffToken("auditor@example.com", "auditor")
	c.do(specCall{method: "POST", path: "/api/v1/auth/login", validInput: true, want: 200,
		body: map[string]string{"email": "admin@example.com", "password": "correct horse battery"}})
	c.do(specCall{method: "POST", path: "/api/v1/auth/login", want: 401,
		body: map[string]string{"email": "admin@example.com", "password": "wrong horse battery"}})
	c.do(specCall{method: "POST", path: "/api/v1/auth/login", want: 400, body: `{"email":"admin@example.com"`})

	// The queue and the detail.
	list := c.do(specCall{method: "GET", path: "/api/v1/requests?limit=1&due_before=2027-01-01&status=pending_verification", bearer: admin, validInput: true, want: 200}).m(t)
	if list["next_cursor"] == nil {
		t.Fatalf("want a second page: %v", list)
	}
	c.do(specCall{method: "GET", path: "/api/v1/requests?cursor=" + list["next_cursor"].(string) + "&limit=1&due_before=2027-01-01&status=pending_verification", bearer: admin, validInput: true, want: 200})
	c.do(specCall{method: "GET", path: "/api/v1/requests?escalation_level=0&q=ana&type=access&regime=gdpr", bearer: auditor, validInput: true, want: 200})
	c.do(specCall{method: "GET", path: "/api/v1/requests?escalation_level=9", bearer: admin, badInput: true, want: 400})
	c.do(specCall{method: "GET", path: "/api/v1/requests", want: 401})
	c.do(specCall{method: "GET", path: "/api/v1/requests", bearer: "not-a-token", want: 401})
	c.do(specCall{method: "GET", path: "/api/v1/requests/" + id, bearer: admin, want: 200})
	c.do(specCall{method: "GET", path: "/api/v1/requests/01950c6e-4f9a-7b8e-9a51-3c2d1e0f4a5b", bearer: admin, want: 404})

	// Actions.
	actions := "/api/v1/requests/" + id + "/actions"
	c.do(specCall{method: "POST", path: actions, bearer: admin, body: map[string]any{"action": "complete"}, validInput: true, want: 409})
	c.do(specCall{method: "POST", path: actions, bearer: admin, body: map[string]any{"action": "fly"}, badInput: true, want: 400})
	c.do(specCall{method: "POST", path: actions, bearer: admin, body: map[string]any{"action": "deny"}, validInput: true, want: 400})
	c.do(specCall{method: "POST", path: actions, bearer: auditor, body: map[string]any{"action": "start"}, want: 403})
	c.do(specCall{method: "POST", path: "/api/v1/requests/01950c6e-4f9a-7b8e-9a51-3c2d1e0f4a5b/actions", bearer: admin, body: map[string]any{"action": "start"}, want: 404})
	c.do(specCall{method: "POST", path: actions, bearer: admin, body: map[string]any{"action": "assign", "assignee": "admin@example.com"}, validInput: true, want: 200})
	c.do(specCall{method: "POST", path: actions, bearer: admin, body: map[string]any{"action": "start"}, validInput: true, want: 200})
	c.do(specCall{method: "POST", path: actions, bearer: admin, body: map[string]any{"action": "extend", "days": 0, "reason": "x"}, badInput: true, want: 400})
	c.do(specCall{method: "POST", path: actions, bearer: admin, body: map[string]any{"action": "extend", "days": 30, "reason": "Three systems to search."}, validInput: true, want: 200})
	c.do(specCall{method: "POST", path: actions, bearer: admin, body: map[string]any{"action": "note", "note": "Called the requester."}, validInput: true, want: 200})
	done := c.do(specCall{method: "POST", path: actions, bearer: admin, body: map[string]any{"action": "complete", "reason": "All records sent."}, validInput: true, want: 200}).m(t)
	if done["status"] != "completed" || done["outcome"] != "complied" {
		t.Fatalf("after complete: %v", done)
	}

	// Staff intake.
	c.do(specCall{method: "POST", path: "/api/v1/requests/intake", bearer: admin, validInput: true, want: 201,
		body: map[string]any{"type": "deletion", "email": "post@example.com", "name": "Lee Writer", "country": "GB",
			"received_at": "2026-01-20T09:30:00Z", "verified": true, "details": "Received by post."}})
	c.do(specCall{method: "POST", path: "/api/v1/requests/intake", bearer: admin, validInput: true, want: 201,
		body: map[string]any{"type": "grievance", "email": "ana@example.com", "related_reference": created["reference"],
			"country": "IN", "concerns_child": true, "received_at": "2026-01-30T12:00:00+05:30"}})
	c.do(specCall{method: "POST", path: "/api/v1/requests/intake", bearer: admin, want: 400,
		body: map[string]any{"type": "access", "email": "post@example.com", "received_at": "yesterday"}, badInput: true})
	c.do(specCall{method: "POST", path: "/api/v1/requests/intake", bearer: auditor, want: 403,
		body: map[string]any{"type": "access", "email": "post@example.com", "received_at": "2026-01-20T09:30:00Z"}})
	c.do(specCall{method: "POST", path: "/api/v1/requests/intake", want: 401,
		body: map[string]any{"type": "access", "email": "post@example.com", "received_at": "2026-01-20T09:30:00Z"}})

	// The email outbox, for admins only.
	app.Deliver()
	c.do(specCall{method: "GET", path: "/api/v1/outbox?limit=5", bearer: admin, validInput: true, want: 200})
	c.do(specCall{method: "GET", path: "/api/v1/outbox?status=sent", bearer: admin, validInput: true, want: 200})
	c.do(specCall{method: "GET", path: "/api/v1/outbox?status=lost", bearer: admin, badInput: true, want: 400})
	c.do(specCall{method: "GET", path: "/api/v1/outbox", bearer: auditor, want: 403})
	c.do(specCall{method: "GET", path: "/api/v1/outbox", want: 401})

	// The yearly metrics report, as JSON and as CSV.
	c.do(specCall{method: "GET", path: "/api/v1/reports/metrics?year=2026", bearer: auditor, validInput: true, want: 200})
	c.do(specCall{method: "GET", path: "/api/v1/reports/metrics?format=csv", bearer: admin, validInput: true, want: 200})
	c.do(specCall{method: "GET", path: "/api/v1/reports/metrics", header: map[string]string{"Accept": "text/csv"}, bearer: admin, validInput: true, want: 200})
	c.do(specCall{method: "GET", path: "/api/v1/reports/metrics?year=1999", bearer: admin, badInput: true, want: 400})
	c.do(specCall{method: "GET", path: "/api/v1/reports/metrics?format=xml", bearer: admin, badInput: true, want: 400})
	c.do(specCall{method: "GET", path: "/api/v1/reports/metrics", want: 401})
	writeKey, _, err := app.Staff.CreateAPIKey(context.Background(), "crm", []string{"requests:write"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	c.do(specCall{method: "GET", path: "/api/v1/reports/metrics", bearer: writeKey, want: 403})

	exerciseConsentAPI(t, c, app, auditor, writeKey)
	exerciseWebhooks(t, c, app, admin, auditor, writeKey)
	exerciseFulfilment(t, c, app, admin, auditor, writeKey)

	// The public pages' forms.
	exercisePageForms(t, c, app, confirmed.header.Get("Location"))
	exerciseConsentPages(t, c, app)

	// Every operation of the spec was exercised at least once.
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !c.seen[method+" "+path] {
				t.Errorf("%s %s was not exercised", method, path)
			}
		}
	}
}

// The statuses apptest cannot produce: 429 from the public rate limit, and
// 503 from readyz when the database is gone.
func TestLimitAndReadinessAnswersMatchSpec(t *testing.T) {
	doc := loadSpec(t)
	srv := newSpecServer(t, limits.Config{IP: limits.Rate{N: 1, Per: time.Hour}, Tokens: limits.Rate{N: 1, Per: time.Hour}})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	c := newSpecChecker(t, doc, hs.URL)

	c.do(specCall{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": "x@example.com", "password": "whatever it is"}, want: 401})
	c.do(specCall{method: "POST", path: "/api/v1/auth/login", body: map[string]string{"email": "x@example.com", "password": "whatever it is"}, want: 429})
	c.do(specCall{method: "POST", path: "/api/v1/requests", body: map[string]any{"type": "access", "email": "a@example.com"}, want: 429})
	c.do(specCall{method: "POST", path: "/api/v1/verifications", body: map[string]string{"token": "AAAAAAAAAAAAAAAAAAAAAAAAAA"}, want: 429})
	c.do(specCall{method: "POST", path: "/verify/AAAAAAAAAAAAAAAAAAAAAAAAAA", header: map[string]string{"Accept": "text/html"}, want: 429})
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	c.do(specCall{method: "POST", path: "/requests", body: "_csrf=x&type=access&email=a%40example.com", header: form, want: 429})
	c.do(specCall{method: "POST", path: "/r/AAAAAAAAAAAAAAAAAAAAAAAAAA/withdraw", body: "_csrf=x", header: form, want: 429})
	c.do(specCall{method: "POST", path: "/r/AAAAAAAAAAAAAAAAAAAAAAAAAA/answer", body: "_csrf=x&answer=yes", header: form, want: 429})
	// One wrong link token locks the address out of every guarded route.
	page := map[string]string{"Accept": "text/html"}
	c.do(specCall{method: "GET", path: "/r/AAAAAAAAAAAAAAAAAAAAAAAAAA", header: page, want: 404})
	c.do(specCall{method: "GET", path: "/r/AAAAAAAAAAAAAAAAAAAAAAAAAA", header: page, want: 429})
	c.do(specCall{method: "GET", path: "/verify/AAAAAAAAAAAAAAAAAAAAAAAAAA", header: page, want: 429})
	c.do(specCall{method: "GET", path: "/consents/AAAAAAAAAAAAAAAAAAAAAAAAAA", header: page, want: 429})
	c.do(specCall{method: "GET", path: "/api/v1/requests", header: map[string]string{"Authorization": "Bearer rdk_forged"}, want: 429})

	if err := srv.Store.Close(); err != nil {
		t.Fatal(err)
	}
	c.do(specCall{method: "GET", path: "/readyz", want: 503})
	c.do(specCall{method: "GET", path: "/healthz", want: 200})
}

// exercisePageForms calls the request form and the status page's forms the
// way a browser does: the CSRF token of the rd_csrf cookie, echoed in the
// form's _csrf field. confirmedAt is the status page a confirmation
// redirected to.
func exercisePageForms(t *testing.T, c *specChecker, app *apptest.App, confirmedAt string) {
	t.Helper()
	c.do(specCall{method: "GET", path: "/", want: 200})
	c.do(specCall{method: "GET", path: "/?type=fly", want: 400})
	c.do(specCall{method: "GET", path: "/?type=appeal&related_reference=DSR-ABCD-EFGH", validInput: true, want: 200})
	page := c.do(specCall{method: "GET", path: "/?type=correction", validInput: true, want: 200})
	var token string
	for _, ck := range (&http.Response{Header: page.header}).Cookies() {
		if ck.Name == "rd_csrf" {
			token = ck.Value
		}
	}
	if token == "" || !strings.Contains(string(page.body), `value="`+token+`"`) {
		t.Fatalf("the form carries no CSRF token of its cookie (%q)", token)
	}
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": "rd_csrf=" + token}
	csrf := "_csrf=" + token + "&"

	c.do(specCall{method: "POST", path: "/requests", header: form, validInput: true, want: 200,
		body: csrf + "type=correction&email=form%40example.com&name=Flo&relationship=self&country=US&region=CA&correction_1_field=address&correction_1_requested=2+New+Street"})
	c.do(specCall{method: "POST", path: "/requests", header: form, validInput: true, want: 200,
		body: csrf + "type=opt_out&email=form%40example.com&scope=sale_sharing&scope=targeted_ads"})
	c.do(specCall{method: "POST", path: "/requests", header: form, validInput: true, want: 422,
		body: csrf + "type=access&email=not+an+email&name=Flo"})
	c.do(specCall{method: "POST", path: "/requests", header: form, badInput: true, want: 400,
		body: csrf + "type=fly&email=form%40example.com"})
	c.do(specCall{method: "POST", path: "/requests", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, badInput: true, want: 403,
		body: "type=access&email=form%40example.com"})
	c.do(specCall{method: "POST", path: "/requests", header: form, want: 413,
		body: csrf + "type=access&email=form%40example.com&details=" + strings.Repeat("x", 70*1024)})

	// The status page of the request confirmed through the form.
	loc, err := url.Parse(confirmedAt)
	if err != nil || !strings.HasPrefix(loc.Path, "/r/") || loc.Query().Get("done") != "confirmed" {
		t.Fatalf("confirmation redirected to %q", confirmedAt)
	}
	status := c.do(specCall{method: "GET", path: confirmedAt, validInput: true, want: 200})
	ref := regexp.MustCompile(`DSR-[A-Z2-7]{4}-[A-Z2-7]{4}`).FindString(string(status.body))
	r, err := app.Store.GetRequestByReference(context.Background(), ref)
	if err != nil {
		t.Fatalf("request %q: %v", ref, err)
	}
	admin := app.Login("admin@example.com")
	if res := app.Do("POST", "/api/v1/requests/"+r.ID+"/actions", map[string]any{"action": "request_info", "note": "Which account?"}, admin); res.Status != 200 {
		t.Fatalf("request_info: %d %s", res.Status, res.Body)
	}
	answer, withdraw := loc.Path+"/answer", loc.Path+"/withdraw"
	c.do(specCall{method: "POST", path: answer, header: form, validInput: true, want: 422, body: csrf + "answer=+++"})
	c.do(specCall{method: "POST", path: answer, header: form, badInput: true, want: 403, body: "answer=mine"})
	c.do(specCall{method: "POST", path: answer, header: form, validInput: true, noRedirect: true, want: 303, body: csrf + "answer=The+one+from+2019."})
	c.do(specCall{method: "POST", path: answer, header: form, validInput: true, want: 409, body: csrf + "answer=Again."})
	c.do(specCall{method: "POST", path: "/r/AAAAAAAAAAAAAAAAAAAAAAAAAA/answer", header: form, validInput: true, want: 404, body: csrf + "answer=Hello."})
	c.do(specCall{method: "POST", path: answer, header: form, want: 413, body: csrf + "answer=" + strings.Repeat("x", 70*1024)})
	c.do(specCall{method: "POST", path: withdraw, header: form, validInput: true, want: 422, body: csrf + "reason=bell%07"})
	c.do(specCall{method: "POST", path: withdraw, header: form, badInput: true, want: 403, body: "reason=x"})
	c.do(specCall{method: "POST", path: withdraw, header: form, validInput: true, noRedirect: true, want: 303, body: csrf + "reason=Not+needed+any+more."})
	c.do(specCall{method: "POST", path: withdraw, header: form, validInput: true, want: 409, body: csrf})
	c.do(specCall{method: "POST", path: "/r/AAAAAAAAAAAAAAAAAAAAAAAAAA/withdraw", header: form, validInput: true, want: 404, body: csrf})
	c.do(specCall{method: "POST", path: withdraw, header: form, want: 413, body: csrf + "reason=" + strings.Repeat("x", 70*1024)})
	c.do(specCall{method: "GET", path: loc.Path + "?done=withdrawn", validInput: true, want: 200})

	// Status links expire after 90 days.
	app.Clock.Add(91 * 24 * time.Hour)
	c.do(specCall{method: "GET", path: loc.Path, want: 410})
	c.do(specCall{method: "POST", path: answer, header: form, validInput: true, want: 410, body: csrf + "answer=Late."})
	c.do(specCall{method: "POST", path: withdraw, header: form, validInput: true, want: 410, body: csrf})
}

// exerciseConsentAPI calls the host applications' consent API and the staff
// subject view with good and bad input.
func exerciseConsentAPI(t *testing.T, c *specChecker, app *apptest.App, auditor, requestsKey string) {
	t.Helper()
	host, _, err := app.Staff.CreateAPIKey(context.Background(), "shop", []string{"consents:read", "consents:write"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	ev := c.do(specCall{method: "POST", path: "/api/v1/consents", bearer: host, validInput: true, want: 201,
		body: map[string]any{"email": "ana@example.com", "subject_id": "u-1", "purpose": "model_training",
			"action": "withdraw", "source": "web_form", "evidence": "settings page"}}).m(t)
	c.do(specCall{method: "POST", path: "/api/v1/consents", bearer: host, validInput: true, want: 201,
		body: map[string]any{"subject_id": "u-2", "purpose": "marketing", "action": "grant", "source": "api", "policy_version": "v9"}})
	c.do(specCall{method: "POST", path: "/api/v1/consents", bearer: host, validInput: true, want: 409,
		body: map[string]any{"email": "ana@example.com", "subject_id": "u-2", "purpose": "marketing", "action": "grant", "source": "api"}})
	c.do(specCall{method: "POST", path: "/api/v1/consents", bearer: host, want: 400,
		body: map[string]any{"email": "ana@example.com", "purpose": "astrology", "action": "grant", "source": "api"}})
	c.do(specCall{method: "POST", path: "/api/v1/consents", bearer: host, badInput: true, want: 400,
		body: map[string]any{"email": "ana@example.com", "purpose": "marketing", "action": "grant", "source": "api", "colour": "red"}})
	c.do(specCall{method: "POST", path: "/api/v1/consents", bearer: host, badInput: true, want: 400,
		body: map[string]any{"email": "ana@example.com", "purpose": "marketing", "action": "maybe", "source": "api"}})
	c.do(specCall{method: "POST", path: "/api/v1/consents", bearer: requestsKey, want: 403,
		body: map[string]any{"email": "ana@example.com", "purpose": "marketing", "action": "grant", "source": "api"}})
	c.do(specCall{method: "POST", path: "/api/v1/consents", want: 401,
		body: map[string]any{"email": "ana@example.com", "purpose": "marketing", "action": "grant", "source": "api"}})

	st := c.do(specCall{method: "GET", path: "/api/v1/consents/check?email=ana@example.com&purpose=model_training", bearer: host, validInput: true, want: 200}).m(t)
	if st["granted"] != false || st["source"] != "web_form" {
		t.Fatalf("check after withdraw: %v", st)
	}
	def := c.do(specCall{method: "GET", path: "/api/v1/consents/check?subject_id=nobody&purpose=marketing", bearer: auditor, validInput: true, want: 200}).m(t)
	if def["granted"] != true || def["source"] != "default" || def["since"] != nil {
		t.Fatalf("check of an unknown subject: %v", def)
	}
	c.do(specCall{method: "GET", path: "/api/v1/consents/check?email=ana@example.com", bearer: host, badInput: true, want: 400})
	c.do(specCall{method: "GET", path: "/api/v1/consents/check?email=ana@example.com&purpose=marketing&colour=red", bearer: host, want: 400})
	c.do(specCall{method: "GET", path: "/api/v1/consents/check?purpose=marketing", bearer: requestsKey, want: 403})
	c.do(specCall{method: "GET", path: "/api/v1/consents/check?purpose=marketing&email=a@example.com", want: 401})

	subj := c.do(specCall{method: "GET", path: "/api/v1/subjects/consents?email=ana@example.com", bearer: auditor, validInput: true, want: 200}).m(t)
	if subj["known"] != true || len(subj["history"].([]any)) != 1 {
		t.Fatalf("subject view: %v", subj)
	}
	c.do(specCall{method: "GET", path: "/api/v1/subjects/consents?subject_id=never-seen", bearer: host, validInput: true, want: 200})
	c.do(specCall{method: "GET", path: "/api/v1/subjects/consents", bearer: auditor, want: 400})
	c.do(specCall{method: "GET", path: "/api/v1/subjects/consents?email=ana@example.com&subject_id=u-2", bearer: auditor, validInput: true, want: 409})
	c.do(specCall{method: "GET", path: "/api/v1/subjects/consents?email=ana@example.com", want: 401})
	c.do(specCall{method: "GET", path: "/api/v1/subjects/consents?email=ana@example.com", bearer: requestsKey, want: 403})

	c.do(specCall{method: "GET", path: "/api/v1/consents/" + ev["id"].(string) + "/receipt", bearer: auditor, want: 200})
	c.do(specCall{method: "GET", path: "/api/v1/consents/01950c6e-4f9a-7b8e-9a51-3c2d1e0f4a5b/receipt", bearer: auditor, want: 404})
	c.do(specCall{method: "GET", path: "/api/v1/consents/" + ev["id"].(string) + "/receipt", want: 401})
	c.do(specCall{method: "GET", path: "/api/v1/consents/" + ev["id"].(string) + "/receipt", bearer: requestsKey, want: 403})

	lines := `{"external_id":"old-1","email":"lee@example.com","purpose":"marketing","action":"grant","at":"2024-05-01T09:00:00Z"}` + "\n" +
		`{"external_id":"old-2","email":"lee@example.com","purpose":"nope","action":"grant","at":"2024-05-01T09:00:00Z"}` + "\n"
	rep := c.do(specCall{method: "POST", path: "/api/v1/consents/import", bearer: host, body: lines,
		header: map[string]string{"Content-Type": "application/x-ndjson"}, want: 200}).m(t)
	if rep["imported"] != float64(1) || rep["failed"] != float64(1) {
		t.Fatalf("import report: %v", rep)
	}
	c.do(specCall{method: "POST", path: "/api/v1/consents/import?format=csv", bearer: host, want: 200,
		body:   "external_id,email,subject_id,purpose,action,at,policy_version,evidence\nold-3,,u-9,marketing,withdraw,2025-02-01T09:00:00Z,v3,unsubscribe link\n",
		header: map[string]string{"Content-Type": "text/csv"}})
	c.do(specCall{method: "POST", path: "/api/v1/consents/import", bearer: host, body: "a,b\n1,2\n",
		header: map[string]string{"Content-Type": "text/csv"}, want: 400})
	c.do(specCall{method: "POST", path: "/api/v1/consents/import", bearer: host, body: `{"external_id":"x"}`, want: 415})
	c.do(specCall{method: "POST", path: "/api/v1/consents/import", bearer: auditor, body: lines,
		header: map[string]string{"Content-Type": "application/x-ndjson"}, want: 403})
	c.do(specCall{method: "POST", path: "/api/v1/consents/import", body: lines,
		header: map[string]string{"Content-Type": "application/x-ndjson"}, want: 401})
}
