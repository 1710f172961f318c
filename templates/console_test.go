package templates

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestConsolePagesParse(t *testing.T) {
	pages, err := ConsolePages()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"apikey_created", "apikeys", "dashboard", "error", "login", "new_request", "outbox", "queue", "request", "staff", "staff_created", "system_created", "systems", "webhooks"}
	if !slices.Equal(pages, want) {
		t.Fatalf("console pages %v, want %v", pages, want)
	}
	var buf bytes.Buffer
	if err := RenderConsole(&buf, "nope", nil); err == nil {
		t.Fatal("an unknown page rendered")
	}
	// The error page needs nothing but its own fields.
	data := map[string]any{"Title": "Oops", "OrgName": "Org", "Zone": "UTC", "Page": map[string]any{"Heading": "Oops", "Message": "<b>m</b>"}}
	if err := RenderConsole(&buf, "error", data); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "&lt;b&gt;m&lt;/b&gt;") || !strings.Contains(buf.String(), `href="/static/console.css"`) {
		t.Fatalf("error page: %s", buf.String())
	}
}

func TestConsoleFuncs(t *testing.T) {
	for in, want := range map[string]string{"opt_out": "opt-out", "in_progress": "in progress", "uk_gdpr": "UK GDPR", "ccpa": "CCPA", "us_state": "US state"} {
		if got := Words(in); got != want {
			t.Errorf("Words(%q) = %q", in, got)
		}
	}
	at := time.Date(2026, 3, 2, 15, 4, 0, 0, time.UTC)
	var none *time.Time
	if formatTime(at, "2 Jan 2006") != "2 Mar 2026" || formatTime(&at, "2 Jan 2006") != "2 Mar 2026" || formatTime(none, "x") != "—" || formatTime(time.Time{}, "x") != "—" {
		t.Fatal("formatTime")
	}
	parts := linkify("Confirm: http://x.test/verify/ABC. Or (see https://x.test/r/D).\nThanks")
	var links []string
	var all string
	for _, p := range parts {
		all += p.Text
		if p.URL != "" {
			links = append(links, p.URL)
		}
	}
	if all != "Confirm: http://x.test/verify/ABC. Or (see https://x.test/r/D).\nThanks" {
		t.Fatalf("linkify lost text: %q", all)
	}
	if strings.Join(links, " ") != "http://x.test/verify/ABC https://x.test/r/D" {
		t.Fatalf("links %v", links)
	}
	if _, err := dict("a"); err == nil {
		t.Fatal("dict with an odd count")
	}
}
