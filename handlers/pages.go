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
// rate limit of the public endpoints. Every form is CSRF-protected: a
// hidden _csrf token bound to the rd_csrf cookie (see csrfProtect), except
// the verification link's confirm button, whose token is in its URL and
// which refuses cross-origin posts.
func (s *Server) publicPages(public []echo.MiddlewareFunc) {
	e := s.echo
	forms := sameOrigin(http.NewCrossOriginProtection())
	csrf := s.csrfProtect()
	posting := append(append([]echo.MiddlewareFunc{}, public...), csrf)

	// Every page reached by a link token counts wrong tokens per address.
	linked := func(m ...echo.MiddlewareFunc) []echo.MiddlewareFunc {
		return append(append([]echo.MiddlewareFunc{}, m...), s.guardTokens)
	}

	e.GET("/", s.requestFormPage, csrf)
	e.POST("/requests", s.submitRequestForm, posting...)
	e.GET("/verify/:token", s.verifyPage, linked()...)
	e.POST("/verify/:token", s.verifyConfirm, linked(append([]echo.MiddlewareFunc{forms}, public...)...)...)
	e.GET("/r/:token", s.statusPage, linked(csrf)...)
	e.GET("/r/:token/package", s.downloadPackage, linked()...)
	e.POST("/r/:token/withdraw", s.withdrawRequest, linked(posting...)...)
	e.POST("/r/:token/answer", s.answerRequest, linked(posting...)...)
	s.consentPages(public, linked)
}

// sameOrigin refuses a form post sent from another site (by Sec-Fetch-Site
// or Origin) with the site's own 403 page. The confirm form has no CSRF
// token: its link token already proves the requester opened the page.
func sameOrigin(cop *http.CrossOriginProtection) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if cop.Check(c.Request()) != nil {
				return errCrossOrigin
			}
			return next(c)
		}
	}
}

var errCrossOrigin = apiErr(http.StatusForbidden, "cross_origin", "this form was sent from another site; open the link from your email again and press the button")

// pageData is what every public page gets: the organisation from the
// policy, plus the page's own fields.
type pageData struct {
	OrgName   string
	PolicyURL string
	Title     string
	Message   string
	HasErrors bool
	Request   *models.Request
	Token     string
	CSRF      string
	Form      *formView
	Status    *statusView
	Consent   *consentView
}

func (s *Server) renderPage(c echo.Context, status int, name string, d pageData) error {
	p := s.Requests.Policy()
	d.OrgName, d.PolicyURL = p.Organization.Name, p.Organization.PolicyURL
	d.HasErrors = d.Form != nil && len(d.Form.Errors) > 0 || d.Status != nil && (len(d.Status.Errors) > 0 || d.Status.Problem != "")
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

// verifyConfirm is the button's POST: it uses the token, then sends the
// requester on to their status page with a fresh status link (303, so that
// reloading the page does not post again).
func (s *Server) verifyConfirm(c echo.Context) error {
	_, status, err := s.Requests.VerifyForPage(c.Request().Context(), c.Param("token"))
	if err != nil {
		return s.linkProblem(c, err)
	}
	return c.Redirect(http.StatusSeeOther, statusURL(status, doneConfirmed))
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

// dateWords shows a time as a date in the policy's zone: 5 February 2026.
func (s *Server) dateWords(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.times.loc).Format("2 January 2006")
}
