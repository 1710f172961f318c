package mail

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/resend/resend-go/v2"
)

// defaultRateLimitWait is used when a 429 carries no usable hint. Resend's
// default limit is a few requests per second, so a second is enough to get
// back under it.
const defaultRateLimitWait = time.Second

// maxRetryAfter caps a provider hint so a garbled header cannot park a
// message for years (or overflow a Duration).
const maxRetryAfter = 24 * time.Hour

// classify turns a resend-go error plus what the transport saw into a
// *SendError. Retrying is always safe because the idempotency key makes
// Resend replay an earlier success instead of sending twice; so when in
// doubt we retry, and only answers that will not change become permanent.
func classify(err error, rec *callRecord) *SendError {
	se := &SendError{Status: rec.status, Err: err}
	switch {
	case rec.status == 0:
		// No response: network failure, timeout or cancellation — unless
		// resend-go could not even build the request.
		se.Permanent = errors.Is(err, resend.ErrFailedToCreateEmailsSendRequest)
		return se
	case rec.status >= 200 && rec.status < 300:
		// Accepted, but the answer was unreadable: ambiguous, retry.
		return se
	}

	pe := &providerError{name: scrub(rec.name), message: scrub(rec.message), rateLimit: rec.status == http.StatusTooManyRequests}
	if pe.name == "" && pe.message == "" {
		pe.message = http.StatusText(rec.status)
	}
	// Replace resend-go's error: its text is the unscrubbed provider message.
	se.Err = pe
	se.RetryAfter = parseRetryAfter(rec.retryAfter)

	switch {
	case rec.status == http.StatusTooManyRequests:
		var rl *resend.RateLimitError
		if errors.As(err, &rl) {
			if d := parseRetryAfter(rl.RetryAfter); d > 0 {
				se.RetryAfter = d
			} else if d := parseRetryAfter(rl.Reset); d > 0 && se.RetryAfter == 0 {
				se.RetryAfter = d
			}
		}
		if se.RetryAfter == 0 {
			se.RetryAfter = defaultRateLimitWait
		}
	case rec.status == http.StatusRequestTimeout:
		// A timeout that happens to be reported as 4xx.
	case rec.status == http.StatusConflict && rec.name == "concurrent_idempotent_requests":
		// Resend: the first request with this key is still in flight;
		// retrying later returns its answer. (invalid_idempotent_request —
		// same key, different payload — stays permanent below.)
	case rec.status >= 400 && rec.status < 500:
		// Validation (400/422), bad key (401/403), idempotency misuse
		// (409): the same request will get the same answer.
		se.Permanent = true
	}
	return se
}

// parseRetryAfter reads delta-seconds or an HTTP date; 0 when absent or
// unusable.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if !(secs > 0) { // also rejects NaN
			return 0
		}
		if secs > maxRetryAfter.Seconds() {
			return maxRetryAfter
		}
		d = time.Duration(secs * float64(time.Second))
	} else if at, err := http.ParseTime(v); err == nil {
		d = time.Until(at)
	}
	if d <= 0 {
		return 0
	}
	return min(d, maxRetryAfter)
}
