package handlers

import (
	"time"

	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// requestView is a request as staff see it in the API.
type requestView struct {
	ID               string              `json:"id"`
	Reference        string              `json:"reference"`
	Type             string              `json:"type"`
	Status           string              `json:"status"`
	Regime           string              `json:"regime"`
	Relationship     string              `json:"relationship"`
	Source           string              `json:"source"`
	Email            string              `json:"email"`
	Name             string              `json:"name"`
	Country          string              `json:"country,omitempty"`
	Region           string              `json:"region,omitempty"`
	Details          string              `json:"details"`
	Scope            []string            `json:"scope,omitempty"`
	Purposes         []string            `json:"purposes,omitempty"`
	Corrections      []models.Correction `json:"corrections,omitempty"`
	Nominee          *models.Nominee     `json:"nominee,omitempty"`
	RelatedReference string              `json:"related_reference,omitempty"`
	ConcernsChild    bool                `json:"concerns_child"`
	ReceivedAt       time.Time           `json:"received_at"`
	VerifiedAt       *time.Time          `json:"verified_at"`
	DueAt            time.Time           `json:"due_at"`
	ExtendedDueAt    *time.Time          `json:"extended_due_at"`
	AckDueAt         *time.Time          `json:"acknowledge_due_at"`
	AcknowledgedAt   *time.Time          `json:"acknowledged_at"`
	Assignee         *string             `json:"assignee"`
	EscalationLevel  int                 `json:"escalation_level"`
	ClosedAt         *time.Time          `json:"closed_at"`
	Outcome          *string             `json:"outcome"`
	RedactedAt       *time.Time          `json:"redacted_at"`
	UpdatedAt        time.Time           `json:"updated_at"`
}

type eventView struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Note   string    `json:"note"`
	Hash   string    `json:"hash"`
}

type requestDetailView struct {
	requestView
	Events  []eventView  `json:"events"`
	Tasks   []taskView   `json:"tasks"`
	Package *packageView `json:"package"`
}

// publicRequestView is what the requester may see of their request.
type publicRequestView struct {
	Reference     string     `json:"reference"`
	Type          string     `json:"type"`
	Status        string     `json:"status"`
	ReceivedAt    time.Time  `json:"received_at"`
	DueAt         time.Time  `json:"due_at"`
	ExtendedDueAt *time.Time `json:"extended_due_at,omitempty"`
}

// viewTimes shows instants in the policy's time zone, where due dates end.
type viewTimes struct{ loc *time.Location }

func (v viewTimes) at(t time.Time) time.Time { return t.In(v.loc) }

func (v viewTimes) ptr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	x := t.In(v.loc)
	return &x
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (v viewTimes) request(r *models.Request) requestView {
	return requestView{
		ID: r.ID, Reference: r.Reference, Type: r.Type, Status: r.Status, Regime: r.Regime,
		Relationship: r.Relationship, Source: r.Source, Email: r.Email, Name: r.Name,
		Country: r.Country, Region: r.Region, Details: r.Details,
		Scope: r.Scope, Purposes: r.Purposes, Corrections: r.Corrections, Nominee: r.Nominee,
		RelatedReference: r.RelatedReference, ConcernsChild: r.ConcernsChild,
		ReceivedAt: v.at(r.ReceivedAt), VerifiedAt: v.ptr(r.VerifiedAt), DueAt: v.at(r.DueAt),
		ExtendedDueAt: v.ptr(r.ExtendedDueAt), AckDueAt: v.ptr(r.AckDueAt), AcknowledgedAt: v.ptr(r.AcknowledgedAt),
		Assignee: nullable(r.Assignee), EscalationLevel: r.EscalationLevel, ClosedAt: v.ptr(r.ClosedAt), RedactedAt: v.ptr(r.RedactedAt),
		Outcome: nullable(r.Outcome), UpdatedAt: v.at(r.UpdatedAt),
	}
}

func (v viewTimes) detail(d *requests.Detail) requestDetailView {
	r, events := d.Request, d.Events
	out := requestDetailView{requestView: v.request(r), Events: make([]eventView, len(events)), Tasks: v.tasks(d.Tasks), Package: v.pkg(d.Package)}
	for i, e := range events {
		out.Events[i] = eventView{At: v.at(e.At), Actor: e.Actor, Action: e.Action, From: e.FromStatus, To: e.ToStatus, Note: e.Note, Hash: e.Hash}
	}
	return out
}

func (v viewTimes) public(r *models.Request) publicRequestView {
	return publicRequestView{Reference: r.Reference, Type: r.Type, Status: r.Status,
		ReceivedAt: v.at(r.ReceivedAt), DueAt: v.at(r.DueAt), ExtendedDueAt: v.ptr(r.ExtendedDueAt)}
}
