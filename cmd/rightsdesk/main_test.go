package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/fakeresend"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
)

type env map[string]string

func (e env) lookup(k string) (string, bool) { v, ok := e[k]; return v, ok }

func newEnv(t *testing.T) env {
	staff.BcryptCost = 4
	return env{"RIGHTSDESK_DATABASE_URL": testdb.URL(t), "RIGHTSDESK_SECRET": strings.Repeat("s", 40)}
}

func runCmd(t *testing.T, e env, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut, e.lookup)
	return out.String(), err
}

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if err != nil {
		return 1
	}
	return 0
}

func TestBadConfigurationStopsWithOneLineNamingTheVariable(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	os.WriteFile(policy, []byte("organization:\n  name: X\nrequest_types: [access]\nsurprise: 1\n"), 0o600)
	cases := map[string]string{
		"RIGHTSDESK_BASE_URL":         "not a url",
		"RIGHTSDESK_ADDR":             "8080",
		"RIGHTSDESK_DATABASE_URL":     "mysql://x",
		"RIGHTSDESK_SECRET":           "short",
		"RIGHTSDESK_SWEEP_INTERVAL":   "often",
		"RIGHTSDESK_RETENTION_DAYS":   "-3",
		"RIGHTSDESK_MAIL_FROM":        "Privacy <p@x.com>",
		"RIGHTSDESK_ADMIN_EMAIL":      "nobody",
		"RIGHTSDESK_POLICY":           policy,
		"RESEND_BASE_URL":             "ftp://x",
		"SENTRY_DSN":                  "::",
		"RIGHTSDESK_RATE_LIMIT_EMAIL": "lots",
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e[name] = value
			_, err := runCmd(t, e, "", "migrate")
			if exitCode(err) != 2 {
				t.Fatalf("exit %d (%v), want 2", exitCode(err), err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, name+": ") || strings.Contains(msg, "\n") {
				t.Fatalf("want one line starting with %s, got %q", name, msg)
			}
			if name == "RIGHTSDESK_POLICY" && !strings.Contains(msg, "line 4") {
				t.Fatalf("the policy error should name the line: %q", msg)
			}
			if name == "RIGHTSDESK_SECRET" && strings.Contains(msg, value) {
				t.Fatal("a secret was echoed back")
			}
		})
	}
}

