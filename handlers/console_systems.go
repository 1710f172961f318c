package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates"
	"github.com/rightsdesk/rightsdesk/workflows/fulfilment"
)

// The admin's data systems page: the company's systems that hold personal
// data, each sent a signed job per request it handles (a webhook system)
// or worked by staff (a manual one). An admin registers one, disables or
// enables it, and rotates its signing secret or key; a secret or key is
// shown once, on the page that answers the post that issued it.

type consoleSystemsPage struct {
	Systems []models.DataSystem // times in the policy's zone
	Types   []consoleOption     // the request types the policy offers
	// After a refused registration: the values typed, the types ticked,
	// the error per field, and a summary linking to the field.
	Values                    map[string]string
	Chosen                    []string
	Errors                    map[string]string
	ErrorSummary, ErrorTarget string
}

// consoleSystemSecretPage answers a registration or a rotation: the only
// time the signing secret or the key is shown.
type consoleSystemSecretPage struct {
	System      *models.DataSystem
	What        string // created, secret or key
	Secret, Key string
}

// consoleSystemFields are the form's fields: the workflow's name of each,
// the id of the element an error links to, and its label in messages.
var consoleSystemFields = map[string]struct{ target, label string }{
	"name":          {"system-name", "The name"},
	"request_types": {"system-types", "Request types"},
	"webhook_url":   {"system-webhook-url", "The webhook URL"},
	"manual":        {"system-kind", "The kind of system"},
}

func init() {
	for k, v := range map[string]string{
		"system_disabled":    "The system is disabled: requests started from now on make no task for it, and its key stops working. Its tasks already made stay for staff to record.",
		"system_enabled":     "The system is enabled again: requests started from now on make a task for it.",
		"task:done":          "The task is recorded as done.",
		"task:done_complete": "The task is recorded as done. It was the last one, so the request is completed and the requester told by email.",
		"task:failed":        "The task is recorded as failed; the request's assignee (or every admin) is told by email.",
	} {
		consoleFlashes[k] = v
	}
}

func (cn *console) systemRoutes(g *echo.Group) {
	g.GET("/systems", cn.systemsPage, cn.need(consoleAdmins))
	g.POST("/systems", cn.systemCreate, cn.need(consoleAdmins))
	g.POST("/systems/:id/disable", cn.systemDisable, cn.need(consoleAdmins))
	g.POST("/systems/:id/enable", cn.systemEnable, cn.need(consoleAdmins))
	g.POST("/systems/:id/rotate-secret", cn.systemRotateSecret, cn.need(consoleAdmins))
	g.POST("/systems/:id/rotate-key", cn.systemRotateKey, cn.need(consoleAdmins))
}

func (cn *console) systemsPage(c echo.Context) error {
	p := consoleSystemsPage{Values: map[string]string{"kind": "webhook"}, Errors: map[string]string{}}
	return cn.showSystems(c, http.StatusOK, p)
}

func (cn *console) showSystems(c echo.Context, status int, p consoleSystemsPage) error {
	list, err := cn.Fulfilment.Systems(c.Request().Context())
	if err != nil {
		return err
	}
	for i := range list {
		cn.localSystem(&list[i])
	}
	p.Systems = list
	for _, t := range cn.Requests.Policy().RequestTypes {
		p.Types = append(p.Types, consoleOption{t, templates.Words(t)})
	}
	return cn.render(c, status, "systems", "Data systems", p)
}

// localSystem puts d's instants in the policy's zone, for display.
func (cn *console) localSystem(d *models.DataSystem) {
	d.CreatedAt, d.UpdatedAt = cn.times.at(d.CreatedAt), cn.times.at(d.UpdatedAt)
	d.DisabledAt = cn.times.ptr(d.DisabledAt)
}

