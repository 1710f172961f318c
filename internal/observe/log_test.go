package observe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		out = append(out, m)
	}
	return out
}

func TestHandlerAddsTheRequestIDAndScrubs(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(true, &buf).With("bound", "for ana@example.com")
	ctx := WithRequestID(context.Background(), "rid-1")
	log.InfoContext(ctx, "mail to bo@example.com failed", "error", errors.New("refused bo@example.com"),
		"token", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", slog.Group("g", "jwt", "eyJhbGciOiJIUzI1NiJ9.e30.sig"), "n", 3)
	log.Info("no request here")

	got := lines(t, &buf)
	if len(got) != 2 {
		t.Fatalf("want 2 lines, got %d", len(got))
	}
	first := got[0]
	if first["request_id"] != "rid-1" {
		t.Errorf("request_id = %v, want rid-1", first["request_id"])
	}
	if first["n"] != float64(3) {
		t.Errorf("a number was changed: %v", first["n"])
	}
	if first["msg"] != "mail to "+Redacted+" failed" || first["error"] != "refused "+Redacted || first["bound"] != "for "+Redacted {
		t.Errorf("not scrubbed: %v", first)
	}
	raw := buf.String()
	for _, secret := range []string{"ana@example.com", "bo@example.com", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "eyJhbGci"} {
		if strings.Contains(raw, secret) {
			t.Errorf("%q reached the log:\n%s", secret, raw)
		}
	}
	if _, ok := got[1]["request_id"]; ok {
		t.Errorf("a line outside a request has a request_id: %v", got[1])
	}
}

func TestLoggerWrapsOnce(t *testing.T) {
	l := NewLogger(true, &bytes.Buffer{})
	if Logger(l) != l {
		t.Error("Logger wrapped a logger that is wrapped already")
	}
	if _, ok := Logger(slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil))).Handler().(*Handler); !ok {
		t.Error("Logger did not wrap a plain logger")
	}
}

// A component logger made before slog's default is set writes through the
// default of the moment it logs.
func TestComponentFollowsTheDefaultLogger(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	bus := Component("cachebus").With("peers", 2)

	var buf bytes.Buffer
	slog.SetDefault(NewLogger(true, &buf))
	bus.Warn("peers did not answer")

	got := lines(t, &buf)
	if len(got) != 1 || got[0]["component"] != "cachebus" || got[0]["peers"] != float64(2) || got[0]["level"] != "WARN" {
		t.Fatalf("want one WARN line of component cachebus with its attributes, got %v", got)
	}
}
