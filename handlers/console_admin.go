package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
)

// The admin's pages: staff users, API keys and the email outbox.

type consoleStaffPage struct {
	Users          []models.StaffUser
	Roles          []consoleOption
	Values, Errors map[string]string
}

type consoleSecretPage struct {
	User   *models.StaffUser
	Key    *models.APIKey
	Secret string
}

func (cn *console) staffPage(c echo.Context) error {
	return cn.showStaff(c, http.StatusOK, map[string]string{"role": models.RoleAgent}, map[string]string{})
}

func (cn *console) showStaff(c echo.Context, status int, values, errs map[string]string) error {
	users, err := cn.Staff.Users(c.Request().Context())
	if err != nil {
		return err
	}
	loc := cn.times.loc
	for i := range users {
		users[i].CreatedAt = users[i].CreatedAt.In(loc)
		users[i].LastLoginAt, users[i].DisabledAt = cn.times.ptr(users[i].LastLoginAt), cn.times.ptr(users[i].DisabledAt)
	}
	p := consoleStaffPage{Users: users, Values: values, Errors: errs}
	for _, r := range models.Roles {
		p.Roles = append(p.Roles, consoleOption{r, templates.Words(r)})
	}
	return cn.render(c, status, "staff", "Staff users", p)
}

// staffCreate adds a user with a generated password, shown on this one
// page and never again.
func (cn *console) staffCreate(c echo.Context) error {
	email, role := strings.TrimSpace(c.FormValue("email")), c.FormValue("role")
	u, password, err := cn.Staff.CreateUserWithPassword(c.Request().Context(), email, role)
	var ie *staff.InputError
	if errors.As(err, &ie) {
		return cn.showStaff(c, http.StatusUnprocessableEntity, map[string]string{"email": email, "role": role},
			map[string]string{ie.Field: consoleFieldMessage(ie.Field, ie.Message)})
	}
	if err != nil {
		return err
	}
	return cn.render(c, http.StatusOK, "staff_created", "User created", consoleSecretPage{User: u, Secret: password})
}

func (cn *console) staffDisable(c echo.Context) error { return cn.setDisabled(c, true) }
func (cn *console) staffEnable(c echo.Context) error  { return cn.setDisabled(c, false) }

func (cn *console) setDisabled(c echo.Context, disabled bool) error {
	_, err := cn.Staff.SetDisabled(c.Request().Context(), consoleUser(c).ID, c.Param("id"), disabled)
	if errors.Is(err, staff.ErrSelf) {
		return &consoleProblem{Status: http.StatusUnprocessableEntity, Heading: "Not your own account",
			Message: "You cannot disable your own account; ask another admin.",
			Back:    &consoleLink{Href: "/admin/staff", Label: "Back to staff users"}}
	}
	if err != nil {
		return err
	}
	if disabled {
		cn.setFlash(c, "user_disabled")
	} else {
		cn.setFlash(c, "user_enabled")
	}
	return c.Redirect(http.StatusSeeOther, "/admin/staff")
}

type consoleKeysPage struct {
	Keys           []models.APIKey
	Scopes         []consoleOption
	Chosen         []string
	Values, Errors map[string]string
}

var consoleScopeLabels = map[string]string{
	models.ScopeRequestsRead:  "read requests and reports",
	models.ScopeRequestsWrite: "act on requests and record intake",
	models.ScopeConsentsRead:  "check consent",
	models.ScopeConsentsWrite: "record consent",
	models.ScopeSystems:       "register data systems",
}

func (cn *console) apiKeysPage(c echo.Context) error {
	return cn.showKeys(c, http.StatusOK, nil, map[string]string{}, map[string]string{})
}

func (cn *console) showKeys(c echo.Context, status int, chosen []string, values, errs map[string]string) error {
	keys, err := cn.Staff.APIKeys(c.Request().Context())
	if err != nil {
		return err
	}
	for i := range keys {
		keys[i].CreatedAt = keys[i].CreatedAt.In(cn.times.loc)
		keys[i].LastUsedAt, keys[i].RevokedAt = cn.times.ptr(keys[i].LastUsedAt), cn.times.ptr(keys[i].RevokedAt)
		keys[i].Scopes = strings.ReplaceAll(keys[i].Scopes, ",", ", ")
	}
	p := consoleKeysPage{Keys: keys, Chosen: chosen, Values: values, Errors: errs}
	for _, sc := range models.Scopes {
		p.Scopes = append(p.Scopes, consoleOption{sc, consoleScopeLabels[sc]})
	}
	return cn.render(c, status, "apikeys", "API keys", p)
}

// apiKeyCreate makes a key and shows it on this one page, never again.
func (cn *console) apiKeyCreate(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	name, scopes := strings.TrimSpace(form.Get("name")), form["scopes"]
	key, k, err := cn.Staff.CreateAPIKey(c.Request().Context(), name, scopes, consoleUser(c).Email)
	var ie *staff.InputError
	if errors.As(err, &ie) {
		return cn.showKeys(c, http.StatusUnprocessableEntity, scopes, map[string]string{"name": name},
			map[string]string{ie.Field: consoleFieldMessage(ie.Field, ie.Message)})
	}
	if err != nil {
		return err
	}
	return cn.render(c, http.StatusOK, "apikey_created", "API key created", consoleSecretPage{Key: k, Secret: key})
}

func (cn *console) apiKeyRevoke(c echo.Context) error {
	if _, err := cn.Staff.RevokeAPIKey(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	cn.setFlash(c, "key_revoked")
	return c.Redirect(http.StatusSeeOther, "/admin/apikeys")
}

type consoleOutboxPage struct {
	Dev      bool
	Status   string
	Statuses []consoleOption
	Error    string
	Messages []models.OutboxMessage
}

// outboxPage lists the newest emails. A dev-outbox message keeps its text
// body (no provider sent it, so its links are live only here); a sent
// message keeps no body at all.
func (cn *console) outboxPage(c echo.Context) error {
	p := consoleOutboxPage{Dev: cn.DevOutbox, Status: c.QueryParam("status")}
	for _, st := range outboxStatuses {
		p.Statuses = append(p.Statuses, consoleOption{st, templates.Words(st)})
	}
	status := http.StatusOK
	if p.Status != "" && !slices.Contains(outboxStatuses, p.Status) {
		p.Error = "Status must be one of " + strings.Join(outboxStatuses, ", ") + "."
		return cn.render(c, http.StatusBadRequest, "outbox", "Outbox", p)
	}
	msgs, err := cn.Store.ListOutbox(c.Request().Context(), models.OutboxFilter{Status: p.Status, Limit: 100})
	if err != nil {
		return err
	}
	for i := range msgs {
		msgs[i].CreatedAt = msgs[i].CreatedAt.In(cn.times.loc)
		msgs[i].SentAt = cn.times.ptr(msgs[i].SentAt)
		msgs[i].HTMLBody = ""
		if msgs[i].Status != models.OutboxDev {
			msgs[i].TextBody = ""
		}
	}
	p.Messages = msgs
	return cn.render(c, status, "outbox", "Outbox", p)
}
