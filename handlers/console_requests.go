package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/templates"
	"github.com/rightsdesk/rightsdesk/workflows/clocks"
	"github.com/rightsdesk/rightsdesk/workflows/escalation"
	"github.com/rightsdesk/rightsdesk/workflows/fulfilment"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// consoleFieldLabels names form fields in error messages.
var consoleFieldLabels = map[string]string{
	"q": "Search", "status": "Status", "type": "Type", "regime": "Regime", "assignee": "Assignee",
	"due_before": "Due before", "escalation_level": "Escalation level", "limit": "Page size", "cursor": "The page link",
	"days": "Days", "reason": "Reason", "note": "Note", "action": "Action",
	"email": "Email", "name": "Name", "country": "Country", "region": "Region", "relationship": "Made by",
	"details": "Details", "scope": "Opt-out scope", "purposes": "Purposes", "corrections": "Corrections",
	"nominee": "Nominee", "related_reference": "Related reference", "received_at": "Received at",
	"role": "Role", "scopes": "Scopes",
}

// consoleFieldMessage makes a workflow's "<field> <message>" a sentence.
func consoleFieldMessage(field, msg string) string {
	label := consoleFieldLabels[field]
	if label == "" {
		label = strings.ReplaceAll(field, "_", " ")
	}
	return label + " " + msg + "."
}

// consoleQueueRow is one request in a queue table.
type consoleQueueRow struct {
	ID, Reference, Type, Status, Regime, Email, Name, Assignee string
	Due                                                        time.Time
	DueISO                                                     string
	Level                                                      int
	Badge                                                      string // overdue, due_soon or empty
}

type consoleQueuePage struct {
	Q                                           requests.ListQuery
	Statuses, Types, Regimes, Assignees, Levels []consoleOption
	Errors                                      map[string]string
	Rows, Escalated                             []consoleQueueRow
	NextURL                                     string
}

// dueBadge marks a request that is not closed and is overdue, or due within
// the policy's warning window (escalation level 1's window).
func (cn *console) dueBadge(r *models.Request) string {
	if lifecycle.Terminal(r.Status) {
		return ""
	}
	now := cn.Now()
	switch {
	case now.After(r.DeadlineAt):
		return "overdue"
	case !now.Before(r.DeadlineAt.Add(-cn.Requests.Policy().Escalation.WarnBefore)):
		return "due_soon"
	}
	return ""
}

func (cn *console) row(r *models.Request) consoleQueueRow {
	due := r.DeadlineAt.In(cn.times.loc)
	return consoleQueueRow{ID: r.ID, Reference: r.Reference, Type: r.Type, Status: r.Status, Regime: r.Regime,
		Email: r.Email, Name: r.Name, Assignee: r.Assignee, Due: due, DueISO: due.Format(time.RFC3339),
		Level: r.EscalationLevel, Badge: cn.dueBadge(r)}
}

// queue is the staff queue: the API's list with its filters, as a page.
func (cn *console) queue(c echo.Context) error {
	ctx := c.Request().Context()
	qp := c.QueryParams()
	lq := requests.ListQuery{Status: qp.Get("status"), Type: qp.Get("type"), Regime: qp.Get("regime"),
		Assignee: qp.Get("assignee"), DueBefore: qp.Get("due_before"), EscalationLevel: qp.Get("escalation_level"),
		Q: qp.Get("q"), Limit: qp.Get("limit"), Cursor: qp.Get("cursor")}
	p := consoleQueuePage{Q: lq, Errors: map[string]string{}}
	for _, st := range lifecycle.Statuses {
		p.Statuses = append(p.Statuses, consoleOption{st, templates.Words(st)})
	}
	for _, t := range policy.RequestTypes {
		p.Types = append(p.Types, consoleOption{t, templates.Words(t)})
	}
	for _, rg := range clocks.Regimes {
		p.Regimes = append(p.Regimes, consoleOption{rg, templates.Words(rg)})
	}
	for l := 0; l <= escalation.Late; l++ {
		p.Levels = append(p.Levels, consoleOption{strconv.Itoa(l), "Level " + strconv.Itoa(l)})
	}
	users, err := cn.Staff.Workers(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		p.Assignees = append(p.Assignees, consoleOption{u.Email, u.Email})
	}

	status := http.StatusOK
	page, err := cn.Requests.List(ctx, lq)
	var fe *requests.FieldError
	switch {
	case errors.As(err, &fe):
		p.Errors[fe.Field] = consoleFieldMessage(fe.Field, fe.Message)
		status = http.StatusBadRequest
	case err != nil:
		return err
	default:
		for i := range page.Items {
			p.Rows = append(p.Rows, cn.row(&page.Items[i]))
		}
		if page.NextCursor != "" {
			next := url.Values{}
			for k, v := range qp {
				if k != "cursor" && len(v) > 0 && v[0] != "" {
					next.Set(k, v[0])
				}
			}
			next.Set("cursor", page.NextCursor)
			p.NextURL = "/admin/requests?" + next.Encode()
		}
	}
	// A grievance officer sees the escalated requests first, above the
	// queue, on its first page.
	if consoleUser(c).Role == models.RoleGrievanceOfficer && lq.Cursor == "" {
		esc, err := cn.Store.ListEscalated(ctx, escalation.Overdue, consoleLiveStatuses, 50)
		if err != nil {
			return err
		}
		for i := range esc {
			p.Escalated = append(p.Escalated, cn.row(&esc[i]))
		}
	}
	return cn.render(c, status, "queue", "Queue", p)
}

