package models

import (
	"context"
	"time"
)

// Queries of the staff console: the dashboard's counts, the grievance
// officer's escalations, and the lists of staff users and API keys.

// CountRequestsByStatus counts every request per status, in one GROUP BY.
// Statuses with no request are absent from the map.
func (s *Store) CountRequestsByStatus(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Status string
		N      int
	}
	err := s.with(ctx).Model(&Request{}).Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// Deadlines returns the effective due date of every request in one of
// statuses, oldest first: the dashboard buckets them by week. Only the
// dates are read, no personal data.
func (s *Store) Deadlines(ctx context.Context, statuses []string) ([]time.Time, error) {
	if len(statuses) == 0 {
		return nil, nil
	}
	var out []time.Time
	err := s.with(ctx).Model(&Request{}).Where("status IN ?", statuses).
		Order("deadline_at ASC").Pluck("deadline_at", &out).Error
	if err != nil {
		return nil, translate(err)
	}
	for i := range out {
		out[i] = out[i].UTC()
	}
	return out, nil
}

// ListEscalated returns up to limit requests in one of statuses whose
// escalation level is at least minLevel, highest level first, then by due
// date: what a grievance officer sees first.
func (s *Store) ListEscalated(ctx context.Context, minLevel int, statuses []string, limit int) ([]Request, error) {
	if limit <= 0 {
		limit = 50
	}
	var out []Request
	err := s.with(ctx).Where("escalation_level >= ? AND status IN ?", minLevel, statuses).
		Order("escalation_level DESC, deadline_at ASC, id ASC").Limit(limit).Find(&out).Error
	return out, translate(err)
}

// CountEscalated counts the requests in one of statuses whose escalation
// level is at least minLevel.
func (s *Store) CountEscalated(ctx context.Context, minLevel int, statuses []string) (int, error) {
	var n int64
	err := s.with(ctx).Model(&Request{}).Where("escalation_level >= ? AND status IN ?", minLevel, statuses).Count(&n).Error
	return int(n), translate(err)
}

// ListStaffUsers returns every staff user, ordered by email.
func (s *Store) ListStaffUsers(ctx context.Context) ([]StaffUser, error) {
	var out []StaffUser
	err := s.with(ctx).Order("email ASC").Find(&out).Error
	return out, translate(err)
}

// SetStaffDisabled disables a staff user at the instant given, or enables
// them again when at is nil. An unknown id is ErrNotFound.
func (s *Store) SetStaffDisabled(ctx context.Context, id string, at *time.Time) error {
	res := s.with(ctx).Model(&StaffUser{}).Where("id = ?", id).Update("disabled_at", utcPtr(at))
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// ListAPIKeys returns every API key, revoked ones included, newest first.
func (s *Store) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	var out []APIKey
	err := s.with(ctx).Order("created_at DESC, id DESC").Find(&out).Error
	return out, translate(err)
}

// APIKeyByID loads a key, revoked or not.
func (s *Store) APIKeyByID(ctx context.Context, id string) (*APIKey, error) {
	var k APIKey
	if err := s.with(ctx).Where("id = ?", id).Take(&k).Error; err != nil {
		return nil, translate(err)
	}
	return &k, nil
}

// RevokeAPIKey marks a key revoked at the instant given; from then on
// APIKeyByHash no longer finds it. Revoking a revoked key keeps the first
// revocation time. An unknown id is ErrNotFound.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	res := s.with(ctx).Model(&APIKey{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", utc(at))
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		_, err := s.APIKeyByID(ctx, id)
		return err
	}
	return nil
}
