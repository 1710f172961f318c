package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/observe"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
)

// lockedBuffer is a log destination shared by the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type loggedCall struct {
	label  string
	status int
	id     string // the response's X-Request-Id
}

// A whole journey through the real server, logging JSON as in production:
// every line parses, every line of request handling carries the request
// id its response carried, and no line holds the requester's email, name
// or words, a link token, a JWT, an API key or a staff password.
func TestLogsCarryRequestIDsAndNoPersonalData(t *testing.T) {
	const (
		email      = "Quentin.Zalewski-Obrien@example.org"
		name       = "Quentin Zalewskiovich"
		details    = "Please find the photos of my cat Brumbleflax"
		note       = "Phoned the requester on 07700 900123"
		evidence   = "signed paper form Xylophonic-42"
		staffEmail = "officer.kowalczyk@example.org"
		password   = "correct horse battery"
	)
	var (
		buf    lockedBuffer
		calls  []loggedCall
		hidden = []string{email, "Zalewski", name, "Brumbleflax", "07700 900123", "Xylophonic", staffEmail, password}
	)
	// Checked once the test server has closed, which waits for every
	// handler: a client can read a response before its handler has
	// written its last line.
	t.Cleanup(func() { checkRequestLogs(t, buf.String(), calls, hidden) })
	app := apptest.New(t, apptest.Options{Log: observe.NewLogger(true, &buf)})

	do := func(label, method, path string, body any, bearer string, want int) *apptest.Response {
		t.Helper()
		r := app.Do(method, path, body, bearer)
		if r.Status != want {
			t.Fatalf("%s: %d, want %d: %s", label, r.Status, want, r.Body)
		}
		calls = append(calls, loggedCall{label, r.Status, r.Header.Get("X-Request-Id")})
		return r
	}

	do("intake", "POST", "/api/v1/requests", map[string]any{"type": "access", "email": email, "name": name, "details": details, "country": "FR"}, "", 202)
	app.Deliver()
	_, verifyToken := apptest.LinkIn(t, app.LastEmail("verify").Text, "verify")
	do("confirm page", "GET", "/verify/"+verifyToken, nil, "", 200)
	do("verify", "POST", "/api/v1/verifications", map[string]string{"token": verifyToken}, "", 200)
	app.Deliver()
	_, statusToken := apptest.LinkIn(t, app.LastEmail("r").Text, "r")
	do("status page", "GET", "/r/"+statusToken, nil, "", 200)

	if _, err := app.Staff.CreateUser(context.Background(), staffEmail, "admin", password); err != nil {
		t.Fatal(err)
	}
	var login struct{ Token string }
	do("login", "POST", "/api/v1/auth/login", map[string]string{"email": staffEmail, "password": password}, "", 200).JSON(t, &login)
	var list struct {
		Items []struct{ ID string }
	}
	do("search", "GET", "/api/v1/requests?q="+email, nil, login.Token, 200).JSON(t, &list)
	if len(list.Items) != 1 {
		t.Fatalf("search found %d requests", len(list.Items))
	}
	reqID := list.Items[0].ID
	do("note", "POST", "/api/v1/requests/"+reqID+"/actions", map[string]any{"action": "note", "note": note}, login.Token, 200)
	do("start", "POST", "/api/v1/requests/"+reqID+"/actions", map[string]any{"action": "start"}, login.Token, 200)

	key, _, err := app.Staff.CreateAPIKey(context.Background(), "shop", []string{"consents:read", "consents:write"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	do("consent write", "POST", "/api/v1/consents", map[string]any{"email": email, "purpose": "model_training", "action": "withdraw",
		"source": "api", "evidence": evidence}, key, 201)
	do("consent check", "GET", "/api/v1/consents/check?purpose=model_training&email="+email, nil, key, 200)
	app.Deliver()

	unknown := secrets.NewToken()
	do("unknown status token", "GET", "/r/"+unknown, nil, "", 404)
	do("unknown verification", "POST", "/api/v1/verifications", map[string]string{"token": unknown}, "", 404)

	// A failure deep in a write: the email cannot be queued.
	db, err := app.Store.SQL()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("ALTER TABLE outbox_messages RENAME TO outbox_messages_gone"); err != nil {
		t.Fatal(err)
	}
	do("failing intake", "POST", "/api/v1/requests", map[string]any{"type": "access", "email": email, "name": name, "details": details, "country": "FR"}, "", 500)

	hidden = append(hidden, verifyToken, statusToken, unknown, login.Token, key)
}

func checkRequestLogs(t *testing.T, out string, calls []loggedCall, hidden []string) {
	t.Helper()
	ids := map[string]bool{}
	for _, c := range calls {
		if c.id == "" || ids[c.id] {
			t.Errorf("%s: X-Request-Id %q is empty or not unique", c.label, c.id)
		}
		ids[c.id] = true
	}
	type line = map[string]any
	accessLine, failedLine := map[string]line{}, map[string]line{}
	background := 0
	for _, raw := range strings.Split(strings.TrimSpace(out), "\n") {
		var l line
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Errorf("not a JSON line: %s", raw)
			continue
		}
		if _, ok := l["component"]; ok {
			background++
			continue
		}
		rid, _ := l["request_id"].(string)
		if !ids[rid] {
			t.Errorf("a line of request handling has request_id %q, which no response carried: %s", rid, raw)
		}
		switch l["msg"] {
		case "http":
			accessLine[rid] = l
		case "request failed":
			failedLine[rid] = l
		}
	}
	for _, c := range calls {
		if l := accessLine[c.id]; l == nil || l["status"] != float64(c.status) {
			t.Errorf("%s: no access line with status %d for request id %s (got %v)", c.label, c.status, c.id, l)
		}
		if _, ok := failedLine[c.id]; ok != (c.status >= 500) {
			t.Errorf("%s: %d answered, error line logged: %v", c.label, c.status, ok)
		}
	}
	if background == 0 {
		t.Error("no line from the email sender: its lines were not checked")
	}
	lower := strings.ToLower(out)
	for _, s := range hidden {
		if strings.Contains(lower, strings.ToLower(s)) {
			t.Errorf("the logs hold %q", s)
		}
	}
	if t.Failed() {
		t.Logf("logs:\n%s", out)
	}
}

// A client's X-Request-Id is kept when it is a short plain token and
// replaced when it could carry anything else into the logs.
func TestClientRequestIDsAreKeptOnlyWhenSafe(t *testing.T) {
	var buf lockedBuffer
	app := apptest.New(t, apptest.Options{Log: observe.NewLogger(true, &buf)})
	for sent, kept := range map[string]bool{
		"lb-7f3a9c":                  true,
		"ana@example.com":            false,
		"a b\" level=ERROR":          false,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ": false,
		strings.Repeat("x", 65):      false,
	} {
		req, _ := http.NewRequest("GET", app.URL+"/healthz", nil)
		req.Header.Set("X-Request-Id", sent)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("X-Request-Id")
		if (got == sent) != kept || !observe.SafeRequestID(got) {
			t.Errorf("sent %q, answered %q (kept: want %v)", sent, got, kept)
		}
	}
	if strings.Contains(buf.String(), "ana@example.com") || strings.Contains(buf.String(), "level=ERROR") {
		t.Errorf("a refused request id reached the logs:\n%s", buf.String())
	}
}
