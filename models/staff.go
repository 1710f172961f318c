package models

import (
	"context"
	"time"
)

// Staff roles.
const (
	RoleAdmin            = "admin"
	RoleAgent            = "agent"
	RoleGrievanceOfficer = "grievance_officer"
	RoleAuditor          = "auditor"
)

// Roles lists every staff role.
var Roles = []string{RoleAdmin, RoleAgent, RoleGrievanceOfficer, RoleAuditor}

// StaffUser is a member of the privacy team.
type StaffUser struct {
	ID           string
	Email        string
	PasswordHash string
	Role         string
	CreatedAt    time.Time
	LastLoginAt  *time.Time
	DisabledAt   *time.Time
}

// CreateStaffUser inserts a staff user; an email already taken is ErrDuplicate.
func (s *Store) CreateStaffUser(ctx context.Context, u *StaffUser) error {
	u.Email = NormalizeEmail(u.Email)
	u.CreatedAt = utc(u.CreatedAt)
	return translate(s.with(ctx).Create(u).Error)
}

// StaffUserByEmail finds a staff user by email.
func (s *Store) StaffUserByEmail(ctx context.Context, email string) (*StaffUser, error) {
	var u StaffUser
	if err := s.with(ctx).Where("email = ?", NormalizeEmail(email)).Take(&u).Error; err != nil {
		return nil, translate(err)
	}
	return &u, nil
}

// StaffUserByID finds a staff user by id.
func (s *Store) StaffUserByID(ctx context.Context, id string) (*StaffUser, error) {
	var u StaffUser
	if err := s.with(ctx).Where("id = ?", id).Take(&u).Error; err != nil {
		return nil, translate(err)
	}
	return &u, nil
}

// CountStaffUsers counts staff users.
func (s *Store) CountStaffUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.with(ctx).Model(&StaffUser{}).Count(&n).Error
	return n, translate(err)
}

// TouchStaffLogin records a successful login.
func (s *Store) TouchStaffLogin(ctx context.Context, id string, at time.Time) error {
	return translate(s.with(ctx).Model(&StaffUser{}).Where("id = ?", id).Update("last_login_at", utc(at)).Error)
}
