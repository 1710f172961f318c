package webhooks

import (
	"time"

	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/models"
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
