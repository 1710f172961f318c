package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Package is the ZIP of an access or export request's answers, offered to
// the requester until ExpiresAt and then deleted from disk (DeletedAt).
type Package struct {
	ID        string
	RequestID string
	Path      string // under the files directory
	Bytes     int64
	SHA256    string `gorm:"column:sha256"`
	Downloads int
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	ExpiresAt time.Time
	// DeletedAt is a plain time, not gorm.DeletedAt: the row stays
	// visible, so that a late download gets 410 rather than 404.
	DeletedAt *time.Time
	// Sources are the tasks it was built from (not stored): completion
	// checks that no answer came in between.
	Sources []string `gorm:"-"`
}

// CreatePackage stores a package's record.
func (s *Store) CreatePackage(ctx context.Context, p *Package) error {
	p.CreatedAt, p.ExpiresAt = utc(p.CreatedAt), utc(p.ExpiresAt)
	return translate(s.with(ctx).Create(p).Error)
}

// PackageOf loads a request's package (deleted or not), or ErrNotFound.
func (s *Store) PackageOf(ctx context.Context, requestID string) (*Package, error) {
	var p Package
	if err := s.with(ctx).Where("request_id = ?", requestID).Take(&p).Error; err != nil {
		return nil, translate(err)
	}
	return &p, nil
}

// CountPackageDownload adds one to a package's download count.
func (s *Store) CountPackageDownload(ctx context.Context, id string) error {
	return translate(s.with(ctx).Model(&Package{}).Where("id = ?", id).
		UpdateColumn("downloads", gorm.Expr("downloads + 1")).Error)
}

// ExpiredPackages lists up to limit packages past their expiry that are
// still on disk.
func (s *Store) ExpiredPackages(ctx context.Context, now time.Time, limit int) ([]Package, error) {
	var out []Package
	err := s.with(ctx).Where("deleted_at IS NULL AND expires_at <= ?", utc(now)).Order("expires_at, id").Limit(limit).Find(&out).Error
	return out, translate(err)
}

// MarkPackageDeleted records that a package's file is gone.
func (s *Store) MarkPackageDeleted(ctx context.Context, id string, at time.Time) error {
	return translate(s.with(ctx).Model(&Package{}).Where("id = ?", id).Update("deleted_at", utc(at)).Error)
}
