package models

import (
	"context"
	"time"
)

// RedactRequest removes a request's personal data from every table, in the
// caller's transaction, and stamps RedactedAt. What remains is what a
// regulator may ask about without naming anyone: the reference, type,
// regime, status, outcome, dates and the event chain's actions.
//
//   - requests: email, name, country, region, details, scope, purposes,
//     corrections, nominee and related reference are cleared;
//   - request_events: notes are cleared (the chain covers their digests, so
//     it still verifies);
//   - link_tokens: deleted, so no emailed link opens the request again;
//   - outbox_messages: recipient and bodies are cleared, and a message not
//     yet delivered is failed instead of being sent to nobody;
//   - tasks: notes, what was kept or changed and the answer's path are
//     cleared; task_jobs: bodies cleared, unsent jobs cancelled (the files
//     on disk are the fulfilment workflow's to delete).
//
// The caller updates r (Version-checked) itself: RedactRequest changes only
// the other tables and the columns it names, by id.
func (s *Store) RedactRequest(ctx context.Context, r *Request, at time.Time) error {
	at = utc(at)
	r.Email, r.EmailNorm, r.Name, r.Country, r.Region, r.Details = "", "", "", "", "", ""
	r.Scope, r.Purposes, r.Corrections, r.Nominee, r.RelatedReference = []string{}, []string{}, []Correction{}, nil, ""
	r.RedactedAt = &at
	db := s.with(ctx)
	if err := db.Model(&Event{}).Where("request_id = ? AND note <> ''", r.ID).Update("note", "").Error; err != nil {
		return translate(err)
	}
	if err := db.Where("request_id = ?", r.ID).Delete(&LinkToken{}).Error; err != nil {
		return translate(err)
	}
	if err := db.Model(&OutboxMessage{}).Where("request_id = ? AND status IN ?", r.ID, []string{OutboxPending, OutboxSending}).
		Updates(map[string]any{"status": OutboxFailed, "last_error": "personal data redacted before delivery", "locked_until": nil}).Error; err != nil {
		return translate(err)
	}
	err := db.Model(&OutboxMessage{}).Where("request_id = ?", r.ID).
		Updates(map[string]any{"to_addr": "", "text_body": "", "html_body": ""}).Error
	if err != nil {
		return translate(err)
	}
	// Tasks keep their system and status; what the systems said goes, and
	// a job not yet sent is cancelled (its body names the person).
	if err := db.Model(&Task{}).Where("request_id = ?", r.ID).
		Updates(map[string]any{"note": "", "kept": "[]", "changed": "[]", "tables": "[]", "result_path": ""}).Error; err != nil {
		return translate(err)
	}
	taskIDs := db.Model(&Task{}).Select("id").Where("request_id = ?", r.ID)
	if err := db.Model(&TaskJob{}).Where("task_id IN (?) AND status IN ?", taskIDs, []string{JobPending, JobSending}).
		Updates(map[string]any{"status": JobCancelled, "locked_until": nil}).Error; err != nil {
		return translate(err)
	}
	return translate(db.Model(&TaskJob{}).Where("task_id IN (?)", taskIDs).Update("body", "").Error)
}
