package mail

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/resend/resend-go/v2"
)

// SendError classifies a failed Send so the outbox knows whether to retry.
// Its text never contains the recipient or the body: it ends up in logs,
// the outbox's last_error column and Sentry.
type SendError struct {
	Status     int           // provider HTTP status; 0 when no response arrived
	Permanent  bool          // retrying the same message cannot succeed
	RetryAfter time.Duration // provider's hint; 0 = use your own backoff
	Err        error
}

func (e *SendError) Error() string {
	kind := "retryable"
	if e.Permanent {
		kind = "permanent"
	}
	var b strings.Builder
	b.WriteString("mail: ")
	b.WriteString(kind)
	b.WriteString(" send failure")
	if e.Status != 0 {
		fmt.Fprintf(&b, " (status %d)", e.Status)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " retry after %v", e.RetryAfter)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *SendError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a SendError that retrying cannot fix.
// Errors of any other kind are treated as transient: losing an email to a
// misclassification is worse than a bounded number of extra attempts.
func IsPermanent(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Permanent
}

// providerError is the provider's own error, already scrubbed.
type providerError struct {
	name, message string
	rateLimit     bool
}

func (e *providerError) Error() string {
	switch {
	case e.name != "" && e.message != "":
		return e.name + ": " + e.message
	case e.message != "":
		return e.message
	default:
		return e.name
	}
}

// Is lets callers keep using errors.Is(err, resend.ErrRateLimit).
func (e *providerError) Is(target error) bool { return e.rateLimit && target == resend.ErrRateLimit }

// emailLike matches anything address-shaped. Provider messages sometimes
// quote the address they rejected; we keep the message (it says what to
// fix) but not the address (personal data must not reach logs).
var emailLike = regexp.MustCompile(`[^\s<>"'(),;:\x60\[\]]+@[^\s<>"'(),;:\x60\[\]]+`)

// scrub makes provider text safe to log: no addresses, no control
// characters (log injection), bounded length.
func scrub(s string) string {
	s = emailLike.ReplaceAllString(s, "[address]")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	const max = 300
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return s
}
