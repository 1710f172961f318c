package models

import (
	"context"
	"strings"
	"time"
)

// API key scopes.
const (
	ScopeRequestsRead  = "requests:read"
	ScopeRequestsWrite = "requests:write"
	ScopeConsentsRead  = "consents:read"
	ScopeConsentsWrite = "consents:write"
	ScopeSystems       = "systems"
)

// Scopes lists every API key scope.
var Scopes = []string{ScopeRequestsRead, ScopeRequestsWrite, ScopeConsentsRead, ScopeConsentsWrite, ScopeSystems}

// APIKey lets a host application or script call the API. Only a keyed hash
// of the key is stored; Prefix (its first characters) identifies it to people.
type APIKey struct {
	ID         string
	Name       string
	Prefix     string
	KeyHash    string
	Scopes     string // comma-separated
	CreatedBy  string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// HasScope reports whether the key carries a scope.
func (k *APIKey) HasScope(scope string) bool {
	for _, s := range strings.Split(k.Scopes, ",") {
		if s == scope {
			return true
		}
	}
	return false
}

// CreateAPIKey stores a key.
func (s *Store) CreateAPIKey(ctx context.Context, k *APIKey) error {
	k.CreatedAt = utc(k.CreatedAt)
	return translate(s.with(ctx).Create(k).Error)
}

// APIKeyByHash finds a key that is not revoked.
func (s *Store) APIKeyByHash(ctx context.Context, hash string) (*APIKey, error) {
	var k APIKey
	if err := s.with(ctx).Where("key_hash = ? AND revoked_at IS NULL", hash).Take(&k).Error; err != nil {
		return nil, translate(err)
	}
	return &k, nil
}

// TouchAPIKey records a use of a key. Writes at most once a minute per key,
// so that a busy host application does not turn every read into a write.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	at = utc(at)
	return translate(s.with(ctx).Model(&APIKey{}).
		Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", id, at.Add(-time.Minute)).
		Update("last_used_at", at).Error)
}
