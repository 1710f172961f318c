package handlers

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/fulfilment"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// The requester's status page, GET /r/{token}, and its two forms: withdraw
// (POST /r/{token}/withdraw) and answer the staff's question (POST
// /r/{token}/answer). Each post answers 303 back to the page, whose ?done=
// names a fixed notice to show.

const (
	doneConfirmed = "confirmed"
	doneWithdrawn = "withdrawn"
	doneAnswered  = "answered"
)

var doneNotices = map[string]string{
	doneConfirmed: "Thank you: your request is confirmed. We have emailed you a receipt with a link back to this page.",
	doneWithdrawn: "Your request is withdrawn. We have emailed you to confirm it.",
	doneAnswered:  "Thank you for your answer. We have resumed work on your request.",
}

// statusView is the status page.
type statusView struct {
	Request                            *requestSummary
	Token                              string
	TypeTitle, Explain                 string
	Received, Due, ExtendedDue, Closed string
	Timeline                           []timelineEntry
	Question                           string
	CanWithdraw, CanAnswer             bool
	Notice, Problem                    string
	Errors                             []formError
	Answer, Reason                     formField
	// Package is the download of an access or export request's data.
	Package *packageOffer
}

// packageOffer is the package as the status page offers it.
type packageOffer struct {
	Link, Size, Until string
	Gone              bool // expired and deleted
}

// requestSummary is what the page shows of the request.
type requestSummary struct{ Reference, Type, Status string }

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
	"answer": "you answered our question", "resume": "work resumed",
	"extend": "we extended the deadline", "complete": "we completed your request",
	"deny": "we declined your request", "withdraw": "the request was withdrawn", "expire": "the request expired unconfirmed",
	"escalate": "the request was escalated", "download": "you downloaded your data", "route": "we passed your request to our grievance officer",
	"redact": "your personal data in this request was deleted at the end of the retention period",
}

// statusExplain says what a status means for the requester.
var statusExplain = map[string]string{
	lifecycle.PendingVerification: "We are waiting for you to confirm your email address with the link we sent you.",
	lifecycle.Open:                "We have your request and will start work on it soon.",
	lifecycle.InProgress:          "We are working on your request.",
	lifecycle.AwaitingRequester:   "We asked you for information. Please answer below so that we can continue.",
	lifecycle.Completed:           "We have completed your request.",
	lifecycle.Denied:              "We declined your request. Our email explained why, and how to appeal or complain.",
	lifecycle.Withdrawn:           "This request was withdrawn. We will take no further action on it.",
	lifecycle.Expired:             "This request was never confirmed, so it expired.",
}

// statusPage is the requester's view of their request, from emailed links.
func (s *Server) statusPage(c echo.Context) error {
	v, err := s.statusView(c)
	if err != nil {
		return s.linkProblem(c, err)
	}
	v.Notice = doneNotices[c.QueryParam("done")]
	return s.renderStatus(c, http.StatusOK, v)
}

// withdrawRequest is the withdraw form's post.
func (s *Server) withdrawRequest(c echo.Context) error {
	token := c.Param("token")
	reason := c.FormValue("reason")
	_, err := s.Requests.WithdrawByRequester(c.Request().Context(), token, reason)
	if err == nil {
		return c.Redirect(http.StatusSeeOther, statusURL(token, doneWithdrawn))
	}
	return s.statusFormProblem(c, err, func(v *statusView, msg string) {
		v.Reason.Value, v.Reason.Error = reason, msg
		v.Errors = []formError{{Target: v.Reason.ID, Message: msg}}
	}, "This request can no longer be withdrawn: it is %s.")
}

// answerRequest is the answer form's post.
func (s *Server) answerRequest(c echo.Context) error {
	token := c.Param("token")
	text := c.FormValue("answer")
	_, err := s.Requests.Answer(c.Request().Context(), token, text)
	if err == nil {
		return c.Redirect(http.StatusSeeOther, statusURL(token, doneAnswered))
	}
	return s.statusFormProblem(c, err, func(v *statusView, msg string) {
		v.CanAnswer = true // keep the form with what was typed
		v.Answer.Value, v.Answer.Error = text, msg
		v.Errors = []formError{{Target: v.Answer.ID, Message: msg}}
	}, "This request is not waiting for an answer any more: it is %s.")
}

// statusFormProblem shows the status page again after a refused post: 422
// with the error next to its field (put there by place), or 409 when the
// request's status no longer allows the action.
func (s *Server) statusFormProblem(c echo.Context, err error, place func(*statusView, string), illegal string) error {
	var fe *requests.FieldError
	switch {
	case errors.As(err, &fe):
		v, lerr := s.statusView(c)
		if lerr != nil {
			return s.linkProblem(c, lerr)
		}
		place(v, statusFieldMessage(fe))
		return s.renderStatus(c, http.StatusUnprocessableEntity, v)
	case errors.Is(err, lifecycle.ErrIllegal), errors.Is(err, requests.ErrConflict):
		v, lerr := s.statusView(c)
		if lerr != nil {
			return s.linkProblem(c, lerr)
		}
		v.Problem = strings.Replace(illegal, "%s", underscoreWords(v.Request.Status), 1)
		return s.renderStatus(c, http.StatusConflict, v)
	}
	return s.linkProblem(c, err)
}

