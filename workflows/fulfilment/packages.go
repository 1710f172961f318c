package fulfilment

import (
	"context"
	"os"
	"path"

	"github.com/google/uuid"
	"github.com/rightsdesk/rightsdesk/models"
)

// Packaged reports whether requests of type t are answered with a package.
func Packaged(t string) bool { return t == "access" || t == "export" }

// BuildPackage writes the ZIP of an access or export request's answers
// (the done tasks, in order) to disk, streaming. It returns the package's
// record, not yet stored, or nil when there is nothing to package: another
// request type, or no task done. Call it outside any transaction (a large
// package takes a while); DiscardPackage removes the file if the record is
// then not stored.
func (s *Service) BuildPackage(ctx context.Context, r *models.Request, tasks []models.Task) (*models.Package, error) {
	if !Packaged(r.Type) {
		return nil, nil
	}
	var parts []PackagePart
	var sources []string
	for _, t := range tasks {
		if t.Status == models.TaskDone && t.ResultPath != "" {
			parts = append(parts, PackagePart{System: t.SystemName, ResultPath: s.path(t.ResultPath)})
			sources = append(sources, t.ID)
		}
	}
	if len(parts) == 0 {
		return nil, nil
	}
	now := s.clock()
	p := &models.Package{ID: uuid.Must(uuid.NewV7()).String(), RequestID: r.ID, CreatedAt: now, ExpiresAt: now.Add(PackageTTL), Sources: sources}
	p.Path = path.Join("packages", r.ID+"-"+p.ID+".zip")
	if err := os.MkdirAll(path.Dir(s.path(p.Path)), 0o700); err != nil {
		return nil, err
	}
	built, err := WritePackage(s.path(p.Path), PackageInfo{
		Organization: s.policy.Organization.Name, PrivacyEmail: s.policy.Organization.PrivacyEmail,
		Reference: r.Reference, RequestType: r.Type, GeneratedAt: now, ExpiresAt: p.ExpiresAt,
	}, parts)
	if err != nil {
		return nil, err
	}
	p.Bytes, p.SHA256 = built.Bytes, built.SHA256
	return p, nil
}

// DiscardPackage removes a built package's file.
func (s *Service) DiscardPackage(p *models.Package) {
	if p != nil {
		os.Remove(s.path(p.Path))
	}
}

// Package returns a request's package and opens its file. No package is
// ErrNotFound; an expired one is ErrPackageGone.
func (s *Service) Package(ctx context.Context, requestID string) (*models.Package, *os.File, error) {
	p, err := s.store.PackageOf(ctx, requestID)
	if err != nil {
		return nil, nil, err
	}
	if p.DeletedAt != nil || !s.clock().Before(p.ExpiresAt) {
		return p, nil, ErrPackageGone
	}
	f, err := os.Open(s.path(p.Path))
	if os.IsNotExist(err) {
		return p, nil, ErrPackageGone
	}
	return p, f, err
}

// PurgeExpired deletes the files of packages past their expiry, and the
// answers they were built from, and returns how many packages it purged.
func (s *Service) PurgeExpired(ctx context.Context) (int, error) {
	n := 0
	for {
		expired, err := s.store.ExpiredPackages(ctx, s.clock(), 100)
		if err != nil || len(expired) == 0 {
			return n, err
		}
		for _, p := range expired {
			if err := s.RemoveFiles(ctx, p.RequestID); err != nil {
				return n, err
			}
			if err := os.Remove(s.path(p.Path)); err != nil && !os.IsNotExist(err) {
				return n, err
			}
			if err := s.store.MarkPackageDeleted(ctx, p.ID, s.clock()); err != nil {
				return n, err
			}
			n++
		}
	}
}

// RemoveFiles deletes the answers spooled for a request (its personal
// data on disk), once nothing is built from them any more.
func (s *Service) RemoveFiles(ctx context.Context, requestID string) error {
	err := os.RemoveAll(s.path(path.Join("results", requestID)))
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}
