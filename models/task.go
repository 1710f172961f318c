package models

import (
	"context"
	"time"
)

// Task states (the contract's).
const (
	TaskPending = "pending" // created; a webhook job not yet delivered, or a manual task not yet ticked
	TaskSent    = "sent"    // the system's webhook took the job (2xx); its answer is awaited
	TaskDone    = "done"
	TaskFailed  = "failed"
)

// Job outbox states (internal; the task's status is what the API shows).
const (
	JobPending   = "pending"
	JobSending   = "sending"
	JobDelivered = "delivered"
	JobCancelled = "cancelled" // the task was answered before the job got through
)

// TaskKept is something a system kept for a legal reason.
type TaskKept struct {
	Data   string `json:"data"`
	Reason string `json:"reason"`
}

// TaskChange is a field a correction changed.
type TaskChange struct {
	Field string `json:"field"`
	From  string `json:"from,omitempty"`
	To    string `json:"to"`
}

// TaskTable names a table of a system's answer and how many rows it had.
type TaskTable struct {
	Name string `json:"name"`
	Rows int    `json:"rows"`
}

// Task is one data system's share of one request.
type Task struct {
	ID         string
	RequestID  string
	SystemID   string
	SystemName string
	Manual     bool
	Status     string
	Note       string
	Kept       []TaskKept   `gorm:"serializer:json"`
	Changed    []TaskChange `gorm:"serializer:json"`
	Tables     []TaskTable  `gorm:"serializer:json"`
	// ResultPath is the spooled answer (data included) under the files
	// directory; empty until a done answer carried data.
	ResultPath  string
	AnsweredBy  string
	AnsweredAt  *time.Time
	EscalatedAt *time.Time
	CreatedAt   time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt   time.Time `gorm:"autoUpdateTime:false"`
}

// Open reports whether the task still waits for an answer.
func (t *Task) Open() bool { return t.Status == TaskPending || t.Status == TaskSent }

// TaskJob is a webhook system's job in the job outbox. Its ID is the
// job_id the system drops duplicates by.
type TaskJob struct {
	ID            string
	TaskID        string
	SystemID      string
	Body          string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LockedUntil   *time.Time
	LastError     string
	LastStatus    int
	CreatedAt     time.Time `gorm:"autoCreateTime:false"`
	DeliveredAt   *time.Time
}

func (t *Task) normalise() {
	t.CreatedAt, t.UpdatedAt = utc(t.CreatedAt), utc(t.UpdatedAt)
	t.AnsweredAt, t.EscalatedAt = utcPtr(t.AnsweredAt), utcPtr(t.EscalatedAt)
	// The JSON serializer writes a nil slice as NULL; the columns hold [].
	if t.Kept == nil {
		t.Kept = []TaskKept{}
	}
	if t.Changed == nil {
		t.Changed = []TaskChange{}
	}
	if t.Tables == nil {
		t.Tables = []TaskTable{}
	}
}

// CreateTask stores a task.
func (s *Store) CreateTask(ctx context.Context, t *Task) error {
	t.normalise()
	return translate(s.with(ctx).Create(t).Error)
}

// GetTask loads a task.
func (s *Store) GetTask(ctx context.Context, id string) (*Task, error) {
	var t Task
	if err := s.with(ctx).Where("id = ?", id).Take(&t).Error; err != nil {
		return nil, translate(err)
	}
	return &t, nil
}

// TasksOf lists a request's tasks in the order they were created.
func (s *Store) TasksOf(ctx context.Context, requestID string) ([]Task, error) {
	var out []Task
	err := s.with(ctx).Where("request_id = ?", requestID).Order("created_at, system_name, id").Find(&out).Error
	return out, translate(err)
}

// AnswerTask records an answer to a task that is not done: open, or failed
// (a system may succeed on a later try, and staff may tick a failed task).
// It reports false, changing nothing, when the task is done meanwhile.
func (s *Store) AnswerTask(ctx context.Context, t *Task) (bool, error) {
	t.normalise()
	res := s.with(ctx).Model(&Task{}).Where("id = ? AND status <> ?", t.ID, TaskDone).
		Select("status", "note", "kept", "changed", "tables", "result_path", "answered_by", "answered_at", "updated_at").
		Updates(t)
	return res.RowsAffected == 1, translate(res.Error)
}

