package main

import (
	"bytes"
	"encoding/json"
	"log"
	"log/slog"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/observe"
)

// The process logger writes JSON off a terminal, scrubs, and becomes the
// default that the cache bus (built earlier) and the log package use.
func TestNewLoggerIsTheScrubbedJSONDefault(t *testing.T) {
	prev, prevOut, prevFlags := slog.Default(), log.Writer(), log.Flags()
	t.Cleanup(func() { slog.SetDefault(prev); log.SetOutput(prevOut); log.SetFlags(prevFlags) })
	bus := observe.Component("cachebus") // as openApp makes it, before the logger

	var buf bytes.Buffer
	newLogger("", &buf).Info("hello", "to", "ana@example.com")
	bus.Warn("listener down")
	log.Print("http: a net/http error")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got:\n%s", buf.String())
	}
	var first, second map[string]any
	if json.Unmarshal([]byte(lines[0]), &first) != nil || json.Unmarshal([]byte(lines[1]), &second) != nil || !json.Valid([]byte(lines[2])) {
		t.Fatalf("not JSON:\n%s", buf.String())
	}
	if first["to"] != observe.Redacted || second["component"] != "cachebus" || second["level"] != "WARN" {
		t.Errorf("lines: %v %v", first, second)
	}

	buf.Reset()
	newLogger("text", &buf).Info("hello")
	if !strings.HasPrefix(buf.String(), "time=") {
		t.Errorf("RIGHTSDESK_LOG_FORMAT=text: %q", buf.String())
	}
}