func statusFieldMessage(fe *requests.FieldError) string {
	switch fe.Field {
	case "answer":
		if strings.HasPrefix(fe.Message, "is required") {
			return "Write your answer to our question."
		}
		return "Your answer " + fe.Message + "."
	case "reason":
		return "The reason " + fe.Message + "."
	}
	return fe.Field + " " + fe.Message + "."
}

// statusView loads the page of the token in the path.
func (s *Server) statusView(c echo.Context) (*statusView, error) {
	token := c.Param("token")
	d, err := s.Requests.Status(c.Request().Context(), token)
	if err != nil {
		return nil, err
	}
	r := d.Request
	v := &statusView{
		Request: &requestSummary{Reference: r.Reference, Type: r.Type, Status: r.Status},
		Token:   token, TypeTitle: typeInfos[r.Type].Title, Explain: statusExplain[r.Status],
		Received: s.dateWords(r.ReceivedAt), Due: s.dateWords(r.DueAt),
		CanWithdraw: requests.Withdrawable(r.Status), CanAnswer: r.Status == lifecycle.AwaitingRequester,
	}
	if v.TypeTitle == "" {
		v.TypeTitle = underscoreWords(r.Type)
	}
	if r.ExtendedDueAt != nil {
		v.ExtendedDue = s.dateWords(*r.ExtendedDueAt)
	}
	if r.ClosedAt != nil {
		v.Closed = s.dateWords(*r.ClosedAt)
	}
	for _, e := range d.Events {
		what := requesterWords[e.Action]
		if what == "" {
			what = strings.ReplaceAll(e.Action, "_", " ")
		}
		v.Timeline = append(v.Timeline, timelineEntry{At: e.At.In(s.times.loc), What: what, Note: e.Note})
		if e.Action == lifecycle.RequestInfo {
			v.Question = e.Note
		}
	}
	if p := d.Package; p != nil {
		v.Package = &packageOffer{Link: "/r/" + token + "/package", Size: byteWords(p.Bytes),
			Until: p.ExpiresAt.In(s.times.loc).Format("2 January 2006 15:04 MST"),
			Gone:  p.DeletedAt != nil || !s.Now().Before(p.ExpiresAt)}
	}
	v.Answer = formField{ID: "answer", Name: "answer", Label: "Your answer", Rows: 6, MaxLength: requests.MaxAnswer, Required: true,
		Hint: "Up to 10,000 characters. Please do not send passwords."}
	v.Reason = formField{ID: "withdraw-reason", Name: "reason", Label: "Why are you withdrawing it?", Rows: 3, MaxLength: 10000,
		Hint: "This helps us improve. You do not have to say."}
	return v, nil
}

func (s *Server) renderStatus(c echo.Context, status int, v *statusView) error {
	return s.renderPage(c, status, "status", pageData{
		Title: "Your request " + v.Request.Reference, Status: v, CSRF: pageCSRFToken(c),
	})
}

// underscoreWords turns an API name into words: awaiting_requester → awaiting requester.
func underscoreWords(s string) string { return strings.ReplaceAll(s, "_", " ") }

// downloadPackage streams the request's package from disk, for the
// status page's token; each download is an event. No package (or an
// unknown token) is 404, an expired package 410.
func (s *Server) downloadPackage(c echo.Context) error {
	// A resumed download (a Range past the start) is the same download.
	rng := c.Request().Header.Get("Range")
	fresh := rng == "" || strings.HasPrefix(rng, "bytes=0-")
	p, f, err := s.Requests.DownloadPackage(c.Request().Context(), c.Param("token"), fresh)
	if err != nil {
		if errors.Is(err, requests.ErrLinkGone) || errors.Is(err, requests.ErrLinkUnknown) {
			return s.linkProblem(c, err)
		}
		if errors.Is(err, fulfilment.ErrPackageGone) {
			return s.renderPage(c, http.StatusGone, "error", pageData{Title: "This download has expired",
				Message: "Your data was available to download for 7 days and has now been deleted. You can make a new request from our privacy page."})
		}
		if errors.Is(err, models.ErrNotFound) {
			return s.renderPage(c, http.StatusNotFound, "error", pageData{Title: "Nothing to download",
				Message: "This request has no data package to download."})
		}
		return err
	}
	defer f.Close()
	// The server's write timeout suits pages, not a large file on a slow
	// line: this response gets an hour.
	_ = http.NewResponseController(c.Response()).SetWriteDeadline(time.Now().Add(time.Hour))
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+p.RequestID[:8]+`-data.zip"`)
	h.Set("Cache-Control", "no-store")
	if sum, err := hex.DecodeString(p.SHA256); err == nil {
		h.Set("Digest", "sha-256="+base64.StdEncoding.EncodeToString(sum)) // RFC 3230
	}
	// ServeContent streams from the file (ranges too): a large package
	// never sits in memory.
	http.ServeContent(c.Response(), c.Request(), "data.zip", p.CreatedAt, f)
	return nil
}

// byteWords shows a size for people: 1.2 MB.
func byteWords(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
