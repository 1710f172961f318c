package requests

import (
	"context"

	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/audit"
)

// event appends to the request's hash chain, in the caller's transaction.
// from is the status before the change ("" when there was none).
func (s *Service) event(ctx context.Context, tx *models.Store, r *models.Request, actor Actor, action, from, note string, internal bool) error {
	return audit.Append(ctx, tx, &models.Event{
		RequestID: r.ID, At: s.clock(), Actor: actor.String(), Action: action,
		FromStatus: from, ToStatus: r.Status, Note: note, Internal: internal,
	})
}
