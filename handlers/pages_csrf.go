package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// CSRF of the public forms: echo's double-submit token, kept in the
// rd_csrf cookie (HttpOnly, SameSite=Strict, Secure under an https base
// URL) and echoed by every form in the hidden field _csrf.
const (
	pageCSRFCookie  = "rd_csrf"
	pageCSRFField   = "_csrf"
	pageCSRFContext = "page_csrf"
)

// errPageCSRF marks a refused form post; it never leaves csrfProtect.
var errPageCSRF = &APIError{Status: http.StatusForbidden, Code: "csrf", Message: "the form's security token is missing or wrong"}

// csrfProtect sets the token on GETs and checks it on posts. A post
// without the token, with a token that does not match the cookie, or sent
// cross-site (Sec-Fetch-Site: cross-site) gets 403 and an HTML page (echo
// would answer 400 to a missing token). Browsers that send Sec-Fetch-Site:
// same-origin (or none, typed in the address bar) are let through by echo
// without a token check: the browser itself vouches that the post comes
// from our own page.
func (s *Server) csrfProtect() echo.MiddlewareFunc {
	mw := middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:" + pageCSRFField,
		ContextKey:     pageCSRFContext,
		CookieName:     pageCSRFCookie,
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteStrictMode,
		CookieSecure:   strings.HasPrefix(s.BaseURL, "https:"),
		ErrorHandler:   func(error, echo.Context) error { return errPageCSRF },
		AllowSecFetchSiteFunc: func(c echo.Context) (bool, error) {
			if c.Request().Header.Get(echo.HeaderSecFetchSite) == "cross-site" {
				return false, errPageCSRF
			}
			return false, nil // same-site: the token decides
		},
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		h := mw(next)
		return func(c echo.Context) error {
			err := h(c)
			if errors.Is(err, errPageCSRF) {
				return s.renderPage(c, http.StatusForbidden, "error", pageData{
					Title:   "This form could not be sent",
					Message: "For your security, forms must be sent from a page of this site opened recently. Go back, reload the page and try again.",
				})
			}
			return err
		}
	}
}

// pageCSRFToken is the token a page's forms carry.
func pageCSRFToken(c echo.Context) string {
	t, _ := c.Get(pageCSRFContext).(string)
	return t
}
