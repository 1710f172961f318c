package staff

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/cachebus"
	"github.com/rightsdesk/rightsdesk/models"
)

// What the staff console does with accounts and keys: list them, create a
// user with a generated password, disable and enable users, revoke keys.

// ErrSelf refuses to disable one's own account: an admin must not lock
// the console's last door behind them by a slip of the mouse.
var ErrSelf = errors.New("you cannot disable your own account")

// Users lists every staff user, disabled ones included, by email.
func (s *Service) Users(ctx context.Context) ([]models.StaffUser, error) {
	return s.store.ListStaffUsers(ctx)
}

// Workers lists the active staff users who may work on requests (and so be
// assigned one): every role but the read-only auditor.
func (s *Service) Workers(ctx context.Context) ([]models.StaffUser, error) {
	all, err := s.store.ListStaffUsers(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(u models.StaffUser) bool {
		return u.DisabledAt != nil || u.Role == models.RoleAuditor
	}), nil
}

// CreateUserWithPassword adds a staff user with a generated password and
// returns it: the caller shows it once, it is stored only as a hash.
func (s *Service) CreateUserWithPassword(ctx context.Context, email, role string) (*models.StaffUser, string, error) {
	password := GeneratePassword()
	u, err := s.CreateUser(ctx, email, role, password)
	if err != nil {
		return nil, "", err
	}
	return u, password, nil
}

// SetDisabled disables (or enables again) the staff user id on behalf of
// the user byID. A disabled user cannot log in, and their tokens and
// console sessions stop working at once (User refuses them).
func (s *Service) SetDisabled(ctx context.Context, byID, id string, disabled bool) (*models.StaffUser, error) {
	if disabled && byID == id {
		return nil, ErrSelf
	}
	var at *time.Time
	if disabled {
		now := s.now()
		at = &now
	}
	if err := s.store.SetStaffDisabled(ctx, id, at); err != nil {
		return nil, err
	}
	return s.store.StaffUserByID(ctx, id)
}

// APIKeys lists every API key, revoked ones included, newest first.
func (s *Service) APIKeys(ctx context.Context) ([]models.APIKey, error) {
	return s.store.ListAPIKeys(ctx)
}

// RevokeAPIKey revokes a key: the API refuses it from the next call on.
func (s *Service) RevokeAPIKey(ctx context.Context, id string) (*models.APIKey, error) {
	err := s.store.InTx(ctx, func(tx *models.Store) error {
		if err := tx.RevokeAPIKey(ctx, id, s.now()); err != nil {
			return err
		}
		if s.bus != nil {
			return s.bus.Publish(ctx, tx, apiKeyTopic, cachebus.All)
		}
		s.keys.Flush()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.store.APIKeyByID(ctx, id)
}
