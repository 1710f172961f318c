package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// listRequests is the staff queue, ordered by due date, keyset-paginated.
func (s *Server) listRequests(c echo.Context) error {
	q := c.QueryParams()
	page, err := s.Requests.List(c.Request().Context(), requests.ListQuery{
		Status: q.Get("status"), Type: q.Get("type"), Regime: q.Get("regime"), Assignee: q.Get("assignee"),
		DueBefore: q.Get("due_before"), EscalationLevel: q.Get("escalation_level"), Q: q.Get("q"),
		Limit: q.Get("limit"), Cursor: q.Get("cursor"),
	})
	if err != nil {
		return err
	}
	items := make([]requestView, len(page.Items))
	for i := range page.Items {
		items[i] = s.times.request(&page.Items[i])
	}
	var next *string
	if page.NextCursor != "" {
		next = &page.NextCursor
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "next_cursor": next})
}

// getRequest is one request with its events and tasks.
func (s *Server) getRequest(c echo.Context) error {
	d, err := s.Requests.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.times.detail(d))
}

type actionBody struct {
	Action   string `json:"action"`
	Reason   string `json:"reason"`
	Note     string `json:"note"`
	Assignee string `json:"assignee"`
	Days     int    `json:"days"`
}

// actOnRequest takes one staff action and returns the updated request.
func (s *Server) actOnRequest(c echo.Context) error {
	var b actionBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if b.Action == lifecycle.Complete {
		allowPackageBuild(c)
	}
	_, err := s.Requests.Act(ctx, caller(c).actor, c.Param("id"), requests.ActionInput{
		Action: b.Action, Reason: b.Reason, Note: b.Note, Assignee: b.Assignee, Days: b.Days,
	})
	if err != nil {
		return err
	}
	return s.getRequest(c)
}

// allowPackageBuild gives a complete action an hour to answer: completing
// an access or export request builds its package inside the call, about a
// minute per gigabyte, and the server's 60 s write timeout runs from the
// request's start, so a large package was built and recorded but its
// answer was cut.
func allowPackageBuild(c echo.Context) {
	_ = http.NewResponseController(c.Response()).SetWriteDeadline(time.Now().Add(time.Hour))
}

type staffIntakeBody struct {
	intakeBody
	ReceivedAt string `json:"received_at"`
	Verified   bool   `json:"verified"`
}

// staffIntake records a request received by another channel.
func (s *Server) staffIntake(c echo.Context) error {
	var b staffIntakeBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	in := requests.StaffInput{Input: b.input(), Verified: b.Verified}
	if b.ReceivedAt != "" {
		t, err := time.Parse(time.RFC3339, b.ReceivedAt)
		if err != nil {
			return fieldError(http.StatusBadRequest, "invalid", "received_at", "received_at must be an RFC 3339 time such as 2026-03-01T09:30:00Z")
		}
		in.ReceivedAt = t
	}
	r, err := s.Requests.SubmitForRequester(c.Request().Context(), caller(c).actor, in)
	if err != nil {
		return err
	}
	d, err := s.Requests.Get(c.Request().Context(), r.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.times.detail(d))
}