// consoleEventRow is one timeline entry as staff see it.
type consoleEventRow struct {
	At                            time.Time
	Actor, Action, From, To, Note string
	Internal                      bool
}

type consoleRequestPage struct {
	R          *models.Request // times in the policy's zone
	Badge      string
	Events     []consoleEventRow
	Emails     []models.OutboxMessage
	Allowed    map[string]bool
	Workers    []consoleOption
	Pauses     bool   // the regime pauses the clock while awaiting the requester
	ExtendHint string // the regime's extension rule
	// After a refused action: the values typed, the error per
	// "action.field", and a summary linking to the field.
	Values                                 map[string]string
	Errors                                 map[string]string
	ErrorAction, ErrorSummary, ErrorTarget string
	// The data systems' tasks (times in the policy's zone), whether any is
	// not done (completing then needs a reason), and the package.
	Tasks        []consoleTaskRow
	TasksPending bool
	Package      *consolePackageRow
	// After a refused task result: a summary linking to the field.
	TaskErrorSummary, TaskErrorTarget string
}

// consoleTaskRow is a task as staff see it, with its result form's values
// and errors after a refused result.
type consoleTaskRow struct {
	models.Task
	Open                              bool // not done: staff may record a result
	FormStatus, FormNote              string
	StatusError, NoteError, TaskError string
}

// consolePackageRow is a request's package as staff see it.
type consolePackageRow struct {
	Size, SHA256, SHA256Short string
	Downloads                 int
	CreatedAt, ExpiresAt      time.Time
	DeletedAt                 *time.Time
}

// consoleTaskFailure is a refused task result to show again with its input.
type consoleTaskFailure struct {
	task, field, message string // field: status, note, or "" for the task as a whole
	status, note         string
}

// consoleActionFields are the fields of each action's form.
var consoleActionFields = map[string][]string{
	lifecycle.Assign: {"assignee"}, lifecycle.Acknowledge: {"note"}, lifecycle.Start: {"note"},
	lifecycle.RequestInfo: {"note"}, lifecycle.Extend: {"days", "reason"}, lifecycle.Complete: {"reason"},
	lifecycle.Deny: {"reason"}, lifecycle.Escalate: {"reason"}, lifecycle.Note: {"note"}, lifecycle.Withdraw: {"reason"},
}

// consoleActionFailure is a refused action to show again with its input.
type consoleActionFailure struct {
	action, field, message string
	form                   url.Values
}

func (cn *console) requestPage(c echo.Context) error {
	return cn.showRequest(c, http.StatusOK, nil)
}

func (cn *console) showRequest(c echo.Context, status int, fail *consoleActionFailure) error {
	return cn.renderRequest(c, status, fail, nil)
}

