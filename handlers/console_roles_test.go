package handlers_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// consoleAccessible checks what the CSP and accessibility demand of every
// console page: no inline script or style, a label for every field, scoped
// table headers, one h1.
func consoleAccessible(t *testing.T, name string, p *consolePage) {
	t.Helper()
	for _, bad := range []string{"<script", "<style", " style=", " onclick=", " onsubmit=", "javascript:"} {
		if strings.Contains(strings.ToLower(p.Body), bad) {
			t.Errorf("%s: contains %q", name, bad)
		}
	}
	p.Doc.Find(`input:not([type="hidden"]), select, textarea`).Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		if id == "" || p.Doc.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("%s: field %s (%s) has no label", name, id, s.AttrOr("name", "?"))
		}
	})
	p.Doc.Find("thead th").Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("scope", "") != "col" {
			t.Errorf("%s: a column header without scope", name)
		}
	})
	p.Doc.Find("tbody th").Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("scope", "") != "row" {
			t.Errorf("%s: a row header without scope", name)
		}
	})
	if n := p.Doc.Find("h1").Length(); n != 1 {
		t.Errorf("%s: %d h1", name, n)
	}
	if p.Doc.Find(`html[lang="en"]`).Length() != 1 || p.Doc.Find(`meta[name="viewport"]`).Length() != 1 {
		t.Errorf("%s: no lang or viewport", name)
	}
}

