package templates

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The staff console's pages: a template set of their own (layout, shared
// partials, one page), separate from the requester's pages so that either
// can change without the other.

//go:embed console/*.html
var consoleFiles embed.FS

// consolePages are parsed with the console layout and partials.
var consolePages = &pageSets{fsys: consoleFiles, dir: "console", shared: []string{"layout.html", "partials.html"}, funcs: consoleFuncs}

// ConsolePages lists the console's page names (for tests).
func ConsolePages() ([]string, error) { return consolePages.names() }

// RenderConsole writes a console page inside the console layout.
func RenderConsole(w io.Writer, name string, data any) error {
	return consolePages.render(w, name, data)
}

var consoleFuncs = template.FuncMap{
	"words":    Words,
	"date":     func(v any) string { return formatTime(v, "2 Jan 2006") },
	"datetime": func(v any) string { return formatTime(v, "2 Jan 2006 15:04 MST") },
	"join":     strings.Join,
	"has":      func(list []string, v string) bool { return slices.Contains(list, v) },
	"linkify":  linkify,
	"dict":     dict,
	"add1":     func(i int) int { return i + 1 },
	"days": func(d *float64) string {
		if d == nil {
			return "—"
		}
		return strconv.FormatFloat(*d, 'f', 1, 64)
	},
}

// Words turns an API name into words: in_progress → in progress, opt_out →
// opt-out, uk_gdpr → UK GDPR. Handlers use it for labels built in Go.
func Words(s string) string {
	switch s {
	case "opt_out":
		return "opt-out"
	case "uk_gdpr":
		return "UK GDPR"
	case "gdpr", "ccpa", "dpdp", "lgpd":
		return strings.ToUpper(s)
	case "us_state":
		return "US state"
	}
	return strings.ReplaceAll(s, "_", " ")
}

// formatTime formats a time.Time or *time.Time (already in the zone to
// show); nil and the zero time are a dash.
func formatTime(v any, layout string) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return "—"
		}
		t = *x
	default:
		return "—"
	}
	if t.IsZero() {
		return "—"
	}
	return t.Format(layout)
}

// TextPart is a run of text, or a link when URL is set.
type TextPart struct {
	Text string
	URL  string
}

var urlRe = regexp.MustCompile(`https?://[^\s<>"']+`)

// linkify splits a plain-text email body into text and links, so that the
// dev outbox shows clickable links (html/template still checks each URL).
func linkify(s string) []TextPart {
	var out []TextPart
	last := 0
	for _, m := range urlRe.FindAllStringIndex(s, -1) {
		if m[0] > last {
			out = append(out, TextPart{Text: s[last:m[0]]})
		}
		u := strings.TrimRight(s[m[0]:m[1]], ".,;:)")
		out = append(out, TextPart{Text: u, URL: u})
		last = m[0] + len(u)
	}
	if last < len(s) {
		out = append(out, TextPart{Text: s[last:]})
	}
	return out
}

// dict builds a map from key, value pairs, to pass several values to a
// partial template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}
