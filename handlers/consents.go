package handlers

import (
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/consents"
)

// maxImportBody caps one import call; bigger files are sent in parts (an
// import is idempotent by external_id, so a part can be sent again).
const maxImportBody = 64 << 20

// importPath is exempt from the 64 KiB body limit of every other route.
const importPath = "/api/v1/consents/import"

// consentRoutes are the host applications' consent API and the staff's
// subject view.
func (s *Server) consentRoutes(api *echo.Group) {
	read := s.staffOnly(models.ScopeConsentsRead, false)
	write := s.staffOnly(models.ScopeConsentsWrite, true)
	api.POST("/consents", s.recordConsent, write)
	api.GET("/consents/check", s.checkConsent, read)
	api.POST("/consents/import", s.importConsents, write)
	api.GET("/consents/:id/receipt", s.consentReceipt, read)
	api.GET("/subjects/consents", s.subjectConsents, read)
}

type consentBody struct {
	Email         string `json:"email"`
	SubjectID     string `json:"subject_id"`
	Purpose       string `json:"purpose"`
	Action        string `json:"action"`
	Source        string `json:"source"`
	PolicyVersion string `json:"policy_version"`
	Evidence      string `json:"evidence"`
}

// recordConsent writes one consent event: 201 with the event.
func (s *Server) recordConsent(c echo.Context) error {
	var b consentBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	ev, err := s.Consents.Record(c.Request().Context(), caller(c).actor.String(), consents.RecordInput{
		Identity: consents.Identity{Email: b.Email, SubjectID: b.SubjectID}, Purpose: b.Purpose,
		Action: b.Action, Source: b.Source, PolicyVersion: b.PolicyVersion, Evidence: b.Evidence,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, ev)
}

// checkConsent is the hot path: may the host use the subject's data for
// the purpose? Answered from memory when the subject was read before.
func (s *Server) checkConsent(c echo.Context) error {
	q := c.Request().URL.Query()
	if err := onlyParams(q, "email", "subject_id", "purpose"); err != nil {
		return err
	}
	if q.Get("purpose") == "" {
		return fieldError(http.StatusBadRequest, "invalid", "purpose", "purpose is required")
	}
	st, err := s.Consents.Check(c.Request().Context(), consents.Identity{Email: q.Get("email"), SubjectID: q.Get("subject_id")}, q.Get("purpose"))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSONBlob(http.StatusOK, st.AppendJSON(make([]byte, 0, 128)))
}

// subjectConsents shows staff a subject's state per purpose and history.
func (s *Server) subjectConsents(c echo.Context) error {
	q := c.Request().URL.Query()
	if err := onlyParams(q, "email", "subject_id"); err != nil {
		return err
	}
	v, err := s.Consents.Subject(c.Request().Context(), consents.Identity{Email: q.Get("email"), SubjectID: q.Get("subject_id")})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// consentReceipt returns one event's receipt.
func (s *Server) consentReceipt(c echo.Context) error {
	r, err := s.Consents.ReceiptByID(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// importConsents reads JSON lines (application/x-ndjson) or CSV (text/csv)
// and answers with a per-line report.
func (s *Server) importConsents(c echo.Context) error {
	format := c.QueryParam("format")
	if format == "" {
		mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
		switch mt {
		case "text/csv":
			format = consents.FormatCSV
		case "application/x-ndjson", "application/jsonl", "application/json-lines", "application/x-jsonlines":
			format = consents.FormatJSONLines
		default:
			return apiErr(http.StatusUnsupportedMediaType, "unsupported_media_type",
				"send JSON lines as application/x-ndjson or CSV as text/csv (or add ?format=jsonl|csv)")
		}
	}
	// A body known to be too large is refused before a line is written; one
	// sent without a length is cut at the limit, after the lines before it.
	if c.Request().ContentLength > maxImportBody {
		return apiErr(http.StatusRequestEntityTooLarge, "too_large", "an import call takes at most 64 MiB; send the file in parts")
	}
	// The server's 30 s read timeout suits forms, not 64 MiB of lines that
	// are recorded as they are read: an import gets ten minutes.
	rc := http.NewResponseController(c.Response())
	_ = rc.SetReadDeadline(time.Now().Add(10 * time.Minute))
	_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Minute))
	body := http.MaxBytesReader(c.Response(), c.Request().Body, maxImportBody)
	rep, err := s.Consents.Import(c.Request().Context(), caller(c).actor.String(), format, body)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return apiErr(http.StatusRequestEntityTooLarge, "too_large", "an import call takes at most 64 MiB; send the file in parts")
	case errors.Is(err, consents.ErrImportFormat):
		return fieldError(http.StatusBadRequest, "invalid_import", "format", strings.TrimPrefix(err.Error(), "import format: "))
	case err != nil:
		return err
	}
	return c.JSON(http.StatusOK, rep)
}

// onlyParams refuses query parameters other than allowed, as unknown JSON
// fields are refused: a typo must not silently widen a question.
func onlyParams(q map[string][]string, allowed ...string) error {
	for k := range q {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return fieldError(http.StatusBadRequest, "unknown_parameter", k, "unknown query parameter "+k)
		}
	}
	return nil
}
