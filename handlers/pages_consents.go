package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/consents"
)

// The consent center. A person asks for a link by email (GET/POST
// /consents), or follows one from our other emails, and opens
// /consents/{token}: each purpose of the policy with its state and one
// button to change it (POST /consents/{token}/purposes/{purpose}, which
// answers 303 back to the page), the full history, and each event's receipt
// as JSON (GET /consents/{token}/receipts/{id}).

// consentPages declares the consent center's routes. Posts are
// rate-limited like the request form and carry the same CSRF token.
func (s *Server) consentPages(public []echo.MiddlewareFunc, linked func(...echo.MiddlewareFunc) []echo.MiddlewareFunc) {
	e := s.echo
	csrf := s.csrfProtect()
	posting := append(append([]echo.MiddlewareFunc{}, public...), csrf)

	e.GET("/consents", s.centerAskPage, csrf)
	e.POST("/consents", s.centerAsk, posting...)
	e.GET("/consents/:token", s.centerPage, linked(csrf)...)
	e.POST("/consents/:token/purposes/:purpose", s.centerChange, linked(posting...)...)
	e.GET("/consents/:token/receipts/:id", s.centerReceipt, linked()...)
}

// consentView is the consent center page.
type consentView struct {
	Token    string
	Email    string
	Notice   string
	Purposes []centerPurpose
	History  []centerRow // newest first
	Zone     string      // the time zone the times are in
}

// centerPurpose is one purpose with its state and its one button.
type centerPurpose struct {
	Key, Title, Description, LegalBasis string
	Granted                             bool
	Since                               *time.Time // nil at the policy's default
	How                                 string
	Action, Button                      string // what the button posts, and its words
}

// centerRow is one event of the history.
type centerRow struct {
	ID, Purpose, What, How, PolicyVersion string
	At                                    time.Time
}

// centerSourceWords says how a choice was made, after "Allowed since …".
var centerSourceWords = map[string]string{
	models.SourceWebForm:   "on a web form",
	models.SourceGPC:       "by your browser's Global Privacy Control signal",
	models.SourceRequest:   "by your privacy request",
	models.SourceAPI:       "by our app",
	models.SourceEmail:     "by email",
	models.SourceImport:    "imported from our earlier records",
	consents.SourceDefault: "our default; you have not changed it",
}

// centerBasisWords names the common legal bases; the policy's text is shown
// as it is otherwise.
var centerBasisWords = map[string]string{
	"consent":              "your consent",
	"legitimate_interests": "our legitimate interests",
	"legitimate_interest":  "our legitimate interests",
	"contract":             "our contract with you",
	"legal_obligation":     "a legal obligation",
	"vital_interests":      "your vital interests",
	"public_task":          "a task in the public interest",
}

func centerSource(src string) string {
	if w, ok := centerSourceWords[src]; ok {
		return w
	}
	return underscoreWords(src)
}

func centerBasis(b string) string {
	if w, ok := centerBasisWords[b]; ok {
		return w
	}
	return underscoreWords(b)
}

// centerAskPage is GET /consents: one email field.
func (s *Server) centerAskPage(c echo.Context) error {
	return s.renderCenterAsk(c, http.StatusOK, "", "")
}

// centerAsk is POST /consents. Its answer is the same whether or not the
// email is known (the workflow creates an unknown subject), so that the
// form tells no one who is a customer.
func (s *Server) centerAsk(c echo.Context) error {
	email := c.FormValue("email")
	if err := s.limitEmail(c, email); err != nil {
		return err
	}
	err := s.Consents.SendCenterLink(c.Request().Context(), email)
	var fe *consents.FieldError
	if errors.As(err, &fe) {
		msg := "Enter a real email address, like name@example.com."
		if email == "" {
			msg = "Enter your email address."
		}
		return s.renderCenterAsk(c, http.StatusUnprocessableEntity, email, msg)
	}
	if err != nil {
		return err
	}
	return s.renderPage(c, http.StatusOK, "consents_sent", pageData{Title: "Check your email"})
}

// renderCenterAsk shows the ask form; it reuses the request form's view,
// so that its error shows next to the field and in the summary alike.
func (s *Server) renderCenterAsk(c echo.Context, status int, email, problem string) error {
	f := &formView{CSRF: pageCSRFToken(c)}
	f.Email = formField{ID: "email", Name: "email", Label: "Your email address", Type: "email", Value: email,
		Hint:         "We send a link to this address. Only the person who reads its emails can open your choices.",
		Autocomplete: "email", Required: true, NoSpellcheck: true, MaxLength: 254, Error: problem}
	if problem != "" {
		f.Errors = []formError{{Target: "email", Message: problem}}
	}
	return s.renderPage(c, status, "consents_ask", pageData{Title: "See and change your privacy choices", Form: f})
}

