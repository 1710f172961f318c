// Package mail delivers outbox messages. Delivery is at-least-once from the
// outbox's side; the provider's idempotency key turns that into exactly-once,
// so every Message carries one.
package mail

import "context"

// Message is one rendered email, ready to hand to a provider.
type Message struct {
	// IdempotencyKey is stable across retries of the same outbox row, so a
	// retry after an ambiguous failure cannot send the email twice.
	IdempotencyKey string
	From           string // may carry a display name: "Example Org <privacy@localhost>"
	To             string
	Subject        string
	Text           string
	HTML           string
}

// Sender delivers a Message and returns the provider's id for it. Errors are
// *SendError so the caller can tell a retry from a dead letter.
type Sender interface {
	Send(ctx context.Context, m Message) (providerID string, err error)
}