// renderRequest renders a request's page: every field, the timeline with
// the internal events, its emails (no bodies), its data systems' tasks and
// package, and a form for every action its status allows and for every
// task not done (none for an auditor).
func (cn *console) renderRequest(c echo.Context, status int, fail *consoleActionFailure, taskFail *consoleTaskFailure) error {
	ctx := c.Request().Context()
	d, err := cn.Requests.Get(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	emails, err := cn.Store.ListOutbox(ctx, models.OutboxFilter{RequestID: d.Request.ID, Limit: 200})
	if err != nil {
		return err
	}
	r := consoleLocalRequest(d.Request, cn.times.loc)
	p := consoleRequestPage{R: r, Badge: cn.dueBadge(d.Request), Allowed: map[string]bool{},
		Values: map[string]string{}, Errors: map[string]string{}}
	for _, e := range d.Events {
		p.Events = append(p.Events, consoleEventRow{At: e.At.In(cn.times.loc), Actor: e.Actor, Action: e.Action,
			From: e.FromStatus, To: e.ToStatus, Note: e.Note, Internal: e.Internal})
	}
	for _, m := range emails {
		m.CreatedAt = m.CreatedAt.In(cn.times.loc)
		m.SentAt = cn.times.ptr(m.SentAt)
		m.TextBody, m.HTMLBody = "", "" // bodies are for the outbox page only
		p.Emails = append(p.Emails, m)
	}
	if slices.Contains(consoleWorkers, consoleUser(c).Role) {
		for _, a := range lifecycle.StaffActions {
			if _, err := lifecycle.Next(r.Status, a); err == nil {
				p.Allowed[a] = true
			}
		}
		if r.AcknowledgedAt != nil {
			delete(p.Allowed, lifecycle.Acknowledge)
		}
		if p.Allowed[lifecycle.Assign] {
			ws, err := cn.Staff.Workers(ctx)
			if err != nil {
				return err
			}
			for _, u := range ws {
				p.Workers = append(p.Workers, consoleOption{u.Email, u.Email + " (" + templates.Words(u.Role) + ")"})
			}
		}
	}
	cn.requestTasks(&p, d, taskFail)
	rules := cn.Requests.Policy().Rules(r.Regime)
	p.Pauses = rules.PauseWhileAwaiting
	p.ExtendHint = "Calendar days added to the due date, decided before it passes; the regime's maximum applies."
	if fail != nil {
		for k, v := range fail.form {
			if k != "_csrf" && len(v) > 0 {
				p.Values[fail.action+"."+k] = v[0]
			}
		}
		field := fail.field
		if !slices.Contains(consoleActionFields[fail.action], field) {
			field = "action"
		}
		msg := consoleFieldMessage(fail.field, fail.message)
		p.ErrorAction, p.ErrorSummary = fail.action, msg
		if field == "action" {
			p.Errors["action"] = msg
			p.ErrorTarget = "actions"
		} else {
			p.Errors[fail.action+"."+field] = msg
			p.ErrorTarget = fail.action + "-" + field
		}
	}
	return cn.render(c, status, "request", r.Reference, p)
}

// requestTasks puts d's tasks and package on the page, with the result
// form of a refused answer filled in again.
func (cn *console) requestTasks(p *consoleRequestPage, d *requests.Detail, fail *consoleTaskFailure) {
	for _, t := range d.Tasks {
		t.AnsweredAt, t.CreatedAt, t.UpdatedAt = cn.times.ptr(t.AnsweredAt), cn.times.at(t.CreatedAt), cn.times.at(t.UpdatedAt)
		row := consoleTaskRow{Task: t, Open: t.Status != models.TaskDone, FormStatus: models.TaskDone}
		if fail != nil && fail.task == t.ID {
			row.FormStatus, row.FormNote = fail.status, fail.note
			msg := consoleTaskMessage(fail.field, fail.message)
			p.TaskErrorSummary = msg
			switch fail.field {
			case "status":
				row.StatusError, p.TaskErrorTarget = msg, "task-"+t.ID+"-status-done"
			case "note":
				row.NoteError, p.TaskErrorTarget = msg, "task-"+t.ID+"-note"
			default:
				row.TaskError, p.TaskErrorTarget = msg, "task-"+t.ID
			}
		}
		p.Tasks = append(p.Tasks, row)
	}
	p.TasksPending = len(fulfilment.Pending(d.Tasks)) > 0
	if pk := d.Package; pk != nil {
		short := pk.SHA256
		if len(short) > 12 {
			short = short[:12]
		}
		p.Package = &consolePackageRow{Size: consoleBytes(pk.Bytes), SHA256: pk.SHA256, SHA256Short: short, Downloads: pk.Downloads,
			CreatedAt: cn.times.at(pk.CreatedAt), ExpiresAt: cn.times.at(pk.ExpiresAt), DeletedAt: cn.times.ptr(pk.DeletedAt)}
	}
}

// consoleTaskMessage makes a refused result's "<field> <message>" a sentence.
func consoleTaskMessage(field, msg string) string {
	switch field {
	case "":
		return msg
	case "status":
		return "Choose whether the task is done or failed."
	}
	return consoleFieldMessage(field, msg)
}

// consoleBytes is a size for people: 512 bytes, 1.5 KiB, 20.0 MiB.
func consoleBytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " bytes"
	}
	f, unit := float64(n)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if f < 1024 {
			break
		}
		f, unit = f/1024, u
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + unit
}