// Every console route, GET and POST, with every role and with no session.
func TestConsoleRolesTable(t *testing.T) {
	app := apptest.New(t, apptest.Options{DevOutbox: true})
	ctx := context.Background()
	roles := append([]string{"none"}, models.Roles...)
	for _, role := range models.Roles {
		consoleStaff(t, app, role+"@example.com", role)
	}
	target := consoleStaff(t, app, "target@example.com", models.RoleAgent)
	_, key, err := app.Staff.CreateAPIKey(ctx, "crm", []string{models.ScopeRequestsRead}, "test")
	if err != nil {
		t.Fatal(err)
	}
	r, err := app.Requests.SubmitForRequester(ctx, requests.Actor{Kind: "staff", Name: "admin@example.com"}, requests.StaffInput{
		Input: requests.Input{Type: "access", Email: "subject@example.com"}, ReceivedAt: app.Clock.Now().Add(-time.Hour), Verified: true})
	if err != nil {
		t.Fatal(err)
	}
	id := r.ID
	hook, _, err := app.WebhookService.CreateEndpoint(ctx, "http://127.0.0.1:9/hook", "", "test")
	if err != nil {
		t.Fatal(err)
	}

	const (
		ok = 200
		to = 303 // a redirect: to sign in (GET without a session) or after a post
		no = 403
		un = 401
		nf = 404
	)
	type want map[string]int // role → status
	every := func(s int) want { return want{"admin": s, "agent": s, "grievance_officer": s, "auditor": s} }
	with := func(w want, role string, s int) want { w[role] = s; return w }
	gets := []struct {
		path string
		want want
	}{
		{"/admin", with(every(ok), "none", to)},
		{"/admin/requests", with(every(ok), "none", to)},
		{"/admin/requests?status=open&q=subject", with(every(ok), "none", to)},
		{"/admin/requests/" + id, with(every(ok), "none", to)},
		{"/admin/requests/new", want{"none": to, "admin": ok, "agent": ok, "grievance_officer": ok, "auditor": no}},
		{"/admin/staff", want{"none": to, "admin": ok, "agent": no, "grievance_officer": no, "auditor": no}},
		{"/admin/apikeys", want{"none": to, "admin": ok, "agent": no, "grievance_officer": no, "auditor": no}},
		{"/admin/outbox", want{"none": to, "admin": ok, "agent": no, "grievance_officer": no, "auditor": no}},
		{"/admin/outbox?status=dev", want{"none": to, "admin": ok, "agent": no, "grievance_officer": no, "auditor": no}},
		{"/admin/webhooks", want{"none": to, "admin": ok, "agent": no, "grievance_officer": no, "auditor": no}},
		{"/admin/systems", want{"none": to, "admin": ok, "agent": no, "grievance_officer": no, "auditor": no}},
		{"/admin/login", with(every(to), "none", ok)},
		{"/admin/no-such-page", with(every(nf), "none", nf)},
	}
	workersOnly := want{"none": un, "admin": to, "agent": to, "grievance_officer": to, "auditor": no}
	adminOnly := func(s int) want {
		return want{"none": un, "admin": s, "agent": no, "grievance_officer": no, "auditor": no}
	}
	posts := []struct {
		path string
		form func(role string) url.Values
		want want
	}{
		{"/admin/requests/" + id + "/actions", func(string) url.Values { return url.Values{"action": {"note"}, "note": {"checked"}} }, workersOnly},
		{"/admin/requests/new", func(string) url.Values {
			return url.Values{"type": {"access"}, "email": {"post@example.com"}, "received_at": {"2026-01-30T09:00"}, "verified": {"1"}}
		}, workersOnly},
		{"/admin/staff", func(role string) url.Values {
			return url.Values{"email": {"new-" + strings.ReplaceAll(role, "_", "-") + "@example.com"}, "role": {"agent"}}
		}, adminOnly(ok)},
		{"/admin/staff/" + target.ID + "/disable", func(string) url.Values { return nil }, adminOnly(to)},
		{"/admin/staff/" + target.ID + "/enable", func(string) url.Values { return nil }, adminOnly(to)},
		{"/admin/apikeys", func(role string) url.Values { return url.Values{"name": {"key-" + role}, "scopes": {"requests:read"}} }, adminOnly(ok)},
		{"/admin/apikeys/" + key.ID + "/revoke", func(string) url.Values { return nil }, adminOnly(to)},
		{"/admin/webhooks", func(role string) url.Values { return url.Values{"url": {"https://" + role + ".example.com/hook"}} }, adminOnly(ok)},
		{"/admin/webhooks/" + hook.ID + "/disable", func(string) url.Values { return nil }, adminOnly(to)},
		{"/admin/logout", func(string) url.Values { return nil }, with(every(to), "none", to)},
	}

	for _, role := range roles {
		cc := newConsoleClient(t, app)
		if role != "none" {
			cc.login(role + "@example.com")
		}
		for _, g := range gets {
			p := cc.get(g.path)
			if p.Status != g.want[role] {
				t.Errorf("%s GET %s: %d, want %d (%s)", role, g.path, p.Status, g.want[role], consoleText(p))
				continue
			}
			if p.Status == to && role == "none" && g.path != "/admin/login" && !strings.HasPrefix(p.Header.Get("Location"), "/admin/login?next=") {
				t.Errorf("none GET %s redirects to %q", g.path, p.Header.Get("Location"))
			}
			if p.Status == ok || p.Status == no || p.Status == nf {
				consoleAccessible(t, role+" GET "+g.path, p)
			}
		}
		for _, ps := range posts {
			p := cc.post(ps.path, ps.form(role))
			if p.Status != ps.want[role] {
				t.Errorf("%s POST %s: %d, want %d (%s)", role, ps.path, p.Status, ps.want[role], consoleText(p))
				continue
			}
			if p.Status == ok || p.Status == no || p.Status == un {
				consoleAccessible(t, role+" POST "+ps.path, p)
			}
		}
	}

	// What the refused posts did not do.
	if n, _ := app.Store.CountRequests(ctx); n != 4 { // the first, plus one intake per worker role
		t.Errorf("requests: %d, want 4", n)
	}
	users, _ := app.Staff.Users(ctx)
	if len(users) != 6 { // four roles, target, and the admin's new user
		t.Errorf("staff users: %d, want 6", len(users))
	}
	if eps, _ := app.WebhookService.Endpoints(ctx); len(eps) != 2 { // the first, and the admin's
		t.Errorf("webhook endpoints: %d, want 2", len(eps))
	}
	evs, _ := app.Store.Events(ctx, id)
	notes := 0
	for _, e := range evs {
		if e.Action == "note" {
			notes++
		}
	}
	if notes != 3 {
		t.Errorf("notes: %d, want 3 (admin, agent, grievance officer)", notes)
	}
}

// The navigation shows a role only what it may open.
func TestConsoleNavigationPerRole(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	want := map[string]string{
		models.RoleAdmin:            "dashboard,queue,new,outbox,staff,apikeys,webhooks,systems",
		models.RoleAgent:            "dashboard,queue,new",
		models.RoleGrievanceOfficer: "dashboard,queue,new",
		models.RoleAuditor:          "dashboard,queue",
	}
	for role, nav := range want {
		consoleStaff(t, app, role+"@example.com", role)
		cc := newConsoleClient(t, app)
		cc.login(role + "@example.com")
		p := cc.get("/admin/requests")
		var ids []string
		p.Doc.Find("nav a").Each(func(_ int, s *goquery.Selection) {
			ids = append(ids, strings.TrimPrefix(s.AttrOr("id", ""), "nav-"))
		})
		if strings.Join(ids, ",") != nav {
			t.Errorf("%s nav: %v, want %s", role, ids, nav)
		}
		if cur := p.Doc.Find(`nav a[aria-current="page"]`).AttrOr("id", ""); cur != "nav-queue" {
			t.Errorf("%s: current nav %q", role, cur)
		}
	}
}
