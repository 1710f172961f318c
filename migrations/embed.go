// Package migrations embeds the versioned SQL schema and applies it with
// goose. There is one directory per dialect because SQLite and PostgreSQL
// need different time types (see the header of each 00001 file); a test
// checks that both define the same tables and columns.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// Dialects the migrations exist for.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Apply brings the schema up to the newest version. On PostgreSQL a session
// advisory lock makes concurrent starts of several instances migrate once.
func Apply(ctx context.Context, db *sql.DB, dialect string) error {
	p, err := provider(db, dialect)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}

func provider(db *sql.DB, dialect string) (*goose.Provider, error) {
	sub, err := fs.Sub(files, dialect)
	if err != nil {
		return nil, err
	}
	var opts []goose.ProviderOption
	gd := goose.DialectSQLite3
	if dialect == Postgres {
		gd = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	} else if dialect != SQLite {
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	return goose.NewProvider(gd, db, sub, opts...)
}
