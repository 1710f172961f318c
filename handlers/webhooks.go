package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

// Webhook endpoints: host applications' URLs that hear of every consent
// change. Managed by admins, or by an API key with the systems scope (the
// scope of everything that wires rightsdesk to the company's systems).

type webhookBody struct {
	URL         string `json:"url"`
	Description string `json:"description"`
}

// webhookView is an endpoint as listed; its signing secret is never in it.
type webhookView struct {
	ID              string     `json:"id"`
	URL             string     `json:"url"`
	Description     string     `json:"description"`
	CreatedBy       string     `json:"created_by"`
	CreatedAt       time.Time  `json:"created_at"`
	DisabledAt      *time.Time `json:"disabled_at"`
	Pending         int        `json:"pending"`
	Delivered       int        `json:"delivered"`
	Cancelled       int        `json:"cancelled"`
	LastError       *string    `json:"last_error"`
	LastStatus      *int       `json:"last_status"`
	LastDeliveredAt *time.Time `json:"last_delivered_at"`
}

// webhookCreatedView is the answer to a creation: the one place the
// signing secret is shown.
type webhookCreatedView struct {
	ID            string    `json:"id"`
	URL           string    `json:"url"`
	Description   string    `json:"description"`
	CreatedAt     time.Time `json:"created_at"`
	SigningSecret string    `json:"signing_secret"`
}

func (s *Server) webhookRoutes(api *echo.Group) {
	admin := s.adminOrScope(models.ScopeSystems)
	api.POST("/webhooks", s.createWebhook, admin)
	api.GET("/webhooks", s.listWebhooks, admin)
	api.DELETE("/webhooks/:id", s.disableWebhook, admin)
}

// adminOrScope admits a staff user with the admin role, or an API key with
// scope.
func (s *Server) adminOrScope(scope string) echo.MiddlewareFunc {
	auth := s.staffOnly(scope, true)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return auth(func(c echo.Context) error {
			if p := caller(c); p.key == nil && p.role != models.RoleAdmin {
				return errForbidden
			}
			return next(c)
		})
	}
}

func (s *Server) createWebhook(c echo.Context) error {
	var b webhookBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	p := caller(c)
	by := p.actor.Name
	if p.key != nil {
		by = "API key " + p.key.Name
	}
	e, secret, err := s.Webhooks.CreateEndpoint(c.Request().Context(), b.URL, b.Description, by)
	if err != nil {
		return webhookError(err)
	}
	return c.JSON(http.StatusCreated, webhookCreatedView{ID: e.ID, URL: e.URL, Description: e.Description,
		CreatedAt: s.times.at(e.CreatedAt), SigningSecret: secret})
}

func (s *Server) listWebhooks(c echo.Context) error {
	eps, err := s.Webhooks.Endpoints(c.Request().Context())
	if err != nil {
		return err
	}
	items := make([]webhookView, len(eps))
	for i, e := range eps {
		items[i] = webhookView{ID: e.ID, URL: e.URL, Description: e.Description, CreatedBy: e.CreatedBy,
			CreatedAt: s.times.at(e.CreatedAt), DisabledAt: s.times.ptr(e.DisabledAt),
			Pending: e.Pending, Delivered: e.Delivered, Cancelled: e.Cancelled,
			LastError: nullable(e.LastError), LastDeliveredAt: s.times.ptr(e.LastDeliveredAt)}
		if e.LastError != "" {
			items[i].LastStatus = &eps[i].LastStatus
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

// disableWebhook stops an endpoint for good and cancels what it has not
// received yet. Disabling it again is a 204 as well.
func (s *Server) disableWebhook(c echo.Context) error {
	if err := s.Webhooks.DisableEndpoint(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// webhookError maps the service's input errors to the envelope's 400.
func webhookError(err error) error {
	var fe *webhooks.FieldError
	if errors.As(err, &fe) {
		return fieldError(http.StatusBadRequest, "invalid", fe.Field, fe.Error())
	}
	return err
}
