package handlers

import (
	"time"

	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// taskView is a task as the contract shows it (id, system, status, note,
// updated_at), plus what its answer said.
type taskView struct {
	ID         string              `json:"id"`
	System     taskSystemView      `json:"system"`
	Manual     bool                `json:"manual"`
	Status     string              `json:"status"`
	Note       string              `json:"note"`
	Kept       []models.TaskKept   `json:"kept"`
	Changed    []models.TaskChange `json:"changed"`
	Tables     []models.TaskTable  `json:"tables"`
	AnsweredBy *string             `json:"answered_by"`
	AnsweredAt *time.Time          `json:"answered_at"`
	CreatedAt  time.Time           `json:"created_at"`
	UpdatedAt  time.Time           `json:"updated_at"`
}

type taskSystemView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// packageView describes a request's package (never its path on disk).
type packageView struct {
	Bytes     int64      `json:"bytes"`
	SHA256    string     `json:"sha256"`
	Downloads int        `json:"downloads"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	DeletedAt *time.Time `json:"deleted_at"`
}

func (v viewTimes) task(t *models.Task) taskView {
	out := taskView{ID: t.ID, System: taskSystemView{ID: t.SystemID, Name: t.SystemName}, Manual: t.Manual,
		Status: t.Status, Note: t.Note, Kept: t.Kept, Changed: t.Changed, Tables: t.Tables,
		AnsweredBy: nullable(t.AnsweredBy), AnsweredAt: v.ptr(t.AnsweredAt), CreatedAt: v.at(t.CreatedAt), UpdatedAt: v.at(t.UpdatedAt)}
	if out.Kept == nil {
		out.Kept = []models.TaskKept{}
	}
	if out.Changed == nil {
		out.Changed = []models.TaskChange{}
	}
	if out.Tables == nil {
		out.Tables = []models.TaskTable{}
	}
	return out
}

func (v viewTimes) tasks(ts []models.Task) []taskView {
	out := make([]taskView, len(ts))
	for i := range ts {
		out[i] = v.task(&ts[i])
	}
	return out
}

func (v viewTimes) pkg(p *models.Package) *packageView {
	if p == nil {
		return nil
	}
	return &packageView{Bytes: p.Bytes, SHA256: p.SHA256, Downloads: p.Downloads, CreatedAt: v.at(p.CreatedAt),
		ExpiresAt: v.at(p.ExpiresAt), DeletedAt: v.ptr(p.DeletedAt)}
}

// systemActor is a data system answering its task.
func systemActor(name string) requests.Actor { return requests.Actor{Kind: "data_system", Name: name} }
