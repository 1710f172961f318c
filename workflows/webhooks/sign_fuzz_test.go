package webhooks_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

// FuzzVerify feeds Verify any header and body. It must never panic, refuse
// with one of its three errors, and accept only a header carrying the HMAC
// of exactly that body under the secret: a forgery never verifies. Sign's
// own header for the body always verifies, and not for another body.
func FuzzVerify(f *testing.F) {
	f.Add(vecHeader, []byte(vecBody))
	f.Add("t=1767225600,v1="+vecSig+",v1=00", []byte(vecBody))
	f.Add("t=1767225600,v0=abc,v1="+vecSig, []byte(vecBody))
	f.Add("v1="+vecSig+",t=1767225600", []byte(vecBody+" "))
	f.Add("t=+1767225600,v1="+vecSig, []byte(vecBody))
	f.Add("t=1767225600,t=1767225600,v1="+vecSig, []byte(vecBody))
	f.Add("t=-1,v1=", []byte{})
	f.Add("t=99999999999999999999,v1="+strings.ToUpper(vecSig), []byte("\x00"))
	f.Add("t=1767225600\r\nX-Injected: 1,v1="+vecSig, []byte(vecBody))
	f.Add(" , = ,,", []byte(nil))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := webhooks.Verify(header, body, vecSecret, vecTime, 0)
		switch {
		case err == nil:
			if !carriesMAC(header, body) {
				t.Fatalf("accepted %q for a body it does not sign (%q)", header, body)
			}
		case !errors.Is(err, webhooks.ErrSignatureHeader) && !errors.Is(err, webhooks.ErrSignatureTime) && !errors.Is(err, webhooks.ErrSignatureMismatch):
			t.Fatalf("unexpected error %v", err)
		}

		signed := webhooks.Sign(vecSecret, vecTime, body)
		if err := webhooks.Verify(signed, body, vecSecret, vecTime.Add(-time.Minute), 0); err != nil {
			t.Fatalf("Sign's own header %q refused: %v", signed, err)
		}
		if err := webhooks.Verify(signed, append(bytes.Clone(body), 'x'), vecSecret, vecTime, 0); !errors.Is(err, webhooks.ErrSignatureMismatch) {
			t.Fatalf("a changed body verified: %v", err)
		}
		if err := webhooks.Verify(signed, body, vecSecret+"x", vecTime, 0); !errors.Is(err, webhooks.ErrSignatureMismatch) {
			t.Fatalf("another secret verified: %v", err)
		}
		if err := webhooks.Verify(signed, body, vecSecret, vecTime.Add(webhooks.DefaultTolerance+time.Second), 0); !errors.Is(err, webhooks.ErrSignatureTime) {
			t.Fatalf("a stale signature verified: %v", err)
		}
	})
}

// carriesMAC is the receiver's rule written independently of Verify: some
// v1 entry is the HMAC of "<t>.<body>" for the header's t, as written.
func carriesMAC(header string, body []byte) bool {
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, strings.ToLower(v))
		}
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(vecSecret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	want := hex.EncodeToString(m.Sum(nil))
	for _, s := range sigs {
		if s == want {
			return true
		}
	}
	return false
}
