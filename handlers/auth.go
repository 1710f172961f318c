package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
)

// principal is the authenticated caller of a staff endpoint.
type principal struct {
	actor requests.Actor
	role  string         // staff role; "" for an API key
	key   *models.APIKey // set for an API key
}

const principalKey = "rightsdesk.principal"

type loginBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// login exchanges a staff email and password for a JWT.
func (s *Server) login(c echo.Context) error {
	var b loginBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	keys := loginKeys(c, b.Email)
	if wait, blocked := s.abuse.login.Blocked(keys...); blocked {
		return tooMany(c, wait, "too many failed sign-ins for this account or from this address; try again later")
	}
	u, err := s.Staff.Authenticate(c.Request().Context(), b.Email, b.Password)
	if errors.Is(err, staff.ErrBadCredentials) {
		s.abuse.login.Fail(keys...)
	}
	if err != nil {
		return err
	}
	if len(keys) > 1 {
		s.abuse.login.Reset(keys[1]) // the account's count, not the address's
	}
	tok, exp, err := s.JWT.Issue(u.ID, u.Role)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"token": tok, "expires_at": exp.UTC(), "role": u.Role})
}

// staffOnly authenticates a Bearer JWT or API key. An API key needs scope;
// a staff user needs any role, and a role that may act when write is set
// (the auditor reads only).
func (s *Server) staffOnly(scope string, write bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p, err := s.authenticate(c)
			if err != nil {
				return err
			}
			if p.key != nil && !p.key.HasScope(scope) {
				return errForbidden
			}
			if p.key == nil && write && p.role == models.RoleAuditor {
				return errForbidden
			}
			c.Set(principalKey, p)
			return next(c)
		}
	}
}

func (s *Server) authenticate(c echo.Context) (*principal, error) {
	token := bearer(c)
	if token == "" {
		return nil, errUnauthorized
	}
	if err := s.secretsBlocked(c); err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	if strings.HasPrefix(token, "rdk_") {
		k, err := s.Staff.APIKey(ctx, token)
		if errors.Is(err, models.ErrNotFound) {
			s.wrongSecret(c)
			return nil, errUnauthorized
		} else if err != nil {
			return nil, err
		}
		return &principal{actor: requests.Actor{Kind: "api_key", Name: k.Name}, key: k}, nil
	}
	id, err := s.JWT.Parse(token)
	if err != nil {
		s.wrongSecret(c)
		return nil, errUnauthorized
	}
	// The role is read from the database on every call, so that disabling
	// a user or changing a role takes effect at once.
	u, err := s.Staff.User(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		s.wrongSecret(c)
		return nil, errUnauthorized
	} else if err != nil {
		return nil, err
	}
	return &principal{actor: requests.Actor{Kind: "staff", Name: u.Email, Role: u.Role}, role: u.Role}, nil
}

func caller(c echo.Context) *principal { return c.Get(principalKey).(*principal) }

// bearer is the token of an Authorization: Bearer header, or "".
func bearer(c echo.Context) string {
	scheme, token, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
