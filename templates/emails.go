// Package templates holds the server's embedded templates. This file covers
// email: every message is a triplet NAME.subject.tmpl, NAME.txt.tmpl and
// NAME.html.tmpl under emails/, the bodies wrapped in emails/layout.*.tmpl.
package templates

import (
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	texttemplate "text/template"
	"unicode"
)

//go:embed emails/*.tmpl
var emailFS embed.FS

// EmailData is everything any email template may show. Callers fill what
// the message needs; links are full URLs built from RIGHTSDESK_BASE_URL.
// Staff messages never receive the requester's email or name: there is no
// field for them.
type EmailData struct {
	OrgName, Reference, RequestType, Status, Regime string
	Link, PackageLink                               string
	// ConsentLink opens the requester's consent center.
	ConsentLink                     string
	DueAt, Note                     string
	OfficerName, OfficerEmail       string
	AuthorityName, AuthorityAddress string
	ConsoleLink                     string
	// Why is a staff notice's reason: a fixed phrase chosen by rightsdesk,
	// never text a requester or staff member typed (staff notices show no
	// requester content; Note is for the requester's own messages).
	Why string
	// ExpiresAt, when set, is when the message's main link stops working
	// (verify link, download package); templates fall back to wording
	// without a date.
	ExpiresAt       string
	EscalationLevel int
	Systems         []string
	Purposes        []PurposeChange
}

// PurposeChange is one consent purpose in a consent_changed email.
type PurposeChange struct{ Title, State string }

// RenderedEmail is a message ready for mail.Message.
type RenderedEmail struct{ Subject, Text, HTML string }

// emailView is what templates execute against: the caller's data plus what
// the layout needs.
type emailView struct {
	EmailData
	Subject string
	ToStaff bool // staff notices get a different footer
}

type emailTemplate struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// emailSet is parsed once at start-up: a broken or incomplete template set
// stops the binary (and every test) at once, not the first send hours later.
var emailSet = mustParseEmails(emailFS, "emails")

// EmailNames lists the messages that RenderEmail knows, sorted.
func EmailNames() []string {
	names := make([]string, 0, len(emailSet))
	for n := range emailSet {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// RenderEmail renders message name for d. The subject is one line: line
// breaks and control characters in the data cannot inject headers.
func RenderEmail(name string, d EmailData) (RenderedEmail, error) {
	t, ok := emailSet[name]
	if !ok {
		return RenderedEmail{}, fmt.Errorf("templates: unknown email %q", name)
	}
	view := emailView{EmailData: d, ToStaff: strings.HasSuffix(name, "_staff")}

	var b strings.Builder
	if err := t.subject.Execute(&b, view); err != nil {
		return RenderedEmail{}, fmt.Errorf("templates: email %s subject: %w", name, err)
	}
	view.Subject = emailOneLine(b.String())
	if view.Subject == "" {
		return RenderedEmail{}, fmt.Errorf("templates: email %s: empty subject", name)
	}

	b.Reset()
	if err := t.text.ExecuteTemplate(&b, "layout", view); err != nil {
		return RenderedEmail{}, fmt.Errorf("templates: email %s text: %w", name, err)
	}
	text := emailTidyText(b.String())

	b.Reset()
	if err := t.html.ExecuteTemplate(&b, "layout", view); err != nil {
		return RenderedEmail{}, fmt.Errorf("templates: email %s html: %w", name, err)
	}
	return RenderedEmail{Subject: view.Subject, Text: text, HTML: b.String()}, nil
}

func mustParseEmails(fsys fs.FS, dir string) map[string]emailTemplate {
	set, err := parseEmails(fsys, dir)
	if err != nil {
		panic(err)
	}
	return set
}

var emailNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

var emailParts = []string{"subject", "txt", "html"}

// parseEmails loads every triplet in dir and refuses a set where a message
// lacks a part, or a file fits no triplet: a typo in a file name would
// otherwise silently drop a message.
func parseEmails(fsys fs.FS, dir string) (map[string]emailTemplate, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("templates: emails: %w", err)
	}
	files := map[string]map[string]string{} // name → part → path
	for _, e := range entries {
		base := e.Name()
		if e.IsDir() || base == "layout.html.tmpl" || base == "layout.txt.tmpl" {
			continue
		}
		stem, ok := strings.CutSuffix(base, ".tmpl")
		name, part := stem, ""
		if i := strings.LastIndexByte(stem, '.'); ok && i > 0 {
			name, part = stem[:i], stem[i+1:]
		}
		if !slices.Contains(emailParts, part) || !emailNameRE.MatchString(name) || name == "layout" {
			return nil, fmt.Errorf("templates: emails/%s: want NAME.subject.tmpl, NAME.txt.tmpl or NAME.html.tmpl", base)
		}
		if files[name] == nil {
			files[name] = map[string]string{}
		}
		files[name][part] = path.Join(dir, base)
	}
	if len(files) == 0 {
		return nil, errors.New("templates: emails: no templates")
	}

	// The layouts are parsed as template "layout" (not by file name) so
	// every message set executes the same root.
	htmlLayout, err := fs.ReadFile(fsys, path.Join(dir, "layout.html.tmpl"))
	if err != nil {
		return nil, fmt.Errorf("templates: emails: %w", err)
	}
	htmlBase, err := htmltemplate.New("layout").Funcs(htmlEmailFuncs).Parse(string(htmlLayout))
	if err != nil {
		return nil, fmt.Errorf("templates: emails/layout.html.tmpl: %w", err)
	}
	textBase, err := parseEmailText(texttemplate.New("layout").Funcs(textEmailFuncs), fsys, path.Join(dir, "layout.txt.tmpl"))
	if err != nil {
		return nil, err
	}

	set := make(map[string]emailTemplate, len(files))
	for name, parts := range files {
		for _, p := range emailParts {
			if parts[p] == "" {
				return nil, fmt.Errorf("templates: email %q has no %s.%s.tmpl", name, name, p)
			}
		}
		var t emailTemplate
		if t.subject, err = parseEmailText(texttemplate.New(name).Funcs(textEmailFuncs), fsys, parts["subject"]); err != nil {
			return nil, err
		}
		// Each message's body becomes the "content" the shared layout calls.
		tb, err := textBase.Clone()
		if err == nil {
			t.text, err = parseEmailText(tb.New("content"), fsys, parts["txt"])
		}
		if err != nil {
			return nil, err
		}
		hb, err := htmlBase.Clone()
		if err != nil {
			return nil, err
		}
		src, err := fs.ReadFile(fsys, parts["html"])
		if err != nil {
			return nil, err
		}
		if _, err := hb.New("content").Parse(string(src)); err != nil {
			return nil, fmt.Errorf("templates: %s: %w", parts["html"], err)
		}
		t.html = hb
		set[name] = t
	}
	return set, nil
}

// parseEmailText parses file into t and returns the set's root ("layout" for
// bodies, the subject itself otherwise).
func parseEmailText(t *texttemplate.Template, fsys fs.FS, file string) (*texttemplate.Template, error) {
	src, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	if _, err := t.Parse(string(src)); err != nil {
		return nil, fmt.Errorf("templates: %s: %w", file, err)
	}
	if root := t.Lookup("layout"); root != nil {
		return root, nil
	}
	return t, nil
}

// emailOneLine collapses all whitespace (CR, LF, tabs, Unicode line separators)
// to single spaces and drops other control characters: a subject is a
// header, and a line break in it would start a new header.
func emailOneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

var emailBlankRuns = regexp.MustCompile(`\n{3,}`)

// emailTidyText lets the text templates use conditionals freely: trailing
// spaces go, runs of blank lines shrink to one, and the part ends with one
// newline.
func emailTidyText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	s = emailBlankRuns.ReplaceAllString(strings.Join(lines, "\n"), "\n\n")
	return strings.TrimSpace(s) + "\n"
}

