package models

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Link token purposes.
const (
	TokenVerify = "verify" // confirms the email; single use
	TokenStatus = "status" // opens the requester's status page
)

// LinkToken is an emailed link's token, stored only as its keyed hash.
type LinkToken struct {
	ID        string
	TokenHash string
	Purpose   string
	RequestID string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// CreateLinkToken stores a token hash.
func (s *Store) CreateLinkToken(ctx context.Context, t *LinkToken) error {
	t.CreatedAt = utc(t.CreatedAt)
	t.ExpiresAt = utc(t.ExpiresAt)
	// A plain INSERT rather than gorm's Create (one per intake; see
	// EnqueueEmail).
	_, err := s.with(ctx).Statement.ConnPool.ExecContext(ctx, s.rebind(`INSERT INTO link_tokens
		(id, token_hash, purpose, request_id, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		t.ID, t.TokenHash, t.Purpose, t.RequestID, t.CreatedAt, t.ExpiresAt, utcPtr(t.UsedAt))
	return translateInsert(err)
}

// translateInsert maps a raw INSERT's error as gorm's TranslateError does
// for Create: a unique violation is ErrDuplicate.
func translateInsert(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505") {
		return fmt.Errorf("%w: %v", ErrDuplicate, err)
	}
	return err
}

// LinkTokenByHash finds a token of a purpose by its hash.
func (s *Store) LinkTokenByHash(ctx context.Context, purpose, hash string) (*LinkToken, error) {
	var t LinkToken
	err := s.with(ctx).Where("token_hash = ? AND purpose = ?", hash, purpose).Take(&t).Error
	if err != nil {
		return nil, translate(err)
	}
	return &t, nil
}

// ConsumeLinkToken marks a token used, atomically: of two concurrent
// consumers exactly one succeeds, the other gets ErrConflict.
func (s *Store) ConsumeLinkToken(ctx context.Context, id string, at time.Time) error {
	res := s.with(ctx).Model(&LinkToken{}).Where("id = ? AND used_at IS NULL", id).Update("used_at", utc(at))
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected != 1 {
		return ErrConflict
	}
	return nil
}
