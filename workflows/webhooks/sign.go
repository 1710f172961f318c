package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a delivery's signature.
const SignatureHeader = "Rightsdesk-Signature"

// DefaultTolerance is how far a signature's time may be from the
// receiver's clock: old enough deliveries are refused, so a captured
// request cannot be replayed later.
const DefaultTolerance = 5 * time.Minute

// Why Verify refuses a delivery.
var (
	ErrSignatureHeader   = errors.New("webhooks: malformed " + SignatureHeader + " header")
	ErrSignatureTime     = errors.New("webhooks: signature time outside the tolerance")
	ErrSignatureMismatch = errors.New("webhooks: no signature matches")
)

// Sign returns the Rightsdesk-Signature header of body sent at t:
// "t=<unix seconds>,v1=<lowercase hex HMAC-SHA256 of "<t>.<body>">", keyed
// by the bytes of secret as shown ("whsec_…", prefix included).
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a Rightsdesk-Signature header against the body exactly as
// received: it is accepted when its t is within tolerance of now
// (DefaultTolerance when tolerance is not positive) and one of its v1
// entries is the HMAC of "<t>.<body>" under secret. Several v1 entries are
// allowed (a sender may sign with an old and a new secret during a
// rotation), and keys other than t and v1 are ignored for later schemes.
func Verify(header string, body []byte, secret string, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrSignatureHeader
		}
		switch k {
		case "t":
			if ts != "" {
				return ErrSignatureHeader
			}
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return ErrSignatureHeader
			}
			sigs = append(sigs, sig)
		}
	}
	if ts == "" || len(sigs) == 0 {
		return ErrSignatureHeader
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec < 0 {
		return ErrSignatureHeader
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrSignatureTime
	}
	want := mac(secret, ts, body)
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			return nil
		}
	}
	return ErrSignatureMismatch
}