// Template functions for emails. Names are prefixed or specific enough not
// to clash with the pages' functions, which live in the same package.

var emailRequestLabels = map[string]string{
	"access":             "access",
	"export":             "data export",
	"deletion":           "deletion",
	"correction":         "correction",
	"opt_out":            "opt-out",
	"consent_withdrawal": "consent withdrawal",
	"restriction":        "restriction",
	"objection":          "objection",
	"nomination":         "nomination",
	"grievance":          "grievance",
	"appeal":             "appeal",
}

var emailStatusLabels = map[string]string{
	"pending_verification": "waiting for you to confirm your email",
	"open":                 "received",
	"in_progress":          "in progress",
	"awaiting_requester":   "waiting for your reply",
	"completed":            "completed",
	"denied":               "declined",
	"withdrawn":            "withdrawn",
	"expired":              "expired",
}

var emailRegimeLabels = map[string]string{
	"gdpr":     "GDPR (EU/EEA)",
	"uk_gdpr":  "UK GDPR",
	"ccpa":     "CCPA/CPRA (California)",
	"us_state": "US state privacy law",
	"dpdp":     "DPDP Act (India)",
	"lgpd":     "LGPD (Brazil)",
	"default":  "organisation policy",
}

var emailConsentLabels = map[string]string{
	"granted":   "allowed",
	"grant":     "allowed",
	"withdrawn": "not allowed (consent withdrawn)",
	"withdraw":  "not allowed (consent withdrawn)",
}

// emailLabel shows an API value to people; unknown values still read
// acceptably ("new_type" → "new type") rather than failing the send.
func emailLabel(table map[string]string, v string) string {
	if l, ok := table[v]; ok {
		return l
	}
	return strings.ReplaceAll(v, "_", " ")
}

func emailEscalationLabel(level int) string {
	switch {
	case level <= 0:
		return "normal"
	case level == 1:
		return "due soon, reminder to the assignee"
	case level == 2:
		return "overdue, grievance officer notified"
	default:
		return "overdue past the grace period, admins notified"
	}
}

func emailEscalationHeadline(level int) string {
	switch {
	case level <= 0:
		return "Reminder"
	case level == 1:
		return "Due soon"
	case level == 2:
		return "Overdue"
	default:
		return "Still overdue"
	}
}

// emailRequired fails the render when a message would be useless without a
// value (a verify email without its link), so the outbox records an error
// instead of mailing a broken message.
func emailRequired(field, v string) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", fmt.Errorf("%s is required", field)
	}
	return v, nil
}

// emailButton is the argument of the layout's "button" template; building
// it as data keeps all HTML in templates, where html/template escapes it.
type emailButton struct{ Label, URL string }

var textEmailFuncs = map[string]any{
	"requestLabel":       func(v string) string { return emailLabel(emailRequestLabels, v) },
	"statusLabel":        func(v string) string { return emailLabel(emailStatusLabels, v) },
	"regimeLabel":        func(v string) string { return emailLabel(emailRegimeLabels, v) },
	"consentLabel":       func(v string) string { return emailLabel(emailConsentLabels, v) },
	"escalationLabel":    emailEscalationLabel,
	"escalationHeadline": emailEscalationHeadline,
	"required":           emailRequired,
}

var htmlEmailFuncs = func() map[string]any {
	m := maps.Clone(textEmailFuncs)
	m["button"] = func(emailLabel, url string) emailButton { return emailButton{emailLabel, url} }
	return m
}()
