package handlers_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/internal/testutil/dbsnap"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
)

// The bad-input table (docs/security.md, "Bad input"): every route that
// takes input, sent what a careless or hostile client sends. Each row of
// badInputRows is sent to a real server, on SQLite or on PostgreSQL
// (RIGHTSDESK_TEST_DATABASE_URL), and must get its answer and change
// nothing in the database. badInputAccepted holds the few hostile strings
// that are legitimately accepted as text; they are checked for being stored
// verbatim and rendered inert instead.

// badInput is one row of the table.
type badInput struct {
	Endpoint string // the route as docs/openapi.yaml names it: "POST /api/v1/requests"
	Case     string // what is wrong with the input, in words
	// Path is the path sent, Header the headers, Body a raw body and Form
	// a form body; each may name fixtures in braces ({admin}, {open_id}…),
	// replaced before sending (Form values are encoded after that).
	Path   string
	Header map[string]string
	Body   string
	Form   url.Values
	// The answer: its status, and the error envelope's code and field. An
	// HTML page (public pages, console) has no code: Page is set; Plain
	// is a text/plain answer.
	Status int
	Code   string
	Field  string
	Page   bool
	Plain  bool
	// Note says what a 2xx answer holds, for the doc; BodyHas is a string
	// the answer must contain to show it.
	Note, BodyHas string
}

func (r badInput) method() string { m, _, _ := strings.Cut(r.Endpoint, " "); return m }

// answer is the row's answer in the doc's words.
func (r badInput) answer() string {
	s := fmt.Sprint(r.Status)
	switch {
	case r.Code != "":
		s += " `" + r.Code + "`"
		if r.Field != "" {
			s += " (field `" + r.Field + "`)"
		}
	case r.Page:
		s += " HTML page"
	case r.Plain:
		s += " text"
	}
	if r.Note != "" {
		s += ", " + r.Note
	}
	return s
}

// Strings that no answer may contain: a reflected script, and traces of
// the server's insides (a stack, a driver's or the database's words).
var (
	rawScript = "<script>alert(1)</script>"
	leaks     = []string{"goroutine ", "panic", "runtime error", ".go:", "sqlite", "SQLSTATE", "pgx", "gorm", "syntax error", "constraint failed", "duplicate key"}
)

func TestBadInput(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	fx := newBadInputFixtures(t, app)
	t.Logf("database: %s", testdb.Name())
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, row := range badInputRows() {
		t.Run(row.Endpoint+"/"+row.Case, func(t *testing.T) {
			before := dbsnap.Take(t, app.Store)
			resp, body := sendBadInput(t, client, app, fx, row)
			checkBadInputAnswer(t, row, resp, body)
			if d := dbsnap.Diff(before, dbsnap.Take(t, app.Store)); len(d) > 0 {
				t.Errorf("the database changed:\n  %s", strings.Join(d, "\n  "))
			}
		})
	}
	// The control: a good request on the same app must show in the diff,
	// or the rows' "nothing changed" proves nothing on this engine.
	before := dbsnap.Take(t, app.Store)
	if r := app.Do("POST", "/api/v1/requests", obj{"type": "access", "email": "control@example.com"}, ""); r.Status != 202 {
		t.Fatalf("control request: %d %s", r.Status, r.Body)
	}
	if d := dbsnap.Diff(before, dbsnap.Take(t, app.Store)); len(d) == 0 {
		t.Error("a request that was accepted changed nothing the snapshot sees")
	}
}

