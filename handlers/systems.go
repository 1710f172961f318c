package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/fulfilment"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// Data systems: the company's systems that hold personal data, registered
// by admins or by an API key with the systems scope. Each is sent a signed
// job per request it handles (webhook_url) or worked by staff (manual).

type systemBody struct {
	Name         string   `json:"name"`
	RequestTypes []string `json:"request_types"`
	WebhookURL   string   `json:"webhook_url"`
	Manual       bool     `json:"manual"`
}

type systemPatchBody struct {
	Name         *string   `json:"name"`
	RequestTypes *[]string `json:"request_types"`
	WebhookURL   *string   `json:"webhook_url"`
	Manual       *bool     `json:"manual"`
	Disabled     *bool     `json:"disabled"`
	RotateSecret bool      `json:"rotate_secret"`
	RotateKey    bool      `json:"rotate_key"`
}

// systemView is a system as listed; secrets appear only in the answers
// that issue them (signing_secret and key, omitted otherwise).
type systemView struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	RequestTypes  []string   `json:"request_types"`
	WebhookURL    *string    `json:"webhook_url"`
	Manual        bool       `json:"manual"`
	KeyPrefix     string     `json:"key_prefix"`
	CreatedBy     string     `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	DisabledAt    *time.Time `json:"disabled_at"`
	SigningSecret string     `json:"signing_secret,omitempty"`
	Key           string     `json:"key,omitempty"`
}

func (s *Server) systemRoutes(api *echo.Group) {
	admin := s.adminOrScope(models.ScopeSystems)
	api.POST("/systems", s.createSystem, admin)
	api.GET("/systems", s.listSystems, admin)
	api.GET("/systems/:id", s.getSystem, admin)
	api.PATCH("/systems/:id", s.updateSystem, admin)
	api.GET("/requests/:id/tasks", s.listTasks, s.staffOnly(models.ScopeRequestsRead, false))
	api.POST("/tasks/:id/result", s.answerTask)
}

func (v viewTimes) system(d *models.DataSystem, creds fulfilment.Credentials) systemView {
	return systemView{ID: d.ID, Name: d.Name, RequestTypes: d.Types(), WebhookURL: nullable(d.WebhookURL), Manual: d.Manual,
		KeyPrefix: d.KeyPrefix, CreatedBy: d.CreatedBy, CreatedAt: v.at(d.CreatedAt), UpdatedAt: v.at(d.UpdatedAt),
		DisabledAt: v.ptr(d.DisabledAt), SigningSecret: creds.SigningSecret, Key: creds.Key}
}

func (s *Server) createSystem(c echo.Context) error {
	var b systemBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	d, creds, err := s.Fulfilment.CreateSystem(c.Request().Context(), createdBy(caller(c)),
		fulfilment.SystemInput{Name: b.Name, RequestTypes: b.RequestTypes, WebhookURL: b.WebhookURL, Manual: b.Manual})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.times.system(d, creds))
}

func (s *Server) listSystems(c echo.Context) error {
	list, err := s.Fulfilment.Systems(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]systemView, len(list))
	for i := range list {
		out[i] = s.times.system(&list[i], fulfilment.Credentials{})
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

func (s *Server) getSystem(c echo.Context) error {
	d, err := s.Fulfilment.System(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.times.system(d, fulfilment.Credentials{}))
}

func (s *Server) updateSystem(c echo.Context) error {
	var b systemPatchBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	d, creds, err := s.Fulfilment.UpdateSystem(c.Request().Context(), c.Param("id"), fulfilment.SystemPatch{
		Name: b.Name, RequestTypes: b.RequestTypes, WebhookURL: b.WebhookURL, Manual: b.Manual,
		Disabled: b.Disabled, RotateSecret: b.RotateSecret, RotateKey: b.RotateKey,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.times.system(d, creds))
}

func createdBy(p *principal) string {
	if p.key != nil {
		return "API key " + p.key.Name
	}
	return p.actor.Name
}

// listTasks is "tasks under a request".
func (s *Server) listTasks(c echo.Context) error {
	d, err := s.Requests.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": s.times.tasks(d.Tasks)})
}

// answerTask takes a task's answer from its system (Bearer <system key>)
// or from staff (Bearer JWT or an API key with requests:write). The body is
// streamed to disk, so it may be far larger than the API's 64 KiB.
func (s *Server) answerTask(c echo.Context) error {
	ctx := c.Request().Context()
	token := bearer(c)
	var caller fulfilment.Caller
	var actor requests.Actor
	if strings.HasPrefix(token, fulfilment.SystemKeyPrefix) {
		if err := s.secretsBlocked(c); err != nil {
			return err
		}
		d, err := s.Fulfilment.SystemByKey(ctx, token)
		if err != nil {
			s.wrongSecret(c)
			return errUnauthorized
		}
		caller, actor = fulfilment.Caller{SystemID: d.ID, Name: systemActor(d.Name).String()}, systemActor(d.Name)
	} else {
		p, err := s.authenticate(c)
		if err != nil {
			return err
		}
		if (p.key != nil && !p.key.HasScope(models.ScopeRequestsWrite)) || (p.key == nil && p.role == models.RoleAuditor) {
			return errForbidden
		}
		caller, actor = fulfilment.Caller{Name: p.actor.String()}, p.actor
	}
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" && !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return apiErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the answer as application/json")
	}
	// The server's timeouts suit forms, not a system uploading a person's
	// whole history: this body gets an hour, and so does the answer, whose
	// write deadline otherwise runs from the request's start (a body that
	// took over a minute, or the last answer of a subject's own access
	// request, whose package is built before this call returns, would
	// then lose its answer although it was recorded).
	rc := http.NewResponseController(c.Response())
	_ = rc.SetReadDeadline(time.Now().Add(time.Hour))
	_ = rc.SetWriteDeadline(time.Now().Add(time.Hour))
	t, err := s.Requests.AnswerTask(ctx, actor, caller, c.Param("id"), c.Request().Body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.times.task(t))
}

// isTaskResult says whether a path is a task's result URL, whose body may
// be larger than the API's limit.
func isTaskResult(path string) bool {
	return strings.HasPrefix(path, "/api/v1/tasks/") && strings.HasSuffix(path, "/result")
}
