package main

import "time"

// User is an account of the photo app. The five booleans are the uses the
// person has opted in to; an opt-out or a consent withdrawal clears them.
type User struct {
	ID            uint      `gorm:"primaryKey" json:"id"`
	Email         string    `gorm:"uniqueIndex;not null" json:"email"`
	Name          string    `json:"name"`
	Phone         string    `json:"phone"`
	City          string    `json:"city"`
	CreatedAt     time.Time `json:"created_at"`
	SaleSharing   bool      `json:"sale_sharing"`
	TargetedAds   bool      `json:"targeted_ads"`
	ModelTraining bool      `json:"model_training"`
	Marketing     bool      `json:"marketing"`
	Profiling     bool      `json:"profiling"`
}

// Image is a photo a user uploaded.
type Image struct {
	ID         uint      `gorm:"primaryKey" json:"id"`
	UserID     uint      `gorm:"index;not null" json:"user_id"`
	Filename   string    `json:"filename"`
	Caption    string    `json:"caption"`
	UploadedAt time.Time `json:"uploaded_at"`
}

// Order is a purchase. UserID is nil once the buyer's account is deleted:
// the amount and date stay for the tax records, no longer tied to a person.
type Order struct {
	ID          uint      `gorm:"primaryKey" json:"id"`
	UserID      *uint     `gorm:"index" json:"user_id"`
	AmountCents int64     `json:"amount_cents"`
	PlacedAt    time.Time `json:"placed_at"`
}

// Job states.
const (
	JobReceived = "received"
	JobAnswered = "answered"
)

// JobRecord is a job as stored on receipt, before the 2xx, so that a job
// rightsdesk considers delivered survives a crash or restart of the host.
type JobRecord struct {
	JobID      string    `gorm:"primaryKey"`
	TaskID     string    `gorm:"not null"`
	Type       string    `gorm:"not null"`
	Body       string    `gorm:"not null"` // the job as received
	ReceivedAt time.Time `gorm:"not null"`
	Status     string    `gorm:"not null;index"`
	// Answer is empty until the work is done; it is written in the work's
	// own transaction, so work done is never done twice and the answer can
	// be re-sent after a restart even when it cannot be recomputed (a
	// deleted account).
	Answer        string `gorm:"not null;default:''"`
	Attempts      int    `gorm:"not null;default:0"`
	NextAttemptAt time.Time
	LastError     string `gorm:"not null;default:''"`
	AnsweredAt    *time.Time
}

// TableName keeps the table called jobs.
func (JobRecord) TableName() string { return "jobs" }
