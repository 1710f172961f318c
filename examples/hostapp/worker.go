package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"gorm.io/gorm"
)

// RunWorker works on and answers stored jobs until ctx ends: at once when
// a job is stored, when a re-send falls due, and at the poll interval.
// It times its sleeps with the App's clock, so tests with a frozen clock
// call ProcessPending instead.
func (a *App) RunWorker(ctx context.Context) {
	for {
		if _, err := a.ProcessPending(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("jobs not processed", "error", err.Error())
		}
		wait := a.poll
		if due, ok := a.nextDue(ctx); ok && due.Sub(a.now()) < wait {
			wait = max(due.Sub(a.now()), 0)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-a.wake:
			timer.Stop()
		case <-timer.C:
		}
	}
}

// nextDue is when the earliest unanswered job may next be tried.
func (a *App) nextDue(ctx context.Context) (time.Time, bool) {
	var rec JobRecord
	err := a.db.WithContext(ctx).Where("status = ?", JobReceived).Order("next_attempt_at").Take(&rec).Error
	return rec.NextAttemptAt, err == nil
}

// ProcessPending works on every stored job that is due and not yet
// answered, and sends its answer once. It returns how many answers
// rightsdesk took (2xx or 409). Failed sends are recorded on the job and
// retried later, not returned; the error is a database failure.
func (a *App) ProcessPending(ctx context.Context) (int, error) {
	a.processing.Lock()
	defer a.processing.Unlock()
	var due []JobRecord
	err := a.db.WithContext(ctx).
		Where("status = ? AND next_attempt_at <= ?", JobReceived, a.now()).
		Order("next_attempt_at, received_at").Find(&due).Error
	if err != nil {
		return 0, err
	}
	answered := 0
	for _, rec := range due {
		if ctx.Err() != nil {
			return answered, ctx.Err()
		}
		ok, err := a.process(ctx, rec)
		if err != nil {
			return answered, err
		}
		if ok {
			answered++
		}
	}
	return answered, nil
}

func (a *App) process(ctx context.Context, rec JobRecord) (bool, error) {
	var job Job
	if err := json.Unmarshal([]byte(rec.Body), &job); err != nil {
		return false, fmt.Errorf("job %s: stored body: %w", rec.JobID, err)
	}
	if rec.Answer == "" {
		answer, err := a.work(ctx, rec.JobID, job)
		if err != nil {
			return false, fmt.Errorf("job %s: %w", rec.JobID, err)
		}
		rec.Answer = answer
	}
	return a.send(ctx, rec, job.ResultURL)
}

// work does the job and stores its answer in one transaction, so the work
// is done exactly once even when sending the answer takes many tries.
func (a *App) work(ctx context.Context, jobID string, job Job) (string, error) {
	var stored string
	err := a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		answer, err := fulfil(tx, job)
		if err != nil {
			return err
		}
		body, err := json.Marshal(answer)
		if err != nil {
			return err
		}
		res := tx.Model(&JobRecord{}).Where("job_id = ? AND answer = ''", jobID).Update("answer", string(body))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return errors.New("answered meanwhile")
		}
		stored = string(body)
		a.log.Info("job done", "job_id", jobID, "type", job.Type, "status", answer.Status)
		return nil
	})
	return stored, err
}

// send posts the answer and records the outcome. 2xx and 409 (rightsdesk
// already has an answer) end the job; anything else is retried later.
func (a *App) send(ctx context.Context, rec JobRecord, resultURL string) (bool, error) {
	status, err := a.post(ctx, resultURL, rec.Answer)
	if err != nil && ctx.Err() != nil {
		return false, ctx.Err() // shutting down: not the receiver's fault
	}
	attempts := rec.Attempts + 1
	now := a.now()
	if err == nil && (status/100 == 2 || status == http.StatusConflict) {
		a.log.Info("answer delivered", "job_id", rec.JobID, "type", rec.Type, "http_status", status, "attempts", attempts)
		return true, a.db.WithContext(ctx).Model(&JobRecord{}).Where("job_id = ?", rec.JobID).Updates(map[string]any{
			"status": JobAnswered, "attempts": attempts, "answered_at": now, "last_error": "",
		}).Error
	}
	delay, lastError := a.retryDelay(attempts), ""
	switch {
	case err != nil:
		lastError = err.Error()
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		// The key is wrong or revoked: only an operator can fix it, so try
		// seldom, but keep the answer until they do.
		delay, lastError = a.retryMax, fmt.Sprintf("HTTP %d: rightsdesk refused the system key", status)
	case status/100 == 4:
		// Neither side can fix a refused answer by re-sending it at once,
		// and dropping it would leave the request stuck: try seldom.
		delay, lastError = a.retryMax, fmt.Sprintf("HTTP %d", status)
	default:
		lastError = fmt.Sprintf("HTTP %d", status)
	}
	a.log.Warn("answer not delivered", "job_id", rec.JobID, "type", rec.Type, "attempts", attempts, "error", lastError, "retry_in", delay.String())
	return false, a.db.WithContext(ctx).Model(&JobRecord{}).Where("job_id = ?", rec.JobID).Updates(map[string]any{
		"attempts": attempts, "next_attempt_at": now.Add(delay), "last_error": lastError,
	}).Error
}

func (a *App) post(ctx context.Context, resultURL, answer string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, resultURL, bytes.NewReader([]byte(answer)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+a.systemKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, err
	}
	discardBody(resp.Body)
	return resp.StatusCode, nil
}

// retryDelay is the wait after the given number of failed sends: the first
// delay, doubling, up to the ceiling.
func (a *App) retryDelay(attempts int) time.Duration {
	d := a.retryFirst
	for i := 1; i < attempts && d < a.retryMax; i++ {
		d *= 2
	}
	return min(d, a.retryMax)
}
