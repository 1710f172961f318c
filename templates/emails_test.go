package templates

import (
	"html"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func realistic() EmailData {
	return EmailData{
		OrgName:          "Example Org",
		Reference:        "DSR-2026-000123",
		RequestType:      "opt_out",
		Status:           "open",
		Regime:           "gdpr",
		Link:             "http://localhost:8080/r/Q2x7VfM3kP9sT4wZ",
		PackageLink:      "http://localhost:8080/r/Q2x7VfM3kP9sT4wZ/package",
		DueAt:            "1 June 2026",
		Note:             "We removed your profile from the training set and confirmed with our vendor.",
		OfficerName:      "Asha Rao",
		OfficerEmail:     "grievance@example.org",
		AuthorityName:    "Data Protection Commission",
		AuthorityAddress: "21 Fitzwilliam Square South, Dublin 2, Ireland",
		ConsoleLink:      "http://localhost:8080/admin/requests/0198c0de-1111-7000-8000-000000000001",
		EscalationLevel:  2,
		Systems:          []string{"CRM", "Billing warehouse"},
		ConsentLink:      "http://localhost:8080/consents/CONSENTLINKTOKENABCDEFGHIJ",
		Purposes: []PurposeChange{
			{Title: "Marketing emails", State: "withdrawn"},
			{Title: "Use of my content to train models", State: "granted"},
		},
	}
}

// links each message must show, in both parts.
var wantLinks = map[string][]func(EmailData) string{
	"verify":          {link},
	"received":        {link},
	"info_needed":     {link},
	"extended":        {link},
	"completed":       {link, func(d EmailData) string { return d.PackageLink }, func(d EmailData) string { return d.ConsentLink }},
	"denied":          {link},
	"withdrawn":       {link},
	"overdue":         {link},
	"overdue_staff":   {func(d EmailData) string { return d.ConsoleLink }},
	"routed_staff":    {func(d EmailData) string { return d.ConsoleLink }},
	"task_staff":      {func(d EmailData) string { return d.ConsoleLink }},
	"consent_changed": {link},
	"consent_link":    {link},
}

func link(d EmailData) string { return d.Link }

// notes lists the messages that show .Note to the requester.
var notes = []string{"info_needed", "extended", "completed", "denied"}

func TestEmailNamesAreTheContractMessages(t *testing.T) {
	var want []string
	for n := range wantLinks {
		want = append(want, n)
	}
	slices.Sort(want)
	if got := EmailNames(); !slices.Equal(got, want) {
		t.Errorf("EmailNames() = %v, want %v", got, want)
	}
}

func TestEveryEmailRenders(t *testing.T) {
	d := realistic()
	for _, name := range EmailNames() {
		t.Run(name, func(t *testing.T) {
			r, err := RenderEmail(name, d)
			if err != nil {
				t.Fatalf("RenderEmail: %v", err)
			}
			if strings.TrimSpace(r.Subject) == "" || strings.TrimSpace(r.Text) == "" || strings.TrimSpace(r.HTML) == "" {
				t.Fatalf("empty part: %+v", r)
			}
			if !strings.Contains(r.HTML, `<html lang="en"`) || !strings.Contains(r.HTML, "<title>"+html.EscapeString(r.Subject)+"</title>") {
				t.Errorf("HTML lacks lang or title")
			}
			for _, get := range wantLinks[name] {
				l := get(d)
				if !strings.Contains(r.Text, l) {
					t.Errorf("text part lacks %s", l)
				}
				if !strings.Contains(r.HTML, `href="`+l+`"`) || !strings.Contains(r.HTML, ">"+l+"<") {
					t.Errorf("HTML part lacks %s as a link and as plain text", l)
				}
			}
			if strings.Contains(r.Text, "{{") || strings.Contains(r.HTML, "{{") || strings.Contains(r.Text, "<no value>") {
				t.Errorf("unrendered template text")
			}
			if strings.Contains(r.Text, "opt_out") || strings.Contains(r.Subject, "opt_out") {
				t.Errorf("request type shown as API name")
			}
		})
	}
}

func TestNoteIsEscapedInHTML(t *testing.T) {
	d := realistic()
	d.Note = `Please send <script>alert("x")</script> & your ID`
	for _, name := range notes {
		r, err := RenderEmail(name, d)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Contains(r.HTML, "<script>") {
			t.Errorf("%s: HTML contains a raw <script>", name)
		}
		if !strings.Contains(r.HTML, "&lt;script&gt;") {
			t.Errorf("%s: HTML lacks the escaped note", name)
		}
		if !strings.Contains(r.Text, d.Note) {
			t.Errorf("%s: text part lacks the note verbatim", name)
		}
	}
}

func TestSubjectStaysOneLine(t *testing.T) {
	d := realistic()
	d.Reference = "DSR-1\r\nBcc: x@example.com"
	d.OrgName = "Org\nBcc: y@example.com\u2028Cc: z"
	d.DueAt = "soon\r\n\r\nbody"
	for _, name := range EmailNames() {
		r, err := RenderEmail(name, d)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.ContainsAny(r.Subject, "\r\n\u2028\u2029") {
			t.Errorf("%s: subject %q spans lines", name, r.Subject)
		}
	}
}

func TestUnsafeLinkIsNeutralisedInHTML(t *testing.T) {
	d := realistic()
	d.Link = "javascript:alert(1)"
	r, err := RenderEmail("received", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, `href="javascript:`) {
		t.Errorf("javascript: URL kept in href")
	}
}

func TestStaffNoticeShowsNoRequesterDetails(t *testing.T) {
	d := realistic()
	d.Note = "Requester alice@example.com, Alice Smith, says hurry"
	var r RenderedEmail
	var err error
	for _, name := range []string{"overdue_staff", "routed_staff", "task_staff"} {
		if r, err = RenderEmail(name, d); err != nil {
			t.Fatal(err)
		}
		for _, part := range []string{r.Subject, r.Text, r.HTML} {
			if strings.Contains(part, "alice") || strings.Contains(part, "Alice") {
				t.Errorf("%s shows requester details", name)
			}
		}
	}
	d.Why = "the acknowledgement is overdue"
	r, err = RenderEmail("overdue_staff", d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{d.Reference, "opt-out", "GDPR", d.DueAt, "Escalation level: 2", "Why: the acknowledgement is overdue"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("staff notice text lacks %q", want)
		}
	}
}

func TestDeniedExplainsEscalation(t *testing.T) {
	d := realistic()
	r, err := RenderEmail("denied", d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{d.Note, d.OfficerName, d.OfficerEmail, d.AuthorityName, d.AuthorityAddress, "grievance", "appeal", "supervisory authority"} {
		if !strings.Contains(r.Text, want) || !strings.Contains(html.UnescapeString(r.HTML), want) {
			t.Errorf("denied email lacks %q in a part", want)
		}
	}
	// With no authority configured it still says where to complain.
	d.AuthorityName, d.AuthorityAddress = "", ""
	if r, err = RenderEmail("denied", d); err != nil || !strings.Contains(r.Text, "where you live or work") {
		t.Errorf("fallback authority wording missing: %v", err)
	}
}

func TestCompletedWithoutPackage(t *testing.T) {
	d := realistic()
	d.PackageLink = ""
	r, err := RenderEmail("completed", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.Text, "download") || strings.Contains(r.HTML, "Download") {
		t.Errorf("completed email offers a download without a package")
	}
	for _, s := range d.Systems {
		if !strings.Contains(r.Text, s) || !strings.Contains(r.HTML, s) {
			t.Errorf("completed email lacks system %q", s)
		}
	}
}

func TestConsentChangedListsPurposes(t *testing.T) {
	d := realistic()
	r, err := RenderEmail("consent_changed", d)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range d.Purposes {
		if !strings.Contains(r.Text, p.Title) || !strings.Contains(r.HTML, p.Title) {
			t.Errorf("consent email lacks %q", p.Title)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	if _, err := RenderEmail("nope", realistic()); err == nil {
		t.Error("unknown email rendered")
	}
	d := realistic()
	d.Link = ""
	if _, err := RenderEmail("verify", d); err == nil {
		t.Error("verify email without a link rendered")
	}
	d = realistic()
	d.Note = ""
	if _, err := RenderEmail("denied", d); err == nil {
		t.Error("denial without reasons rendered")
	}
}

func TestParseEmailsRefusesIncompleteSets(t *testing.T) {
	layouts := fstest.MapFS{
		"e/layout.html.tmpl": {Data: []byte(`<html lang="en">{{template "content" .}}</html>`)},
		"e/layout.txt.tmpl":  {Data: []byte(`{{template "content" .}}`)},
	}
	with := func(files ...string) fstest.MapFS {
		m := fstest.MapFS{}
		for k, v := range layouts {
			m[k] = v
		}
		for _, f := range files {
			m["e/"+f] = &fstest.MapFile{Data: []byte("x")}
		}
		return m
	}
	if set, err := parseEmails(with("a.subject.tmpl", "a.txt.tmpl", "a.html.tmpl"), "e"); err != nil || len(set) != 1 {
		t.Fatalf("complete set: %v", err)
	}
	for _, files := range [][]string{
		{"a.subject.tmpl", "a.txt.tmpl"},
		{"a.subject.tmpl", "a.html.tmpl"},
		{"a.txt.tmpl", "a.html.tmpl"},
		{"a.subject.tmpl", "a.txt.tmpl", "a.html.tmpl", "a.htm.tmpl"},
		{"a.subject.tmpl", "a.txt.tmpl", "a.html.tmpl", "notes.txt"},
	} {
		if _, err := parseEmails(with(files...), "e"); err == nil {
			t.Errorf("accepted %v", files)
		}
	}
	broken := with("a.subject.tmpl", "a.txt.tmpl", "a.html.tmpl")
	broken["e/a.html.tmpl"] = &fstest.MapFile{Data: []byte("{{if}}")}
	if _, err := parseEmails(broken, "e"); err == nil {
		t.Error("accepted a template that does not parse")
	}
}
