package webhooks

import (
	"context"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/models"
)

// Limits of an endpoint's fields.
const (
	MaxURLLength         = 2000
	MaxDescriptionLength = 200
)

// Service manages webhook endpoints: the staff side of webhooks.
type Service struct {
	store *models.Store
	keys  secrets.Keys
	queue *Queue
	now   func() time.Time
}

// NewService returns a Service; now is the clock.
func NewService(store *models.Store, keys secrets.Keys, queue *Queue, now func() time.Time) *Service {
	return &Service{store: store, keys: keys, queue: queue, now: now}
}

// Queue is where the service's deliveries are written.
func (s *Service) Queue() *Queue { return s.queue }

// FieldError is bad input in one field ("url" or "description"); Message
// follows the field's name ("url must be …").
type FieldError struct{ Field, Message string }

func (e *FieldError) Error() string { return e.Field + " " + e.Message }

// EndpointView is an endpoint with a summary of its deliveries.
type EndpointView struct {
	models.WebhookEndpoint
	models.WebhookStats
}

// CreateEndpoint registers a URL to hear of changes from now on. It returns
// the endpoint and its signing secret, which is derived from the server's
// secret and the endpoint's id: shown to the caller this once, never stored.
func (s *Service) CreateEndpoint(ctx context.Context, rawURL, description, createdBy string) (*models.WebhookEndpoint, string, error) {
	u, err := checkURL(strings.TrimSpace(rawURL))
	if err != nil {
		return nil, "", err
	}
	description = strings.TrimSpace(description)
	if utf8.RuneCountInString(description) > MaxDescriptionLength {
		return nil, "", &FieldError{"description", "must be at most 200 characters"}
	}
	if !utf8.ValidString(description) || strings.IndexFunc(description, unicode.IsControl) >= 0 {
		return nil, "", &FieldError{"description", "must be one line of text"}
	}
	e := &models.WebhookEndpoint{ID: uuid.Must(uuid.NewV7()).String(), URL: u, Description: description,
		CreatedBy: createdBy, CreatedAt: s.now()}
	if err := s.store.CreateWebhookEndpoint(ctx, e); err != nil {
		return nil, "", err
	}
	return e, s.keys.WebhookSecret(e.ID), nil
}

// checkURL accepts an absolute http or https URL with a host. Loopback and
// private addresses are allowed: host applications often sit next to
// rightsdesk on a private network, and only admins register endpoints.
func checkURL(raw string) (string, error) {
	if raw == "" {
		return "", &FieldError{"url", "is required"}
	}
	if len(raw) > MaxURLLength {
		return "", &FieldError{"url", "must be at most 2000 characters"}
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" {
		return "", &FieldError{"url", "must be an absolute http or https URL"}
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return "", &FieldError{"url", "must be an absolute http or https URL"}
	}
	if u.Hostname() == "" {
		return "", &FieldError{"url", "must name a host"}
	}
	if u.User != nil {
		// It would be shown in every list; the signature already proves
		// the sender.
		return "", &FieldError{"url", "must not carry a user name or password"}
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "", &FieldError{"url", "must not have a #fragment (it is never sent)"}
	}
	return raw, nil
}

// Endpoints lists every endpoint, newest first, disabled ones included,
// with the counts of their deliveries.
func (s *Service) Endpoints(ctx context.Context) ([]EndpointView, error) {
	eps, err := s.store.ListWebhookEndpoints(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(eps))
	for i, e := range eps {
		ids[i] = e.ID
	}
	stats, err := s.store.WebhookEndpointStats(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]EndpointView, len(eps))
	for i, e := range eps {
		out[i] = EndpointView{WebhookEndpoint: e, WebhookStats: stats[e.ID]}
	}
	return out, nil
}

// DisableEndpoint stops an endpoint for good: it gets no new deliveries,
// and its undelivered ones are cancelled in the same transaction.
// Disabling it again changes nothing; an unknown id is models.ErrNotFound.
func (s *Service) DisableEndpoint(ctx context.Context, id string) error {
	return s.store.InTx(ctx, func(tx *models.Store) error {
		return tx.DisableWebhookEndpoint(ctx, id, s.now())
	})
}

// Deliveries lists an endpoint's deliveries, newest first, without their
// bodies; limit defaults to 50 and is capped at 200. An unknown endpoint is
// models.ErrNotFound.
func (s *Service) Deliveries(ctx context.Context, endpointID string, limit int) ([]models.WebhookDelivery, error) {
	if _, err := s.store.GetWebhookEndpoint(ctx, endpointID); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 50
	}
	return s.store.ListWebhookDeliveries(ctx, endpointID, min(limit, 200))
}