// sendBadInput sends a row with its fixtures filled in.
func sendBadInput(t *testing.T, client *http.Client, app *apptest.App, fx badInputFixtures, row badInput) (*http.Response, string) {
	t.Helper()
	body := fx.fill(row.Body)
	if row.Form != nil {
		f := url.Values{}
		for k, vs := range row.Form {
			for _, v := range vs {
				f.Add(fx.fill(k), fx.fill(v))
			}
		}
		body = f.Encode()
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(row.method(), app.URL+fx.fill(row.Path), rd)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case row.Form != nil:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case body != "":
		req.Header.Set("Content-Type", "application/json")
	}
	if !strings.HasPrefix(row.Path, "/api/") {
		req.Header.Set("Accept", "text/html")
	}
	for k, v := range row.Header {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, fx.fill(v))
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

func checkBadInputAnswer(t *testing.T, row badInput, resp *http.Response, body string) {
	t.Helper()
	if resp.StatusCode != row.Status {
		t.Fatalf("status %d, want %d: %.600s", resp.StatusCode, row.Status, body)
	}
	if strings.Contains(body, rawScript) {
		t.Errorf("the answer reflects the script unescaped: %.600s", body)
	}
	for _, l := range leaks {
		if strings.Contains(strings.ToLower(body), strings.ToLower(l)) {
			t.Errorf("the answer leaks %q: %.600s", l, body)
		}
	}
	for _, c := range resp.Cookies() {
		if c.Name == "a" {
			t.Errorf("a header was injected: Set-Cookie %s", c.Raw)
		}
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case row.Page:
		if ct != "text/html" {
			t.Errorf("Content-Type %q, want an HTML page: %.300s", ct, body)
		}
	case row.Plain:
		if ct != "text/plain" {
			t.Errorf("Content-Type %q, want text/plain: %.300s", ct, body)
		}
	case row.Code != "":
		if ct != "application/json" {
			t.Fatalf("Content-Type %q, want the JSON envelope: %.300s", ct, body)
		}
		var env map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &env); err != nil || len(env) != 1 || env["error"] == nil {
			t.Fatalf("not the error envelope: %s", body)
		}
		var e struct{ Code, Message, Field string }
		if err := json.Unmarshal(env["error"], &e); err != nil {
			t.Fatalf("not the error envelope: %s", body)
		}
		if e.Code != row.Code || e.Field != row.Field || e.Message == "" {
			t.Errorf("envelope code %q field %q message %q; want code %q field %q", e.Code, e.Field, e.Message, row.Code, row.Field)
		}
	}
	if row.BodyHas != "" && !strings.Contains(body, row.BodyHas) {
		t.Errorf("the answer lacks %q: %.600s", row.BodyHas, body)
	}
}

// The doc's table is rendered from the rows, so that it cannot drift from
// what is tested.

var updateSecurityDoc = flag.Bool("update", false, "rewrite the bad-input table of docs/security.md from the test's rows")

const (
	securityDoc    = "../docs/security.md"
	badInputBegin  = "<!-- bad-input:begin -->"
	badInputEnd    = "<!-- bad-input:end -->"
	badInputRegen  = "go test ./handlers -run TestBadInputDoc -update"
	badInputHeader = "<!-- generated from handlers/badinput_*_test.go by `" + badInputRegen + "`; do not edit by hand -->"
)

func TestBadInputDoc(t *testing.T) {
	raw, err := os.ReadFile(securityDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	start, end := strings.Index(doc, badInputBegin), strings.Index(doc, badInputEnd)
	if start < 0 || end < start {
		t.Fatalf("%s lacks the markers %s and %s", securityDoc, badInputBegin, badInputEnd)
	}
	want := badInputBegin + "\n" + renderBadInputTable(badInputRows(), badInputAccepted()) + badInputEnd
	got := doc[start : end+len(badInputEnd)]
	if got == want {
		return
	}
	if *updateSecurityDoc {
		if err := os.WriteFile(securityDoc, []byte(doc[:start]+want+doc[end+len(badInputEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/security.md's bad-input table differs from the test's rows; run\n\t%s\nfirst differing line:\n%s", badInputRegen, firstDiff(got, want))
}

// renderBadInputTable writes one table per endpoint, in the rows' order,
// then the accepted strings.
func renderBadInputTable(rows []badInput, accepted []acceptedInput) string {
	var b strings.Builder
	b.WriteString(badInputHeader + "\n")
	fmt.Fprintf(&b, "\n%d inputs on %d endpoints; none of them changes the database.\n", len(rows), countEndpoints(rows))
	var order []string
	byEndpoint := map[string][]badInput{}
	for _, r := range rows {
		if byEndpoint[r.Endpoint] == nil {
			order = append(order, r.Endpoint)
		}
		byEndpoint[r.Endpoint] = append(byEndpoint[r.Endpoint], r)
	}
	for _, ep := range order {
		fmt.Fprintf(&b, "\n### `%s`\n\n| input | answer |\n|---|---|\n", ep)
		for _, r := range byEndpoint[ep] {
			fmt.Fprintf(&b, "| %s | %s |\n", mdCell(r.Case), r.answer())
		}
	}
	b.WriteString("\n### Accepted as inert text\n\n")
	b.WriteString("These hostile strings are valid free text. They are stored verbatim and shown escaped; no email header can be added through them.\n\n")
	b.WriteString("| endpoint | input | answer |\n|---|---|---|\n")
	for _, a := range accepted {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", a.Endpoint, mdCell(a.Case), mdCell(a.Answer))
	}
	b.WriteString("\n")
	return b.String()
}

func countEndpoints(rows []badInput) int {
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.Endpoint] = true
	}
	return len(seen)
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d\n  doc:  %s\n  test: %s", i+1, gl, wl)
		}
	}
	return ""
}
