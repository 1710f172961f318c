package main

// The wire shapes of rightsdesk's fulfilment contract: the job rightsdesk
// posts to a system's webhook URL, and the answer the system posts back to
// the job's result_url.

// Job is what rightsdesk sends; job_id is stable across its retries.
type Job struct {
	JobID     string     `json:"job_id"`
	TaskID    string     `json:"task_id"`
	Type      string     `json:"type"`
	Request   JobRequest `json:"request"`
	ResultURL string     `json:"result_url"`
}

// JobRequest describes the person and what they asked for.
type JobRequest struct {
	Reference   string       `json:"reference"`
	Email       string       `json:"email"`
	Name        string       `json:"name"`
	SubjectID   string       `json:"subject_id,omitempty"`
	Corrections []Correction `json:"corrections,omitempty"`
	Scope       []string     `json:"scope,omitempty"`
	Purposes    []string     `json:"purposes,omitempty"`
}

// Correction is one value the person wants changed.
type Correction struct {
	Field     string `json:"field"`
	Current   string `json:"current,omitempty"`
	Requested string `json:"requested"`
}

// Answer statuses.
const (
	StatusDone   = "done"
	StatusFailed = "failed"
)

// Answer is what the system posts to result_url.
type Answer struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Data is omitzero, not omitempty: an access answer for an unknown
	// email must still say data {} (nothing held), which omitempty drops.
	Data    map[string]any `json:"data,omitzero"`
	Kept    []Kept         `json:"kept,omitempty"`
	Changed []Change       `json:"changed,omitempty"`
}

// Kept is data a deletion left in place, and the legal reason for it.
type Kept struct {
	Data   string `json:"data"`
	Reason string `json:"reason"`
}

// Change is one corrected field.
type Change struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}