// taskResult records a staff member's result for a task of the request,
// as POST /api/v1/tasks/{id}/result does with a staff token: done or
// failed, with a note saying what was done in the system.
func (cn *console) taskResult(c echo.Context) error {
	ctx := c.Request().Context()
	id, taskID := c.Param("id"), c.Param("task")
	d, err := cn.Requests.Get(ctx, id)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(d.Tasks, func(t models.Task) bool { return t.ID == taskID }) {
		return models.ErrNotFound
	}
	status, note := strings.TrimSpace(c.FormValue("status")), strings.TrimSpace(c.FormValue("note"))
	body, err := json.Marshal(struct {
		Status string `json:"status,omitempty"`
		Note   string `json:"note,omitempty"`
	}{status, note})
	if err != nil {
		return err
	}
	actor := consoleActor(c)
	t, err := cn.Requests.AnswerTask(ctx, actor, fulfilment.Caller{Name: actor.String()}, taskID, bytes.NewReader(body))
	fail := &consoleTaskFailure{task: taskID, status: status, note: note}
	var fe *requests.FieldError
	var re *fulfilment.ResultError
	switch {
	case err == nil:
		flash := "task:" + t.Status
		if r, err := cn.Store.GetRequest(ctx, id); err == nil && t.Status == models.TaskDone && r.Status == lifecycle.Completed && d.Request.Status != lifecycle.Completed {
			flash = "task:done_complete"
		}
		cn.setFlash(c, flash)
		return c.Redirect(http.StatusSeeOther, "/admin/requests/"+url.PathEscape(id)+"#task-"+url.PathEscape(taskID))
	case errors.As(err, &fe):
		fail.field, fail.message = fe.Field, fe.Message
	case errors.As(err, &re):
		fail.field, fail.message = re.Field, re.Message
		switch re.Field {
		case "status", "note":
		case "reason": // a failed task's reason: the note is where staff give it
			fail.field, fail.message = "note", "is required for a failed task: say why it could not be done"
		default:
			fail.field, fail.message = "", "The result was refused: "+re.Error()+"."
		}
	case errors.Is(err, fulfilment.ErrAnswered):
		fail.message = "This task is done already (someone recorded its result meanwhile); nothing was changed."
		return cn.renderRequest(c, http.StatusConflict, nil, fail)
	default:
		return err
	}
	if fail.field != "status" && fail.field != "note" && fail.field != "" {
		fail.field, fail.message = "", consoleFieldMessage(fail.field, fail.message)
	}
	return cn.renderRequest(c, http.StatusUnprocessableEntity, nil, fail)
}

// consoleLocalRequest is a copy of r with its instants in loc, for display.
func consoleLocalRequest(r *models.Request, loc *time.Location) *models.Request {
	v := viewTimes{loc: loc}
	out := *r
	out.ReceivedAt, out.DueAt, out.DeadlineAt = v.at(r.ReceivedAt), v.at(r.DueAt), v.at(r.DeadlineAt)
	out.CreatedAt, out.UpdatedAt = v.at(r.CreatedAt), v.at(r.UpdatedAt)
	out.VerifiedAt, out.ExtendedDueAt, out.AckDueAt = v.ptr(r.VerifiedAt), v.ptr(r.ExtendedDueAt), v.ptr(r.AckDueAt)
	out.AcknowledgedAt, out.AwaitingSince = v.ptr(r.AcknowledgedAt), v.ptr(r.AwaitingSince)
	out.ClosedAt, out.RedactedAt = v.ptr(r.ClosedAt), v.ptr(r.RedactedAt)
	return &out
}