// centerPage is GET /consents/{token}.
func (s *Server) centerPage(c echo.Context) error {
	token := c.Param("token")
	cv, err := s.Consents.Center(c.Request().Context(), token)
	if err != nil {
		return s.centerLinkProblem(c, err)
	}
	v := s.centerView(token, cv)
	v.Notice = centerNotice(v, c.QueryParam("changed"), c.QueryParam("unchanged"))
	return s.renderPage(c, http.StatusOK, "consents", pageData{Title: "Your privacy choices", Consent: v, CSRF: pageCSRFToken(c)})
}

// centerChange is a purpose's button. It answers 303 back to the center,
// whose query names the purpose so that the page can say the choice is
// saved (a reload then posts nothing).
func (s *Server) centerChange(c echo.Context) error {
	token, purpose := c.Param("token"), c.Param("purpose")
	ev, err := s.Consents.CenterChange(c.Request().Context(), token, purpose, c.FormValue("action"))
	var fe *consents.FieldError
	switch {
	case errors.As(err, &fe):
		return s.renderPage(c, http.StatusBadRequest, "error", pageData{Title: "This choice could not be saved",
			Message: "The form asked for a choice we do not offer. Go back, reload the page and try again."})
	case err != nil:
		return s.centerLinkProblem(c, err)
	}
	done := "changed"
	if ev == nil {
		done = "unchanged" // already so: nothing recorded, no email
	}
	return c.Redirect(http.StatusSeeOther, "/consents/"+url.PathEscape(token)+"?"+done+"="+url.QueryEscape(purpose))
}

// centerReceipt is GET /consents/{token}/receipts/{id}: a download, so
// errors are the JSON envelope even for browsers.
func (s *Server) centerReceipt(c echo.Context) error {
	r, err := s.Consents.Receipt(c.Request().Context(), c.Param("token"), c.Param("id"))
	var ae *APIError
	switch {
	case errors.Is(err, consents.ErrLink):
		ae = apiErr(http.StatusNotFound, "token_not_found", err.Error())
	case errors.Is(err, consents.ErrNotFound):
		ae = apiErr(http.StatusNotFound, "not_found", "no such receipt")
	case err != nil:
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	if ae != nil {
		return c.JSON(ae.Status, map[string]*APIError{"error": ae})
	}
	h.Set("Content-Disposition", `attachment; filename="consent-receipt-`+r.ReceiptID+`.json"`)
	return c.JSONPretty(http.StatusOK, r, "  ")
}

// centerLinkProblem shows an unknown or expired link as /r/{token} does:
// the error page, 404.
func (s *Server) centerLinkProblem(c echo.Context, err error) error {
	if !errors.Is(err, consents.ErrLink) {
		return err
	}
	// The same words as a dead status link, and where to get a new one.
	return s.renderPage(c, http.StatusNotFound, "error", pageData{Title: "This link does not work",
		Message: err.Error() + ". You can ask for a new link at " + strings.TrimRight(s.BaseURL, "/") + "/consents."})
}

// centerView turns the workflow's view into the page's: words for codes,
// times in the policy's zone, newest event first.
func (s *Server) centerView(token string, cv *consents.CenterView) *consentView {
	loc := s.times.loc
	v := &consentView{Token: token, Email: cv.Email, Zone: loc.String()}
	titles := map[string]string{}
	for _, p := range cv.Purposes {
		title := p.Title
		if title == "" {
			title = underscoreWords(p.Key)
		}
		titles[p.Key] = title
		row := centerPurpose{Key: p.Key, Title: title, Description: p.Description, LegalBasis: centerBasis(p.LegalBasis),
			Granted: p.Granted, Since: s.times.ptr(p.Since), How: centerSource(p.Source)}
		switch {
		case p.Granted:
			row.Action, row.Button = models.ConsentWithdraw, "Withdraw consent"
		case p.Source == consents.SourceDefault:
			row.Action, row.Button = models.ConsentGrant, "Allow"
		default:
			row.Action, row.Button = models.ConsentGrant, "Allow again"
		}
		v.Purposes = append(v.Purposes, row)
	}
	for _, e := range slices.Backward(cv.History) {
		what := "Consent withdrawn"
		if e.Granted {
			what = "Consent given"
		}
		title := titles[e.Purpose]
		if title == "" {
			title = underscoreWords(e.Purpose) // a purpose the policy no longer lists
		}
		v.History = append(v.History, centerRow{ID: e.ID, Purpose: title, What: what, How: centerSource(e.Source),
			PolicyVersion: e.PolicyVersion, At: e.At.In(loc)})
	}
	return v
}

// centerNotice is the line shown after a button's redirect.
func centerNotice(v *consentView, changed, unchanged string) string {
	key, sent := changed, true
	if key == "" {
		key, sent = unchanged, false
	}
	for _, p := range v.Purposes {
		if p.Key != key || key == "" {
			continue
		}
		state := "not allowed"
		if p.Granted {
			state = "allowed"
		}
		msg := "Your choice is saved: " + p.Title + " is now " + state + "."
		if sent {
			msg += " We have emailed you a confirmation."
		}
		return msg
	}
	return ""
}
