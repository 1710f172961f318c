package fulfilment

import (
	"context"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

// JobOutbox is the job outbox as the webhook dispatcher sends it: each job
// to its system's URL, signed with the system's current secret.
type JobOutbox struct{ s *Service }

// Jobs returns the outbox of jobs to give a webhooks.Dispatcher.
func (s *Service) Jobs() *JobOutbox { return &JobOutbox{s} }

// Claim leases due jobs. A job whose task was answered meanwhile (done, or
// failed: the system had it), or whose system was disabled or made manual,
// is cancelled rather than sent.
func (o *JobOutbox) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]webhooks.Message, error) {
	store := o.s.store
	claimed, err := store.ClaimTaskJobs(ctx, now, lease, limit)
	if err != nil || len(claimed) == 0 {
		return nil, err
	}
	systems := map[string]*models.DataSystem{}
	out := make([]webhooks.Message, 0, len(claimed))
	for i := range claimed {
		j := &claimed[i]
		d, ok := systems[j.SystemID]
		if !ok {
			if d, err = store.GetDataSystem(ctx, j.SystemID); err != nil {
				return nil, err
			}
			systems[j.SystemID] = d
		}
		t, err := store.GetTask(ctx, j.TaskID)
		if err != nil {
			return nil, err
		}
		out = append(out, webhooks.Message{
			ID: j.ID, Attempts: j.Attempts, URL: d.WebhookURL, Secret: o.s.SigningSecret(d), Body: []byte(j.Body),
			Headers: map[string]string{"Rightsdesk-Job": j.ID, "Rightsdesk-Event": "task.job"},
			Cancel:  d.DisabledAt != nil || d.Manual || d.WebhookURL == "" || !t.Open(),
			Ref:     j,
		})
	}
	return out, nil
}

// Delivered marks the job delivered and its task sent.
func (o *JobOutbox) Delivered(ctx context.Context, m *webhooks.Message, httpStatus int, at time.Time) (bool, error) {
	return o.s.store.MarkTaskJobDelivered(ctx, m.Ref.(*models.TaskJob), httpStatus, at)
}

// Retry releases the job for another attempt.
func (o *JobOutbox) Retry(ctx context.Context, m *webhooks.Message, next time.Time, httpStatus int, reason string) error {
	return o.s.store.MarkTaskJobRetry(ctx, m.ID, m.Attempts, next, httpStatus, reason)
}

// Cancel stops the job.
func (o *JobOutbox) Cancel(ctx context.Context, m *webhooks.Message) error {
	return o.s.store.CancelTaskJob(ctx, m.ID)
}
