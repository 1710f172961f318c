package handlers

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// publicPages declares the requester's HTML pages. public is the per-IP
// rate limit of the public endpoints.
func (s *Server) publicPages(public []echo.MiddlewareFunc) {
	e := s.echo
	forms := echo.WrapMiddleware(http.NewCrossOriginProtection().Handler)
	e.GET("/verify/:token", s.verifyPage)
	e.GET("/r/:token", s.statusPage)
	e.POST("/verify/:token", s.verifyConfirm, append([]echo.MiddlewareFunc{forms}, public...)...)
}

// pageData is what every public page gets: the organisation from the
// policy, plus the page's own fields.
type pageData struct {
	OrgName   string
	PolicyURL string
	Title     string
	Message   string
	Request   *models.Request
	Token     string
	DueDate   string
	Timeline  []timelineEntry
}

// timelineEntry is one event as the requester reads it.
type timelineEntry struct {
	At   time.Time
	What string
	Note string
}

// requesterWords says what an event means, in the requester's words.
var requesterWords = map[string]string{
	"submit": "you made the request", "intake": "we recorded your request", "verify": "you confirmed your email address",
	"acknowledge": "we acknowledged your request", "start": "we started working on it", "request_info": "we asked you for information",
	"resume": "we resumed work", "extend": "we extended the deadline", "complete": "we completed your request",
	"deny": "we declined your request", "withdraw": "the request was withdrawn", "expire": "the request expired unconfirmed",
	"escalate": "the request was escalated",
}

func (s *Server) renderPage(c echo.Context, status int, name string, d pageData) error {
	p := s.Requests.Policy()
	d.OrgName, d.PolicyURL = p.Organization.Name, p.Organization.PolicyURL
	var buf bytes.Buffer
	if err := templates.RenderPage(&buf, name, d); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// verifyPage shows a confirm button and consumes nothing: mail scanners
// that prefetch the link must not confirm the request.
func (s *Server) verifyPage(c echo.Context) error {
	token := c.Param("token")
	r, err := s.Requests.PeekVerification(c.Request().Context(), token)
	if err != nil {
		return s.linkProblem(c, err)
	}
	return s.renderPage(c, http.StatusOK, "verify", pageData{Title: "Confirm your request", Request: r, Token: token})
}

// verifyConfirm is the button's POST: it uses the token.
func (s *Server) verifyConfirm(c echo.Context) error {
	r, err := s.Requests.Verify(c.Request().Context(), c.Param("token"))
	if err != nil {
		return s.linkProblem(c, err)
	}
	return s.renderPage(c, http.StatusOK, "verified", pageData{
		Title: "Request confirmed", Request: r, DueDate: r.DeadlineAt.In(s.times.loc).Format("2 January 2006"),
	})
}

// statusPage is the requester's view of their request, from emailed links.
func (s *Server) statusPage(c echo.Context) error {
	d, err := s.Requests.Status(c.Request().Context(), c.Param("token"))
	if err != nil {
		return s.linkProblem(c, err)
	}
	entries := make([]timelineEntry, 0, len(d.Events))
	for _, e := range d.Events {
		what := requesterWords[e.Action]
		if what == "" {
			what = strings.ReplaceAll(e.Action, "_", " ")
		}
		entries = append(entries, timelineEntry{At: e.At.In(s.times.loc), What: what, Note: e.Note})
	}
	return s.renderPage(c, http.StatusOK, "status", pageData{
		Title: "Your request " + d.Request.Reference, Request: d.Request, Timeline: entries,
		DueDate: d.Request.DeadlineAt.In(s.times.loc).Format("2 January 2006"),
	})
}

// linkProblem renders a dead link as a page with the API's status codes.
func (s *Server) linkProblem(c echo.Context, err error) error {
	if !errors.Is(err, requests.ErrLinkGone) && !errors.Is(err, requests.ErrLinkUnknown) {
		return err
	}
	ae := toAPIError(err)
	return s.renderPage(c, ae.Status, "error", pageData{Title: "This link does not work", Message: ae.Message})
}

// static serves the embedded stylesheet; directories are not listed.
func staticHandler() echo.HandlerFunc {
	files := http.StripPrefix("/static/", http.FileServerFS(templates.Static()))
	return func(c echo.Context) error {
		if name := c.Param("*"); name == "" || strings.HasSuffix(name, "/") {
			return echo.ErrNotFound
		}
		files.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}
