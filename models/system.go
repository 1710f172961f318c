package models

import (
	"context"
	"slices"
	"strings"
	"time"
)

// DataSystem is one of the company's systems that holds personal data:
// sent a signed job for each request it handles (WebhookURL) or worked by
// staff (Manual). Only a keyed hash of its API key is stored; its signing
// secret is derived from the server secret and SecretVersion.
type DataSystem struct {
	ID            string
	Name          string
	RequestTypes  string // comma-separated, as listed
	WebhookURL    string
	Manual        bool
	KeyPrefix     string
	KeyHash       string
	SecretVersion int
	CreatedBy     string
	CreatedAt     time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt     time.Time `gorm:"autoUpdateTime:false"`
	DisabledAt    *time.Time
}

// Types lists the request types the system handles.
func (d *DataSystem) Types() []string {
	if d.RequestTypes == "" {
		return []string{}
	}
	return strings.Split(d.RequestTypes, ",")
}

// Handles reports whether the system takes requests of type t.
func (d *DataSystem) Handles(t string) bool { return slices.Contains(d.Types(), t) }

// CreateDataSystem stores a system; a second one with the same name is
// ErrDuplicate.
func (s *Store) CreateDataSystem(ctx context.Context, d *DataSystem) error {
	d.CreatedAt, d.UpdatedAt = utc(d.CreatedAt), utc(d.UpdatedAt)
	return translate(s.with(ctx).Create(d).Error)
}

// UpdateDataSystem writes every field of d.
func (s *Store) UpdateDataSystem(ctx context.Context, d *DataSystem) error {
	d.UpdatedAt = utc(d.UpdatedAt)
	d.DisabledAt = utcPtr(d.DisabledAt)
	res := s.with(ctx).Model(&DataSystem{}).Where("id = ?", d.ID).Select("*").Omit("id", "created_at").Updates(d)
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected != 1 {
		return ErrNotFound
	}
	return nil
}

// GetDataSystem loads a system, disabled or not.
func (s *Store) GetDataSystem(ctx context.Context, id string) (*DataSystem, error) {
	var d DataSystem
	if err := s.with(ctx).Where("id = ?", id).Take(&d).Error; err != nil {
		return nil, translate(err)
	}
	return &d, nil
}

// DataSystemByKeyHash finds the enabled system whose key hashes to hash.
func (s *Store) DataSystemByKeyHash(ctx context.Context, hash string) (*DataSystem, error) {
	var d DataSystem
	if err := s.with(ctx).Where("key_hash = ? AND disabled_at IS NULL", hash).Take(&d).Error; err != nil {
		return nil, translate(err)
	}
	return &d, nil
}

// ListDataSystems lists every system by name, disabled ones included.
func (s *Store) ListDataSystems(ctx context.Context) ([]DataSystem, error) {
	var out []DataSystem
	err := s.with(ctx).Order("name, id").Find(&out).Error
	return out, translate(err)
}

// SystemsHandling lists the enabled systems that take requests of type t,
// by name.
func (s *Store) SystemsHandling(ctx context.Context, t string) ([]DataSystem, error) {
	all, err := s.ListDataSystems(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, d := range all {
		if d.DisabledAt == nil && d.Handles(t) {
			out = append(out, d)
		}
	}
	return out, nil
}
