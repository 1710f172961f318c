package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/rightsdesk/rightsdesk/workflows/webhooks"
	"gorm.io/gorm/clause"
)

// maxJobBytes bounds what is read of a job: real ones are a few hundred
// bytes, and nothing unverified should make the host buffer more.
const maxJobBytes = 1 << 20

// receiveJob stores a signed job and answers 202, or 200 when the job_id
// is already stored: rightsdesk re-sends a job until it gets a 2xx, so a
// repeat must not be worked on twice.
func (a *App) receiveJob(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJobBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "job too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "could not read the job", http.StatusBadRequest)
		return
	}
	if err := webhooks.Verify(r.Header.Get(webhooks.SignatureHeader), body, a.signingSecret, a.now(), 0); err != nil {
		a.log.Warn("job refused", "reason", err.Error())
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var job Job
	if err := json.Unmarshal(body, &job); err != nil {
		http.Error(w, "the job is not valid JSON", http.StatusBadRequest)
		return
	}
	if msg := checkJob(job); msg != "" {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	rec := JobRecord{
		JobID:         job.JobID,
		TaskID:        job.TaskID,
		Type:          job.Type,
		Body:          string(body),
		ReceivedAt:    a.now(),
		Status:        JobReceived,
		NextAttemptAt: a.now(),
	}
	res := a.db.WithContext(r.Context()).Clauses(clause.OnConflict{DoNothing: true}).Create(&rec)
	if res.Error != nil {
		a.log.Error("job not stored", "job_id", job.JobID, "error", res.Error.Error())
		http.Error(w, "could not store the job", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if res.RowsAffected == 0 {
		a.log.Info("job repeated", "job_id", job.JobID, "type", job.Type)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"status":"already received"}`))
		return
	}
	a.log.Info("job received", "job_id", job.JobID, "type", job.Type)
	select {
	case a.wake <- struct{}{}:
	default: // the worker is already due to look
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"received"}`))
}

// checkJob says what makes a job unworkable, or "" when it is fine.
func checkJob(job Job) string {
	switch {
	case job.JobID == "":
		return "job_id is missing"
	case job.Type == "":
		return "type is missing"
	}
	u, err := url.Parse(job.ResultURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "result_url is not an http(s) URL"
	}
	return ""
}
