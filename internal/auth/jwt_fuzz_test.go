package auth

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// The fuzz key and clock are fixed, so the tokens below (and the ones in
// testdata/fuzz) are the same on every run.
var (
	fuzzKey = []byte("fuzz key for staff tokens, 32 bytes+")
	fuzzNow = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
)

func fuzzJWT() *JWT { return NewJWT(fuzzKey, time.Hour, func() time.Time { return fuzzNow }) }

// signingInput is a token without its signature: what the HMAC covers.
func signingInput(token string) string {
	if i := strings.LastIndexByte(token, '.'); i >= 0 {
		return token[:i]
	}
	return token
}

// forged signs claims with the right key but a shape Parse must refuse.
func forged(f *testing.F, m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	s, err := jwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		f.Fatal(err)
	}
	return s
}

// FuzzParse: Parse never panics, and accepts a token only when its header
// and claims are, byte for byte, those of a token Issue made (a forgery
// would need the key). Whatever the (UTF-8) subject, Issue's token parses
// back to it.
func FuzzParse(f *testing.F) {
	j := fuzzJWT()
	good, _, err := j.Issue("staff-1", "admin")
	if err != nil {
		f.Fatal(err)
	}
	iat, exp := fuzzNow.Unix(), fuzzNow.Add(time.Hour).Unix()
	ok := jwt.MapClaims{"iss": issuer, "sub": "staff-1", "role": "admin", "iat": iat, "exp": exp}
	seeds := []string{
		good,
		signingInput(good) + ".",
		good + "x",
		strings.Replace(good, ".", "..", 1),
		forged(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, ok),
		forged(f, jwt.SigningMethodHS512, fuzzKey, ok),
		forged(f, jwt.SigningMethodHS256, []byte("another key"), ok),
		forged(f, jwt.SigningMethodHS256, fuzzKey, jwt.MapClaims{"iss": issuer, "sub": "staff-1", "iat": iat}),
		forged(f, jwt.SigningMethodHS256, fuzzKey, jwt.MapClaims{"iss": "evil", "sub": "staff-1", "iat": iat, "exp": exp}),
		forged(f, jwt.SigningMethodHS256, fuzzKey, jwt.MapClaims{"iss": issuer, "sub": "staff-1", "iat": iat - 7200, "exp": iat - 3600}),
		forged(f, jwt.SigningMethodHS256, fuzzKey, jwt.MapClaims{"iss": issuer, "sub": "", "iat": iat, "exp": exp}),
		"", "rdk_abc", "Bearer " + good, "e30.e30.", "....",
	}
	for _, s := range seeds {
		f.Add(s, "staff-1")
	}
	f.Add("x", "")
	f.Add("x", "staff\x00\r\nX: y")
	f.Fuzz(func(t *testing.T, token, subject string) {
		if sub, err := j.Parse(token); err == nil {
			if signingInput(token) != signingInput(good) || sub != "staff-1" {
				t.Fatalf("accepted a token Issue did not make: %q (subject %q)", token, sub)
			}
		} else if err != ErrInvalidToken {
			t.Fatalf("error %v, want ErrInvalidToken", err)
		}

		tok, _, err := j.Issue(subject, "admin")
		if err != nil {
			t.Fatal(err)
		}
		got, err := j.Parse(tok)
		switch {
		case !utf8.ValidString(subject):
			return // JSON carries it with U+FFFD; subjects are UUIDs anyway
		case subject == "":
			if err == nil {
				t.Fatal("a token without a subject parsed")
			}
			return
		}
		if err != nil || got != subject {
			t.Fatalf("Issue(%q) parsed back as %q, %v", subject, got, err)
		}
	})
}
