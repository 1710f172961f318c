package fakeresend

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"slices"
)

// validate mirrors the checks Resend answers with 422, so a test sending a
// malformed message fails here as it would in production.
func validate(req sendRequest, to []string) string {
	switch {
	case req.From == "":
		return "Missing `from` field."
	case len(to) == 0:
		return "Missing `to` field."
	case req.Subject == "":
		return "Missing `subject` field."
	case req.HTML == "" && req.Text == "":
		return "Missing `html` or `text` field."
	}
	if _, err := mail.ParseAddress(req.From); err != nil {
		return "Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format."
	}
	for _, a := range to {
		if _, err := mail.ParseAddress(a); err != nil {
			return "Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format."
		}
	}
	if len(to) > 50 {
		return "Too many recipients. The maximum is 50."
	}
	return ""
}

func parseTo(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		//lint:ignore ST1005 the fake answers with Resend's own message, word for word
		return nil, errors.New("Invalid `to` field. Expected a string or an array of strings.")
	}
	return many, nil
}

// samePayload decides whether a repeated Idempotency-Key is a retry (replay
// the answer) or a misuse (409), as Resend does.
func samePayload(a, b Email) bool {
	return a.From == b.From && slices.Equal(a.To, b.To) && a.Subject == b.Subject &&
		a.Text == b.Text && a.HTML == b.HTML
}

// defaultError is Resend's error name and message for a status.
func defaultError(status int) (name, message string) {
	switch status {
	case http.StatusBadRequest:
		return "validation_error", "The request is invalid."
	case http.StatusUnauthorized:
		return "missing_api_key", "Missing API key in the authorization header."
	case http.StatusForbidden:
		return "invalid_api_key", "API key is invalid."
	case http.StatusNotFound:
		return "not_found", "The requested endpoint does not exist."
	case http.StatusConflict:
		return "invalid_idempotent_request", "Same idempotency key used with a different request payload. Change your idempotency key or payload."
	case http.StatusUnprocessableEntity:
		return "validation_error", "Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format."
	case http.StatusTooManyRequests:
		return "rate_limit_exceeded", "Too many requests. You can only make 2 requests per second. See rate limit response headers for more information."
	case http.StatusInternalServerError:
		return "internal_server_error", "An unexpected error occurred."
	}
	if status >= 500 {
		return "application_error", "An unexpected error occurred, please try again later."
	}
	return "application_error", http.StatusText(status)
}

// writeError answers in Resend's error shape; the JSON content type matters
// because resend-go only decodes the message when it sees it.
func writeError(w http.ResponseWriter, status int, name, message string) {
	writeJSON(w, status, map[string]any{"statusCode": status, "name": name, "message": message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// newID makes a UUIDv4-shaped id like Resend's.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
