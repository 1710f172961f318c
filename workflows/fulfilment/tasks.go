package fulfilment

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/google/uuid"
	"github.com/rightsdesk/rightsdesk/models"
)

// Job is the body sent to a webhook system (the contract's job).
type Job struct {
	JobID     string     `json:"job_id"`
	TaskID    string     `json:"task_id"`
	Type      string     `json:"type"`
	Request   JobRequest `json:"request"`
	ResultURL string     `json:"result_url"`
}

// JobRequest is what a system needs to find and act on the person.
type JobRequest struct {
	Reference   string              `json:"reference"`
	Email       string              `json:"email"`
	Name        string              `json:"name"`
	SubjectID   string              `json:"subject_id,omitempty"`
	Corrections []models.Correction `json:"corrections,omitempty"`
	Scope       []string            `json:"scope,omitempty"`
	Purposes    []string            `json:"purposes,omitempty"`
}

// StartTasks makes one task per enabled system that handles r's type, in
// tx (the start action's transaction), and writes a job for each webhook
// system to the job outbox. It returns the tasks made (none when no system
// handles the type, or when r has tasks already: a request started again
// after awaiting the requester keeps its first ones).
func (s *Service) StartTasks(ctx context.Context, tx *models.Store, r *models.Request) ([]models.Task, error) {
	existing, err := tx.TasksOf(ctx, r.ID)
	if err != nil || len(existing) > 0 {
		return nil, err
	}
	systems, err := tx.SystemsHandling(ctx, r.Type)
	if err != nil || len(systems) == 0 {
		return nil, err
	}
	subjectID, err := s.subjectID(ctx, tx, r.EmailNorm)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	var out []models.Task
	for _, d := range systems {
		t := models.Task{ID: uuid.Must(uuid.NewV7()).String(), RequestID: r.ID, SystemID: d.ID, SystemName: d.Name,
			Manual: d.Manual, Status: models.TaskPending, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateTask(ctx, &t); err != nil {
			return nil, err
		}
		if !d.Manual {
			if err := s.enqueueJob(ctx, tx, r, &t, subjectID); err != nil {
				return nil, err
			}
		}
		out = append(out, t)
	}
	tx.AfterCommit(s.queue.Notify)
	return out, nil
}

// enqueueJob writes the task's job. The body is fixed now, so every retry
// sends the same job_id and the same content.
func (s *Service) enqueueJob(ctx context.Context, tx *models.Store, r *models.Request, t *models.Task, subjectID string) error {
	job := Job{JobID: uuid.Must(uuid.NewV7()).String(), TaskID: t.ID, Type: r.Type, ResultURL: s.ResultURL(t.ID),
		Request: JobRequest{Reference: r.Reference, Email: r.Email, Name: r.Name, SubjectID: subjectID}}
	switch r.Type {
	case "correction":
		job.Request.Corrections = r.Corrections
	case "opt_out":
		job.Request.Scope = r.Scope
	case "consent_withdrawal":
		job.Request.Purposes = r.Purposes
	}
	body, err := json.Marshal(job)
	if err != nil {
		return err
	}
	return tx.EnqueueTaskJob(ctx, &models.TaskJob{ID: job.JobID, TaskID: t.ID, SystemID: t.SystemID,
		Body: string(body), CreatedAt: t.CreatedAt, NextAttemptAt: t.CreatedAt})
}

// subjectID is the host's own id for the person, when a consent record has
// linked it to the email.
func (s *Service) subjectID(ctx context.Context, tx *models.Store, emailNorm string) (string, error) {
	if emailNorm == "" {
		return "", nil
	}
	sub, err := tx.ConsentSubjectByEmail(ctx, emailNorm)
	if errors.Is(err, models.ErrNotFound) {
		return "", nil
	}
	if err != nil || sub.SubjectID == nil {
		return "", err
	}
	return *sub.SubjectID, nil
}

// Tasks lists a request's tasks.
func (s *Service) Tasks(ctx context.Context, requestID string) ([]models.Task, error) {
	return s.store.TasksOf(ctx, requestID)
}

// Pending lists the tasks of a request that are not done.
func Pending(tasks []models.Task) []models.Task {
	var out []models.Task
	for _, t := range tasks {
		if t.Status != models.TaskDone {
			out = append(out, t)
		}
	}
	return out
}