// MarkTaskEscalated stamps the time staff were told a task needs them.
func (s *Store) MarkTaskEscalated(ctx context.Context, id string, at time.Time) error {
	return translate(s.with(ctx).Model(&Task{}).Where("id = ?", id).Update("escalated_at", utc(at)).Error)
}

// SilentTasks lists up to limit open tasks created before cutoff whose staff
// have not been told yet, oldest first.
func (s *Store) SilentTasks(ctx context.Context, cutoff time.Time, limit int) ([]Task, error) {
	var out []Task
	err := s.with(ctx).Where("status IN ? AND created_at < ? AND escalated_at IS NULL", []string{TaskPending, TaskSent}, utc(cutoff)).
		Order("created_at, id").Limit(limit).Find(&out).Error
	return out, translate(err)
}

// EnqueueTaskJob stores a job for delivery.
func (s *Store) EnqueueTaskJob(ctx context.Context, j *TaskJob) error {
	j.CreatedAt, j.NextAttemptAt = utc(j.CreatedAt), utc(j.NextAttemptAt)
	if j.Status == "" {
		j.Status = JobPending
	}
	return translate(s.with(ctx).Create(j).Error)
}

// ClaimTaskJobs leases up to limit due jobs, as ClaimOutbox does emails.
func (s *Store) ClaimTaskJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]TaskJob, error) {
	return claimLeased(s, ctx, "task_jobs", now, lease, limit,
		func(j *TaskJob) (time.Time, string) { return j.NextAttemptAt, j.ID })
}

// MarkTaskJobDelivered records that the system took the job numbered
// attempt (2xx), and moves its task from pending to sent, together. It
// reports false when the claim was no longer current.
func (s *Store) MarkTaskJobDelivered(ctx context.Context, j *TaskJob, httpStatus int, at time.Time) (bool, error) {
	var ok bool
	err := s.InTx(ctx, func(tx *Store) error {
		res := tx.with(ctx).Model(&TaskJob{}).Where("id = ? AND status = ? AND attempts = ?", j.ID, JobSending, j.Attempts).
			Updates(map[string]any{"status": JobDelivered, "delivered_at": utc(at), "locked_until": nil,
				"last_status": httpStatus, "last_error": "", "body": ""})
		if res.Error != nil || res.RowsAffected != 1 {
			return translate(res.Error)
		}
		ok = true
		return translate(tx.with(ctx).Model(&Task{}).Where("id = ? AND status = ?", j.TaskID, TaskPending).
			Updates(map[string]any{"status": TaskSent, "updated_at": utc(at)}).Error)
	})
	return ok, err
}

// MarkTaskJobRetry releases the claim numbered attempt for another attempt
// at next.
func (s *Store) MarkTaskJobRetry(ctx context.Context, id string, attempt int, next time.Time, httpStatus int, reason string) error {
	return releaseLeased(s, ctx, &TaskJob{}, id, attempt, next, httpStatus, reason)
}

// CancelTaskJob stops a job whose task was answered (or whose system was
// disabled) before it got through. Its body goes: it holds personal data.
func (s *Store) CancelTaskJob(ctx context.Context, id string) error {
	return translate(s.with(ctx).Model(&TaskJob{}).Where("id = ? AND status IN ?", id, []string{JobPending, JobSending}).
		Updates(map[string]any{"status": JobCancelled, "locked_until": nil, "body": ""}).Error)
}

// JobsOfTasks returns the jobs of the tasks named, by task id.
func (s *Store) JobsOfTasks(ctx context.Context, taskIDs []string) (map[string]TaskJob, error) {
	out := map[string]TaskJob{}
	if len(taskIDs) == 0 {
		return out, nil
	}
	var jobs []TaskJob
	if err := s.with(ctx).Omit("body").Where("task_id IN ?", taskIDs).Find(&jobs).Error; err != nil {
		return nil, translate(err)
	}
	for _, j := range jobs {
		out[j.TaskID] = j
	}
	return out, nil
}

// RequestsWithAllTasksDone lists up to limit requests in status that have
// tasks, every one of them done.
func (s *Store) RequestsWithAllTasksDone(ctx context.Context, status string, limit int) ([]string, error) {
	var ids []string
	err := s.with(ctx).Model(&Request{}).Where(`status = ?
		AND EXISTS (SELECT 1 FROM tasks t WHERE t.request_id = requests.id)
		AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.request_id = requests.id AND t.status <> ?)`, status, TaskDone).
		Order("deadline_at, id").Limit(limit).Pluck("id", &ids).Error
	return ids, translate(err)
}
