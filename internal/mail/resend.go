package mail

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/resend/resend-go/v2"
)

// DefaultBaseURL is Resend's public API. We set it explicitly instead of
// relying on resend-go's default, which reads RESEND_BASE_URL once at
// package init — too early for configuration and for tests.
const DefaultBaseURL = "https://api.resend.com/"

// defaultTimeout bounds one Send when the caller gives no client: an outbox
// worker stuck on a dead connection would hold its claim forever.
const defaultTimeout = 30 * time.Second

// Resend sends through the Resend API with the official client.
type Resend struct {
	client *resend.Client
}

var _ Sender = (*Resend)(nil)

// NewResend builds a sender. baseURL "" means Resend's public API; hc nil
// means an http.Client with a 30 s timeout. hc itself is not modified: its
// transport is wrapped in a copy.
func NewResend(apiKey, baseURL string, hc *http.Client) (*Resend, error) {
	apiKey = strings.TrimSpace(apiKey)
	if apiKey == "" {
		return nil, errors.New("mail: empty Resend API key")
	}
	base, err := normaliseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	c := http.Client{Timeout: defaultTimeout}
	if hc != nil {
		c = *hc
	}
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = recordingTransport{base: rt}

	client := resend.NewCustomClient(&c, apiKey)
	client.BaseURL = base
	return &Resend{client: client}, nil
}

// normaliseBaseURL makes the base end with "/": resend-go resolves the
// relative path "emails" against it, so ".../v1" would become "/emails"
// instead of "/v1/emails".
func normaliseBaseURL(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("mail: Resend base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("mail: Resend base URL %q: want an absolute http(s) URL", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("mail: Resend base URL %q: must not have a query or fragment", u.Redacted())
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u, nil
}

// Send delivers m once; on failure the error is a *SendError.
func (r *Resend) Send(ctx context.Context, m Message) (string, error) {
	if err := m.check(); err != nil {
		return "", &SendError{Permanent: true, Err: err}
	}
	ctx, rec := withRecord(ctx)
	resp, err := r.client.Emails.SendWithOptions(ctx, &resend.SendEmailRequest{
		From:    m.From,
		To:      []string{m.To},
		Subject: oneLine(m.Subject),
		Html:    m.HTML,
		Text:    m.Text,
	}, &resend.SendEmailOptions{IdempotencyKey: m.IdempotencyKey})
	if err != nil {
		return "", classify(err, rec)
	}
	if resp == nil || resp.Id == "" {
		// Accepted but unidentified: retrying with the same key replays
		// the original answer instead of sending again.
		return "", &SendError{Status: rec.status, Err: errors.New("provider answered without an email id")}
	}
	return resp.Id, nil
}

// check rejects messages that no retry can fix, before spending a request.
// Its errors name fields, never their values.
func (m Message) check() error {
	switch {
	case m.IdempotencyKey == "":
		return errors.New("message has no idempotency key")
	case len(m.IdempotencyKey) > 256: // Resend's limit
		return errors.New("idempotency key longer than 256 bytes")
	case strings.TrimSpace(m.From) == "":
		return errors.New("message has no sender")
	case strings.ContainsAny(m.From, "\r\n"):
		return errors.New("sender contains a line break")
	case strings.TrimSpace(m.To) == "":
		return errors.New("message has no recipient")
	case strings.ContainsAny(m.To, "\r\n,;"):
		return errors.New("recipient is not a single address")
	case strings.TrimSpace(m.Subject) == "":
		return errors.New("message has no subject")
	case m.Text == "" && m.HTML == "":
		return errors.New("message has no body")
	}
	return nil
}

// oneLine flattens a subject as a last line of defence against header
// injection; templates already do this.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
