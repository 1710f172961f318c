package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
)

// The admin's webhooks page: the host applications' endpoints that hear of
// consent changes, how their deliveries are going, and forms to add and
// disable one.

type consoleWebhooksPage struct {
	Endpoints      []webhooks.EndpointView
	Values, Errors map[string]string
	Done           string // what the last disable did, after its redirect
	// Created and Secret are set on the page that answers an addition: the
	// only time the signing secret is shown.
	Created *models.WebhookEndpoint
	Secret  string
}

func (cn *console) webhookRoutes(g *echo.Group) {
	g.GET("/webhooks", cn.webhooksPage, cn.need(consoleAdmins))
	g.POST("/webhooks", cn.webhookCreate, cn.need(consoleAdmins))
	g.POST("/webhooks/:id/disable", cn.webhookDisable, cn.need(consoleAdmins))
}

func (cn *console) webhooksPage(c echo.Context) error {
	p := consoleWebhooksPage{Values: map[string]string{}, Errors: map[string]string{}}
	if c.QueryParam("done") == "disabled" {
		p.Done = "The endpoint is disabled: its undelivered messages are cancelled and it is sent nothing more."
	}
	return cn.showWebhooks(c, http.StatusOK, p)
}

func (cn *console) showWebhooks(c echo.Context, status int, p consoleWebhooksPage) error {
	eps, err := cn.Webhooks.Endpoints(c.Request().Context())
	if err != nil {
		return err
	}
	for i := range eps {
		eps[i].CreatedAt = cn.times.at(eps[i].CreatedAt)
		eps[i].DisabledAt, eps[i].LastDeliveredAt = cn.times.ptr(eps[i].DisabledAt), cn.times.ptr(eps[i].LastDeliveredAt)
	}
	p.Endpoints = eps
	return cn.render(c, status, "webhooks", "Webhooks", p)
}

// webhookCreate adds an endpoint and shows its signing secret on this one
// page, never again.
func (cn *console) webhookCreate(c echo.Context) error {
	rawURL, desc := strings.TrimSpace(c.FormValue("url")), strings.TrimSpace(c.FormValue("description"))
	e, secret, err := cn.Webhooks.CreateEndpoint(c.Request().Context(), rawURL, desc, consoleUser(c).Email)
	var fe *webhooks.FieldError
	if errors.As(err, &fe) {
		label := map[string]string{"url": "The URL", "description": "The description"}[fe.Field]
		return cn.showWebhooks(c, http.StatusUnprocessableEntity, consoleWebhooksPage{
			Values: map[string]string{"url": rawURL, "description": desc},
			Errors: map[string]string{fe.Field: label + " " + fe.Message + "."}})
	}
	if err != nil {
		return err
	}
	e.CreatedAt = cn.times.at(e.CreatedAt)
	return cn.render(c, http.StatusOK, "webhooks", "Webhook endpoint added", consoleWebhooksPage{Created: e, Secret: secret})
}

func (cn *console) webhookDisable(c echo.Context) error {
	if err := cn.Webhooks.DisableEndpoint(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/webhooks?done=disabled")
}