// requestAction takes one staff action from a form, as POST
// /api/v1/requests/{id}/actions does, then goes back to the request.
func (cn *console) requestAction(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	action := strings.TrimSpace(form.Get("action"))
	in := requests.ActionInput{Action: action, Reason: form.Get("reason"), Note: form.Get("note"), Assignee: form.Get("assignee")}
	if v := strings.TrimSpace(form.Get("days")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return cn.showRequest(c, http.StatusUnprocessableEntity, &consoleActionFailure{action: action, field: "days", message: "must be a whole number of days", form: form})
		}
		in.Days = n
	}
	id := c.Param("id")
	// The form carries the version of the request it was shown with: an
	// action decided on a stale page (someone else acted meanwhile) is
	// refused rather than applied twice. A note is welcome whatever changed.
	if v := form.Get("version"); v != "" && action != lifecycle.Note {
		cur, err := cn.Store.GetRequest(c.Request().Context(), id)
		if err != nil {
			return err
		}
		if strconv.Itoa(cur.Version) != v {
			return cn.actionProblem(id, models.ErrConflict)
		}
	}
	if action == lifecycle.Complete {
		allowPackageBuild(c)
	}
	_, err = cn.Requests.Act(c.Request().Context(), consoleActor(c), id, in)
	var fe *requests.FieldError
	switch {
	case err == nil:
		cn.setFlash(c, "action:"+action)
		return c.Redirect(http.StatusSeeOther, "/admin/requests/"+url.PathEscape(id))
	case errors.As(err, &fe):
		return cn.showRequest(c, http.StatusUnprocessableEntity, &consoleActionFailure{action: action, field: fe.Field, message: fe.Message, form: form})
	case errors.Is(err, requests.ErrTasksPending):
		// The API's 409 tasks_pending, shown on the complete form's reason.
		return cn.showRequest(c, http.StatusConflict, &consoleActionFailure{action: action, field: "reason", form: form,
			message: "is required to complete while a data system's task is not done (tasks pending): record the task's result first, or say why you complete without it"})
	}
	return cn.actionProblem(id, err)
}

// actionProblem is the page for an action refused by the state machine or
// by a concurrent change.
func (cn *console) actionProblem(id string, err error) error {
	switch {
	case errors.Is(err, lifecycle.ErrIllegal):
		return &consoleProblem{Status: http.StatusConflict, Heading: "Not possible now",
			Message: "The request's status does not allow this action (" + err.Error() + "). Nothing was changed; someone may have acted on it meanwhile.",
			Back:    &consoleLink{Href: "/admin/requests/" + url.PathEscape(id), Label: "Back to the request"}}
	case errors.Is(err, models.ErrConflict):
		return &consoleProblem{Status: http.StatusConflict, Heading: "Someone changed it meanwhile",
			Message: "Someone else changed this request after you opened it, so nothing was saved. Reload it, check what changed, and try again.",
			Back:    &consoleLink{Href: "/admin/requests/" + url.PathEscape(id), Label: "Reload the request"}}
	}
	return err
}

// intakePage is the form for a request received by another channel.
type consoleIntakePage struct {
	Types, Regimes, Relationships, Scopes, Purposes []consoleOption
	Scope, PurposesChosen                           []string
	Corrections                                     []models.Correction
	Zone                                            string
	Values                                          map[string]string
	Errors                                          map[string]string
	ErrorSummary, ErrorTarget                       string
}

// consoleCorrectionRows is how many corrections the form offers at once.
const consoleCorrectionRows = 3

func (cn *console) newIntakePage() consoleIntakePage {
	pol := cn.Requests.Policy()
	p := consoleIntakePage{Zone: pol.Location().String(), Values: map[string]string{}, Errors: map[string]string{}}
	for _, t := range pol.RequestTypes {
		p.Types = append(p.Types, consoleOption{t, templates.Words(t)})
	}
	for _, rg := range pol.OfferedRegimes() {
		p.Regimes = append(p.Regimes, consoleOption{rg, templates.Words(rg)})
	}
	for _, rel := range requests.Relationships {
		label := map[string]string{"self": "the data subject", "authorized_agent": "an authorised agent",
			"parent_guardian": "a parent or guardian", "nominee": "a nominee"}[rel]
		p.Relationships = append(p.Relationships, consoleOption{rel, label})
	}
	for _, sc := range policy.OptOutScopes {
		if pp, ok := pol.Purpose(sc); ok {
			p.Scopes = append(p.Scopes, consoleOption{sc, consoleTitleOr(pp.Title, sc)})
		}
	}
	for _, pp := range pol.Purposes {
		p.Purposes = append(p.Purposes, consoleOption{pp.Key, consoleTitleOr(pp.Title, pp.Key)})
	}
	p.Corrections = make([]models.Correction, consoleCorrectionRows)
	return p
}