func TestAdminCreateAndAPIKeyCreate(t *testing.T) {
	e := newEnv(t)
	out, err := runCmd(t, e, "", "admin", "create", "--email", "boss@example.com", "--role", "admin")
	if err != nil {
		t.Fatal(err)
	}
	generated := strings.TrimSpace(out)
	if len(generated) < 20 || strings.Contains(generated, " ") {
		t.Fatalf("admin create should print only the password: %q", out)
	}
	out, err = runCmd(t, e, "a password given on stdin\n", "admin", "create", "--email", "agent@example.com", "--role", "agent", "--password-stdin")
	if err != nil || out != "" {
		t.Fatalf("--password-stdin: %q %v", out, err)
	}
	if _, err := runCmd(t, e, "", "admin", "create", "--email", "x@example.com", "--role", "king"); exitCode(err) != 2 {
		t.Fatalf("bad role: %v", err)
	}
	if _, err := runCmd(t, e, "", "admin", "create", "--email", "boss@example.com"); exitCode(err) != 2 {
		t.Fatalf("duplicate email: %v", err)
	}

	store, err := models.Open(e["RIGHTSDESK_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc := staff.New(store, wallClock)
	if _, err := svc.Authenticate(context.Background(), "boss@example.com", generated); err != nil {
		t.Fatalf("the printed password does not log in: %v", err)
	}
	if _, err := svc.Authenticate(context.Background(), "agent@example.com", "a password given on stdin"); err != nil {
		t.Fatalf("the stdin password does not log in: %v", err)
	}

	key, err := runCmd(t, e, "", "apikey", "create", "--name", "crm", "--scopes", "requests:read,consents:write")
	if err != nil || !strings.HasPrefix(key, "rdk_") || strings.Count(key, "\n") != 1 {
		t.Fatalf("apikey create: %q %v", key, err)
	}
	k, err := svc.APIKey(context.Background(), strings.TrimSpace(key))
	if err != nil || !k.HasScope("consents:write") || k.HasScope("requests:write") {
		t.Fatalf("key as stored: %+v %v", k, err)
	}
	if _, err := runCmd(t, e, "", "apikey", "create", "--name", "x", "--scopes", "root"); exitCode(err) != 2 {
		t.Fatalf("unknown scope: %v", err)
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	out, err := runCmd(t, env{}, "", "version")
	if err != nil || !strings.HasPrefix(out, "rightsdesk ") {
		t.Fatalf("version: %q %v", out, err)
	}
	if _, err := runCmd(t, env{}, "", "frobnicate"); exitCode(err) != 2 {
		t.Fatalf("unknown command: %v", err)
	}
}

func TestAuditVerifyFindsTheFirstBrokenEvent(t *testing.T) {
	e := newEnv(t)
	if _, err := runCmd(t, e, "", "migrate"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := openApp(ctx, e.lookup)
	if err != nil {
		t.Fatal(err)
	}
	defer a.store.Close()
	r, err := a.requests.Submit(ctx, requests.Input{Type: "access", Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.requests.Act(ctx, requests.System, r.ID, requests.ActionInput{Action: "note", Note: "checked"}); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, e, "", "audit", "verify")
	if err != nil || !strings.Contains(out, "2 events verified") {
		t.Fatalf("intact chain: %q %v", out, err)
	}
	events, _ := a.store.Events(ctx, r.ID)
	db, _ := a.store.SQL()
	if _, err := db.Exec("UPDATE request_events SET note = 'rewritten' WHERE id = $1", events[1].ID); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, e, "", "audit", "verify")
	if exitCode(err) != 1 || strings.TrimSpace(out) != itoa(events[1].ID) {
		t.Fatalf("tampered chain: exit %d, printed %q, want %d", exitCode(err), out, events[1].ID)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// The acceptance check, as an operator would run it: a database
// holds an overdue request; `rightsdesk sweep` emails the grievance officer
// once, and running it again emails nobody.
func TestSweepCommandEmailsTheGrievanceOfficerOnce(t *testing.T) {
	resend := fakeresend.New(t)
	e := newEnv(t)
	e["RESEND_API_KEY"] = "re_test_key"
	e["RESEND_BASE_URL"] = resend.URL()
	e["RIGHTSDESK_MAIL_FROM"] = "privacy@example.org" // the default policy's grievance officer
	ctx := context.Background()
	a, err := openApp(ctx, e.lookup)
	if err != nil {
		t.Fatal(err)
	}
	received := time.Now().Add(-40 * 24 * time.Hour) // default regime: due in 30 days, so overdue
	r, err := a.requests.SubmitForRequester(ctx, requests.Actor{Kind: "staff", Name: "agent@example.org"}, requests.StaffInput{
		Input: requests.Input{Type: "access", Email: "late@example.com"}, ReceivedAt: received, Verified: true})
	a.store.Close()
	if err != nil {
		t.Fatal(err)
	}

	out, err := runCmd(t, e, "", "sweep")
	if err != nil || !strings.Contains(out, "1 escalated") {
		t.Fatalf("first sweep: %q %v", out, err)
	}
	toOfficer := func() int {
		n := 0
		for _, m := range resend.Emails() {
			if len(m.To) == 1 && m.To[0] == "privacy@example.org" && strings.Contains(m.Subject, r.Reference) {
				n++
			}
		}
		return n
	}
	if n := toOfficer(); n != 1 {
		t.Fatalf("after the first sweep the officer got %d emails, want 1 (%q)", n, out)
	}
	sent := resend.Attempts()
	out, err = runCmd(t, e, "", "sweep")
	if err != nil || !strings.Contains(out, "0 escalated") || !strings.Contains(out, "0 email(s)") {
		t.Fatalf("second sweep: %q %v", out, err)
	}
	if toOfficer() != 1 || resend.Attempts() != sent {
		t.Fatalf("the second sweep sent email again: %d attempts, was %d", resend.Attempts(), sent)
	}
}
