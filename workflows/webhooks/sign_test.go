package webhooks_test

import (
	"errors"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

const (
	vecSecret = "whsec_00112233445566778899aabbccddeeff"
	vecBody   = `{"id":"a","type":"consent.changed"}`
	// printf '%s' '1767225600.{"id":"a","type":"consent.changed"}' |
	//   openssl dgst -sha256 -hmac whsec_00112233445566778899aabbccddeeff
	vecSig    = "65c1632cac0cf9b2a7f4322f54ef31c5343c1ba84a1db5c94c4378777de48765"
	vecHeader = "t=1767225600,v1=" + vecSig
)

var vecTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestSignFixedVector(t *testing.T) {
	if got := webhooks.Sign(vecSecret, vecTime, []byte(vecBody)); got != vecHeader {
		t.Fatalf("Sign = %q, want %q", got, vecHeader)
	}
	// The instant counts, not its zone or fraction of a second.
	if got := webhooks.Sign(vecSecret, vecTime.In(time.FixedZone("X", 3600)).Add(900*time.Millisecond), []byte(vecBody)); got != vecHeader {
		t.Fatalf("Sign in another zone = %q", got)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(vecBody)
	other := "t=1767225600,v1=" + "00" + vecSig[2:]
	cases := []struct {
		name   string
		header string
		body   []byte
		secret string
		now    time.Time
		want   error
	}{
		{"exact", vecHeader, body, vecSecret, vecTime, nil},
		{"4 min late", vecHeader, body, vecSecret, vecTime.Add(4 * time.Minute), nil},
		{"4 min early", vecHeader, body, vecSecret, vecTime.Add(-4 * time.Minute), nil},
		{"spaces and unknown keys", " t=1767225600 , v0=zz , v1=" + vecSig + " ", body, vecSecret, vecTime, nil},
		{"several v1, one right", other + ",v1=" + vecSig, body, vecSecret, vecTime, nil},
		{"too old", vecHeader, body, vecSecret, vecTime.Add(5*time.Minute + time.Second), webhooks.ErrSignatureTime},
		{"from the future", vecHeader, body, vecSecret, vecTime.Add(-6 * time.Minute), webhooks.ErrSignatureTime},
		{"forged secret", vecHeader, body, "whsec_ffffffffffffffffffffffffffffffff", vecTime, webhooks.ErrSignatureMismatch},
		{"secret without its prefix", vecHeader, body, vecSecret[len("whsec_"):], vecTime, webhooks.ErrSignatureMismatch},
		{"tampered body", vecHeader, []byte(`{"id":"b","type":"consent.changed"}`), vecSecret, vecTime, webhooks.ErrSignatureMismatch},
		{"body re-encoded", vecHeader, []byte(`{"id": "a", "type": "consent.changed"}`), vecSecret, vecTime, webhooks.ErrSignatureMismatch},
		{"wrong v1 only", other, body, vecSecret, vecTime, webhooks.ErrSignatureMismatch},
		{"empty", "", body, vecSecret, vecTime, webhooks.ErrSignatureHeader},
		{"no v1", "t=1767225600", body, vecSecret, vecTime, webhooks.ErrSignatureHeader},
		{"no t", "v1=" + vecSig, body, vecSecret, vecTime, webhooks.ErrSignatureHeader},
		{"two t", "t=1767225600,t=1767225600,v1=" + vecSig, body, vecSecret, vecTime, webhooks.ErrSignatureHeader},
		{"t not a number", "t=soon,v1=" + vecSig, body, vecSecret, vecTime, webhooks.ErrSignatureHeader},
		{"v1 not hex", "t=1767225600,v1=" + vecSig[:62] + "zz", body, vecSecret, vecTime, webhooks.ErrSignatureHeader},
		{"v1 too short", "t=1767225600,v1=" + vecSig[:62], body, vecSecret, vecTime, webhooks.ErrSignatureHeader},
		{"no equals sign", "t=1767225600,v1", body, vecSecret, vecTime, webhooks.ErrSignatureHeader},
		{"another scheme's header", "sha256=" + vecSig, body, vecSecret, vecTime, webhooks.ErrSignatureHeader},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := webhooks.Verify(c.header, c.body, c.secret, c.now, 5*time.Minute); !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
		})
	}
	// A tolerance that is not positive means the default five minutes, never
	// "any time".
	if err := webhooks.Verify(vecHeader, body, vecSecret, vecTime.Add(time.Hour), 0); !errors.Is(err, webhooks.ErrSignatureTime) {
		t.Fatalf("zero tolerance: %v", err)
	}
	if err := webhooks.Verify(vecHeader, body, vecSecret, vecTime.Add(4*time.Minute), 0); err != nil {
		t.Fatalf("zero tolerance within 5 min: %v", err)
	}
}

// A header Sign made, Verify accepts: round trip with a derived secret.
func TestSignVerifyRoundTrip(t *testing.T) {
	now := time.Now()
	h := webhooks.Sign(vecSecret, now, []byte("{}"))
	if err := webhooks.Verify(h, []byte("{}"), vecSecret, now, time.Minute); err != nil {
		t.Fatal(err)
	}
}
