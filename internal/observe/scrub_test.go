package observe

import (
	"strings"
	"testing"
)

func TestScrubHidesSecretsAndKeepsTheRest(t *testing.T) {
	hidden := []string{
		"ana.lópez+dsar@example.co.uk",
		"postgres://admin:hunter2@db.internal:5432/rightsdesk",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
		"rdk_abcdefghijklmnopqrstuvwxyz",
		"rds_abcdefghijklmnopqrstuvwxyz",
		"whsec_0123456789abcdef",
		"re_live_key_123",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ", // a link token: 26 base32 characters
		"Bearer opaque-credential",
	}
	for _, secret := range hidden {
		in := "failed for " + secret + " at /r/x"
		out := Scrub(in)
		if strings.Contains(out, secret) || !strings.Contains(out, Redacted) {
			t.Errorf("Scrub(%q) = %q: the secret is still there", in, out)
		}
		if !strings.HasPrefix(out, "failed for ") {
			t.Errorf("Scrub(%q) = %q: the text around the secret was lost", in, out)
		}
	}
	kept := []string{
		"/api/v1/requests/:id/actions",
		"0192f3c4-5b6a-7c8d-9e0f-1a2b3c4d5e6f", // ids are UUIDs
		"request failed: sql: database is closed",
		"mail: retryable send failure (status 500)",
		"DSR-7K3M-Q9XZ",
		"eNyKvvaRHqYaeUvYJDedtbxlYnfBtetG", // echo's generated request id
		"ABCDEFGHIJKLMNOPQRSTUVWXY",        // 25 characters: not a token
	}
	for _, s := range kept {
		if got := Scrub(s); got != s {
			t.Errorf("Scrub(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestSafeRequestID(t *testing.T) {
	for id, want := range map[string]bool{
		"eNyKvvaRHqYaeUvYJDedtbxlYnfBtetG":     true,
		"trace-42_a":                           true,
		"":                                     false,
		strings.Repeat("a", 65):                false,
		"ana@example.com":                      false,
		"x\nlevel=ERROR msg=forged":            false,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ":           false, // looks like a link token
		"rdk_abcdefghijklmnopqrstuvwxyz":       false,
		"eyJhbGciOiJIUzI1NiJ9":                 false,
		"has space":                            false,
		"0192f3c4-5b6a-7c8d-9e0f-1a2b3c4d5e6f": true,
	} {
		if got := SafeRequestID(id); got != want {
			t.Errorf("SafeRequestID(%q) = %v, want %v", id, got, want)
		}
	}
}
