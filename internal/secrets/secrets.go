// Package secrets derives the server's keys from RIGHTSDESK_SECRET and makes
// and hashes the random tokens that go into emailed links and API keys.
package secrets

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// MinSecretBytes is the shortest RIGHTSDESK_SECRET accepted.
const MinSecretBytes = 32

// Keys are independent keys derived from the one secret, so that a key
// leaked from one use (say a JWT key) reveals nothing about the others.
type Keys struct {
	jwt     []byte
	token   []byte
	webhook []byte
}

// Derive expands the master secret with HKDF-SHA256, one label per use.
func Derive(master []byte) Keys {
	derive := func(label string) []byte {
		k, err := hkdf.Key(sha256.New, master, nil, "rightsdesk "+label, 32)
		if err != nil {
			panic(err) // only for lengths beyond HKDF's limit, never here
		}
		return k
	}
	return Keys{jwt: derive("jwt v1"), token: derive("link-token v1"), webhook: derive("webhook-secret v1")}
}

// JWTKey signs staff JWTs (HS256).
func (k Keys) JWTKey() []byte { return k.jwt }

// NewToken returns a link token: 26 base32 characters, 130 random bits.
func NewToken() string { return rand.Text() }

// HashToken is the keyed hash stored for a link token (hex HMAC-SHA256).
// The token itself is never stored: a database dump opens no link.
func (k Keys) HashToken(token string) string {
	m := hmac.New(sha256.New, k.token)
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// WebhookSecret is the signing secret of a webhook endpoint (or data system)
// with that id: derived, so it is never stored and a database dump signs
// nothing. Rotating RIGHTSDESK_SECRET changes every signing secret.
func (k Keys) WebhookSecret(id string) string {
	m := hmac.New(sha256.New, k.webhook)
	m.Write([]byte(id))
	return "whsec_" + hex.EncodeToString(m.Sum(nil))
}

// APIKeyPrefix starts every API key, so that leaked keys are easy to spot
// in code and logs.
const APIKeyPrefix = "rdk_"

// NewAPIKey returns a new API key (rdk_ + 130 random bits).
func NewAPIKey() string { return APIKeyPrefix + strings.ToLower(rand.Text()) }

// HashAPIKey is the stored form of an API key: plain SHA-256, unkeyed, so
// that keys keep working if the operator later sets or rotates
// RIGHTSDESK_SECRET. With 130 random bits a dictionary attack is hopeless.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Equal compares two secrets in constant time.
func Equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// NewSecret returns a fresh master secret (for the one generated on first
// start when RIGHTSDESK_SECRET is not given).
func NewSecret() string { return rand.Text() + rand.Text() } // 52 chars, 260 bits