func consoleTitleOr(title, key string) string {
	if title != "" {
		return title
	}
	return templates.Words(key)
}

func (cn *console) intakePage(c echo.Context) error {
	p := cn.newIntakePage()
	p.Values["received_at"] = cn.Now().In(cn.times.loc).Format("2006-01-02T15:04")
	p.Values["relationship"] = "self"
	return cn.render(c, http.StatusOK, "new_request", "New request", p)
}

// intakeSubmit records the request (POST /api/v1/requests/intake from a
// form) and opens it. Only the fields of the chosen type are taken: the
// form shows them all, since it works without JavaScript.
func (cn *console) intakeSubmit(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	typ := get("type")
	in := requests.StaffInput{Input: requests.Input{Type: typ, Email: get("email"), Name: get("name"), Regime: get("regime"),
		Country: get("country"), Region: get("region"), Relationship: get("relationship"), Details: form.Get("details"),
		RelatedReference: get("related_reference")}, Verified: form.Get("verified") != ""}
	switch typ {
	case "opt_out":
		in.Scope = form["scope"]
	case "consent_withdrawal":
		in.Purposes = form["purposes"]
	case "correction":
		fields, current, wanted := form["corrections_field"], form["corrections_current"], form["corrections_requested"]
		for i := range fields {
			c := models.Correction{Field: strings.TrimSpace(fields[i]), Current: strings.TrimSpace(consoleAt(current, i)), Requested: strings.TrimSpace(consoleAt(wanted, i))}
			if c != (models.Correction{}) {
				in.Corrections = append(in.Corrections, c)
			}
		}
	case "nomination":
		if get("nominee_name") != "" || get("nominee_email") != "" {
			in.Nominee = &models.Nominee{Name: get("nominee_name"), Email: get("nominee_email")}
		}
	case "grievance":
		in.ConcernsChild = form.Get("concerns_child") != ""
	}
	var fe *requests.FieldError
	if v := get("received_at"); v != "" {
		t, perr := cn.parseLocalTime(v)
		if perr != nil {
			return cn.intakeFailed(c, form, &requests.FieldError{Field: "received_at", Message: "must be a date and time such as 2026-03-02T15:00"})
		}
		in.ReceivedAt = t
	}
	r, err := cn.Requests.SubmitForRequester(c.Request().Context(), consoleActor(c), in)
	if errors.As(err, &fe) {
		return cn.intakeFailed(c, form, fe)
	}
	if err != nil {
		return err
	}
	cn.setFlash(c, "created")
	return c.Redirect(http.StatusSeeOther, "/admin/requests/"+url.PathEscape(r.ID))
}

func consoleAt(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return ""
}

// parseLocalTime reads a datetime-local value in the policy's zone, or an
// RFC 3339 time.
func (cn *console) parseLocalTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, v, cn.times.loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("not a time")
}

func (cn *console) intakeFailed(c echo.Context, form url.Values, fe *requests.FieldError) error {
	p := cn.newIntakePage()
	for k, v := range form {
		if k != "_csrf" && len(v) > 0 {
			p.Values[k] = v[0]
		}
	}
	p.Scope, p.PurposesChosen = form["scope"], form["purposes"]
	fields, current, wanted := form["corrections_field"], form["corrections_current"], form["corrections_requested"]
	for i := range p.Corrections {
		p.Corrections[i] = models.Correction{Field: consoleAt(fields, i), Current: consoleAt(current, i), Requested: consoleAt(wanted, i)}
	}
	msg := consoleFieldMessage(fe.Field, fe.Message)
	p.Errors[fe.Field] = msg
	p.ErrorSummary, p.ErrorTarget = msg, "intake-"+fe.Field
	return cn.render(c, http.StatusUnprocessableEntity, "new_request", "New request", p)
}
