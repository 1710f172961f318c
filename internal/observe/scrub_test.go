package observe

import (
	"math/rand/v2"
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

// mayHoldSecret must say "maybe" for every string the regexp would
// change: random strings over an alphabet dense in the characters each
// secret shape needs, and the shapes themselves.
func TestScrubPrefilterNeverSkipsAMatch(t *testing.T) {
	const alphabet = "@_ \t\n\r\f\veyJABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcrdkswhBearER.-/é:"
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(s string) {
		if want := secretish.ReplaceAllString(s, Redacted); Scrub(s) != want {
			t.Fatalf("Scrub(%q) = %q, the regexp gives %q", s, Scrub(s), want)
		}
	}
	for i := 0; i < 50_000; i++ {
		b := make([]byte, rng.IntN(40))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		check(string(b))
	}
	// Long runs of link-token characters, around the 26 boundary.
	for n := 20; n < 32; n++ {
		for i := 0; i < 2000; i++ {
			b := make([]byte, n)
			for j := range b {
				b[j] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[rng.IntN(32)]
			}
			check(string(b))
			check("x" + string(b) + ".")
		}
	}
	for _, s := range []string{"eyJ", "xeyJa", "bearer\tx", "BEARER\fx", "re_x", "a@b", "GET", "/api/v1/consents/check", "http"} {
		check(s)
	}
}

func TestScrubPrefilterSkipsOrdinaryStrings(t *testing.T) {
	for _, s := range []string{"http", "GET", "/api/v1/consents/check", "/r/:token", "unmatched", "0192f3c4-5b6a-7c8d-9e0f-1a2b3c4d5e6f"} {
		if mayHoldSecret(s) {
			t.Errorf("mayHoldSecret(%q) = true: the access line's strings should skip the regexp", s)
		}
	}
}

// Generated ids are unique, of the documented shape, and pass
// SafeRequestID (so that one sent back by a client is kept as it is).
func TestRequestIDs(t *testing.T) {
	g, other := NewRequestIDs(), NewRequestIDs()
	seen := map[string]bool{}
	for i := 0; i < 100_000; i++ {
		id := g.Next()
		if len(id) != 32 || !SafeRequestID(id) || seen[id] {
			t.Fatalf("id %d: %q (length %d, safe %v, seen before %v)", i, id, len(id), SafeRequestID(id), seen[id])
		}
		seen[id] = true
	}
	if a, b := g.Next(), other.Next(); a[:11] == b[:11] {
		t.Errorf("two generators share the prefix %q", a[:11])
	}
}
