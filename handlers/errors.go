package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/consents"
	"github.com/rightsdesk/rightsdesk/workflows/fulfilment"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
)

// APIError is the contract's error: {"error":{"code","message","field"?}}.
type APIError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

func apiErr(status int, code, msg string) *APIError {
	return &APIError{Status: status, Code: code, Message: msg}
}

func fieldError(status int, code, field, msg string) *APIError {
	return &APIError{Status: status, Code: code, Field: field, Message: msg}
}

var (
	errUnauthorized = apiErr(http.StatusUnauthorized, "unauthorized", "authentication required: send Authorization: Bearer <token or API key>")
	errForbidden    = apiErr(http.StatusForbidden, "forbidden", "your role or key scope does not allow this")
)

// toAPIError maps any error to the contract's envelope. Unknown errors are
// 500s whose detail is logged, never shown.
func toAPIError(err error) *APIError {
	var ae *APIError
	var fe *requests.FieldError
	var ie *staff.InputError
	var ce *consents.FieldError
	var he *echo.HTTPError
	var sfe *fulfilment.FieldError
	var re *fulfilment.ResultError
	switch {
	case errors.As(err, &sfe):
		return fieldError(http.StatusBadRequest, "invalid", sfe.Field, sfe.Field+" "+sfe.Message)
	case errors.As(err, &re):
		if re.Field == "" {
			return apiErr(http.StatusBadRequest, "invalid_json", re.Message)
		}
		// An unknown field or a value of the wrong type has the code every
		// other JSON body gets for it.
		code := re.Code
		if code == "" {
			code = "invalid"
		}
		return fieldError(http.StatusBadRequest, code, re.Field, re.Field+" "+re.Message)
	case errors.Is(err, fulfilment.ErrForbidden):
		return apiErr(http.StatusForbidden, "forbidden", err.Error())
	case errors.Is(err, fulfilment.ErrAnswered):
		return apiErr(http.StatusConflict, "task_done", err.Error())
	case errors.Is(err, fulfilment.ErrDuplicateName):
		return fieldError(http.StatusConflict, "duplicate", "name", err.Error())
	case errors.Is(err, fulfilment.ErrTooLarge):
		return apiErr(http.StatusRequestEntityTooLarge, "too_large", err.Error())
	case errors.Is(err, fulfilment.ErrPackageGone):
		return apiErr(http.StatusGone, "package_gone", err.Error())
	case errors.Is(err, requests.ErrTasksPending):
		return apiErr(http.StatusConflict, "tasks_pending", err.Error())
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &fe):
		if fe.Unprocessable {
			return fieldError(http.StatusUnprocessableEntity, "unprocessable", fe.Field, fe.Field+" "+fe.Message)
		}
		return fieldError(http.StatusBadRequest, "invalid", fe.Field, fe.Field+" "+fe.Message)
	case errors.As(err, &ce):
		return fieldError(http.StatusBadRequest, "invalid", ce.Field, ce.Field+" "+ce.Message)
	case errors.Is(err, consents.ErrSubjectConflict):
		return fieldError(http.StatusConflict, "subject_conflict", "subject_id", err.Error())
	case errors.Is(err, consents.ErrLink):
		return apiErr(http.StatusNotFound, "token_not_found", err.Error())
	case errors.As(err, &ie):
		return fieldError(http.StatusBadRequest, "invalid", ie.Field, ie.Field+" "+ie.Message)
	case errors.Is(err, requests.ErrLinkUnknown):
		return apiErr(http.StatusNotFound, "token_not_found", err.Error())
	case errors.Is(err, requests.ErrLinkGone):
		return apiErr(http.StatusGone, "token_gone", err.Error())
	case errors.Is(err, staff.ErrBadCredentials):
		return apiErr(http.StatusUnauthorized, "bad_credentials", err.Error())
	case errors.Is(err, models.ErrNotFound):
		return apiErr(http.StatusNotFound, "not_found", "no such resource")
	case errors.Is(err, lifecycle.ErrIllegal):
		return apiErr(http.StatusConflict, "illegal_transition", err.Error())
	case errors.Is(err, models.ErrConflict):
		return apiErr(http.StatusConflict, "conflict", "the request changed meanwhile; reload and try again")
	case errors.As(err, &he):
		return fromHTTPError(he)
	}
	return apiErr(http.StatusInternalServerError, "internal", "something went wrong on our side; it has been logged")
}

func fromHTTPError(he *echo.HTTPError) *APIError {
	code := map[int]string{
		http.StatusNotFound: "not_found", http.StatusMethodNotAllowed: "method_not_allowed",
		http.StatusRequestEntityTooLarge: "too_large", http.StatusTooManyRequests: "rate_limited",
		http.StatusUnauthorized: "unauthorized", http.StatusForbidden: "forbidden",
		http.StatusUnsupportedMediaType: "unsupported_media_type",
	}[he.Code]
	if code == "" {
		code = strings.ToLower(strings.ReplaceAll(http.StatusText(he.Code), " ", "_"))
	}
	msg := http.StatusText(he.Code)
	if he.Code == http.StatusRequestEntityTooLarge {
		msg = "the body is larger than 64 KiB"
	}
	return apiErr(he.Code, code, msg)
}

// errorHandler answers every failed request: the JSON envelope under /api
// and for health checks, an HTML page elsewhere.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	ae := toAPIError(err)
	if ae.Status >= 500 {
		s.log.ErrorContext(c.Request().Context(), "request failed", "route", routeLabel(c), "error", err)
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") || !acceptsHTML(c) {
		_ = c.JSON(ae.Status, map[string]*APIError{"error": ae})
		return
	}
	_ = s.renderPage(c, ae.Status, "error", pageData{Title: http.StatusText(ae.Status), Message: ae.Message})
}

func acceptsHTML(c echo.Context) bool {
	return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/html") || c.Request().Method == http.MethodPost && strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm)
}