// systemCreate registers a system and shows its signing secret (webhook
// systems) and key on this one page, never again.
func (cn *console) systemCreate(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	name, kind := strings.TrimSpace(form.Get("name")), form.Get("kind")
	hook := strings.TrimSpace(form.Get("webhook_url"))
	types := form["request_types"]
	in := fulfilment.SystemInput{Name: name, RequestTypes: types}
	if kind == "manual" {
		in.Manual = true // the URL box is ignored: the choice says manual
	} else {
		kind, in.WebhookURL = "webhook", hook
	}
	d, creds, err := cn.Fulfilment.CreateSystem(c.Request().Context(), consoleUser(c).Email, in)
	if err != nil {
		field, msg, ok := consoleSystemError(err, in)
		if !ok {
			return err
		}
		p := consoleSystemsPage{Values: map[string]string{"name": name, "kind": kind, "webhook_url": hook},
			Chosen: types, Errors: map[string]string{field: msg}, ErrorSummary: msg, ErrorTarget: consoleSystemFields[field].target}
		return cn.showSystems(c, http.StatusUnprocessableEntity, p)
	}
	cn.localSystem(d)
	return cn.render(c, http.StatusOK, "system_created", "Data system registered",
		consoleSystemSecretPage{System: d, What: "created", Secret: creds.SigningSecret, Key: creds.Key})
}

// consoleSystemError makes a refused registration a sentence for the field
// at fault; ok is false for an error that is not about the input.
func consoleSystemError(err error, in fulfilment.SystemInput) (field, msg string, ok bool) {
	var fe *fulfilment.FieldError
	switch {
	case errors.Is(err, fulfilment.ErrDuplicateName):
		return "name", "Another system has this name already; choose another.", true
	case !errors.As(err, &fe):
		return "", "", false
	}
	field = fe.Field
	f, known := consoleSystemFields[field]
	if !known {
		field, f = "manual", consoleSystemFields["manual"]
	}
	switch {
	case field == "request_types" && len(in.RequestTypes) == 0:
		return field, "Choose at least one request type the system handles.", true
	case field == "webhook_url" && strings.TrimSpace(in.WebhookURL) == "":
		return field, "The webhook URL is required for a webhook system; choose “Manual” for a system staff work by hand.", true
	}
	return field, f.label + " " + fe.Message + ".", true
}

func (cn *console) systemDisable(c echo.Context) error { return cn.systemSetDisabled(c, true) }
func (cn *console) systemEnable(c echo.Context) error  { return cn.systemSetDisabled(c, false) }

func (cn *console) systemSetDisabled(c echo.Context, disabled bool) error {
	if _, _, err := cn.Fulfilment.UpdateSystem(c.Request().Context(), c.Param("id"), fulfilment.SystemPatch{Disabled: &disabled}); err != nil {
		return err
	}
	if disabled {
		cn.setFlash(c, "system_disabled")
	} else {
		cn.setFlash(c, "system_enabled")
	}
	return c.Redirect(http.StatusSeeOther, "/admin/systems")
}

// systemRotateSecret issues a webhook system a new signing secret, shown
// once; jobs are signed with it from now on.
func (cn *console) systemRotateSecret(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := cn.Fulfilment.System(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	if d.Manual {
		return &consoleProblem{Status: http.StatusConflict, Heading: "No signing secret",
			Message: "A manual system is sent no jobs, so it has no signing secret to rotate. Nothing was changed.",
			Back:    &consoleLink{Href: "/admin/systems", Label: "Back to data systems"}}
	}
	d, creds, err := cn.Fulfilment.UpdateSystem(ctx, d.ID, fulfilment.SystemPatch{RotateSecret: true})
	if err != nil {
		return err
	}
	cn.localSystem(d)
	return cn.render(c, http.StatusOK, "system_created", "New signing secret",
		consoleSystemSecretPage{System: d, What: "secret", Secret: creds.SigningSecret})
}

// systemRotateKey issues a system a new key, shown once; the old one stops
// working at once.
func (cn *console) systemRotateKey(c echo.Context) error {
	d, creds, err := cn.Fulfilment.UpdateSystem(c.Request().Context(), c.Param("id"), fulfilment.SystemPatch{RotateKey: true})
	if err != nil {
		return err
	}
	cn.localSystem(d)
	return cn.render(c, http.StatusOK, "system_created", "New key",
		consoleSystemSecretPage{System: d, What: "key", Key: creds.Key})
}
