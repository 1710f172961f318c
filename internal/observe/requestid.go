package observe

import (
	"context"
	"regexp"
)

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id, for the log handler
// (and anything else) to find without an echo.Context at hand.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the request id in ctx, or "" outside a request.
func RequestID(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

var safeID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// SafeRequestID says whether a client's X-Request-Id may be kept: short,
// of URL-safe characters (nothing to break a log line or a header), and
// nothing Scrub would hide, so that the id in the logs is always the id in
// the response.
func SafeRequestID(id string) bool {
	return safeID.MatchString(id) && Scrub(id) == id
}
