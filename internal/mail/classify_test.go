package mail

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	future := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	cases := map[string]struct{ lo, hi time.Duration }{
		"":          {0, 0},
		"2":         {2 * time.Second, 2 * time.Second},
		"0":         {0, 0},
		"-5":        {0, 0},
		"NaN":       {0, 0},
		"junk":      {0, 0},
		"999999999": {maxRetryAfter, maxRetryAfter},
		future:      {80 * time.Second, 91 * time.Second},
	}
	for in, want := range cases {
		if got := parseRetryAfter(in); got < want.lo || got > want.hi {
			t.Errorf("parseRetryAfter(%q) = %v, want in [%v, %v]", in, got, want.lo, want.hi)
		}
	}
}

func TestScrub(t *testing.T) {
	got := scrub("Invalid `to` field: Bob <bob.smith+x@mail.example.org>\r\ninjected")
	if strings.Contains(got, "bob.smith") || strings.ContainsAny(got, "\r\n") {
		t.Errorf("scrub left personal data or control chars: %q", got)
	}
	if !strings.Contains(got, "Invalid `to` field") {
		t.Errorf("scrub dropped the message: %q", got)
	}
	if long := scrub(strings.Repeat("a", 1000)); len([]rune(long)) > 301 {
		t.Errorf("scrub did not bound length: %d", len(long))
	}
}

func TestNormaliseBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                          DefaultBaseURL,
		"http://127.0.0.1:9000":     "http://127.0.0.1:9000/",
		"https://mail.example/v1":   "https://mail.example/v1/",
		"https://mail.example/v1/ ": "https://mail.example/v1/",
	} {
		u, err := normaliseBaseURL(in)
		if err != nil || u.String() != want {
			t.Errorf("normaliseBaseURL(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
}
