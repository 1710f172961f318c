package handlers

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
)

type outboxView struct {
	ID        string     `json:"id"`
	Template  string     `json:"template"`
	RequestID *string    `json:"request_id"`
	To        string     `json:"to"`
	Subject   string     `json:"subject"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at"`
	// Text is the body of a dev-outbox message: with no email provider it
	// is how an operator gets at a verification link. Sent messages keep no
	// body at all.
	Text string `json:"text,omitempty"`
}

var outboxStatuses = []string{models.OutboxPending, models.OutboxSending, models.OutboxSent, models.OutboxFailed, models.OutboxDev}

// listOutbox shows the email outbox to admins: what was sent, what failed
// and why, and the dev outbox.
func (s *Server) listOutbox(c echo.Context) error {
	if p := caller(c); p.key != nil || p.role != models.RoleAdmin {
		return errForbidden
	}
	f := models.OutboxFilter{Status: c.QueryParam("status"), Limit: 50}
	if f.Status != "" && !slices.Contains(outboxStatuses, f.Status) {
		return fieldError(http.StatusBadRequest, "invalid", "status", "status must be one of pending, sending, sent, failed, dev")
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return fieldError(http.StatusBadRequest, "invalid", "limit", "limit must be between 1 and 200")
		}
		f.Limit = n
	}
	msgs, err := s.Store.ListOutbox(c.Request().Context(), f)
	if err != nil {
		return err
	}
	items := make([]outboxView, len(msgs))
	for i, m := range msgs {
		items[i] = outboxView{ID: m.ID, Template: m.Template, RequestID: m.RequestID, To: m.ToAddr, Subject: m.Subject,
			Status: m.Status, Attempts: m.Attempts, LastError: m.LastError, CreatedAt: s.times.at(m.CreatedAt), SentAt: s.times.ptr(m.SentAt)}
		if m.Status == models.OutboxDev {
			items[i].Text = m.TextBody
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}
