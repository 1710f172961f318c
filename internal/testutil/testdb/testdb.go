// Package testdb gives each test a real, freshly migrated database: a SQLite
// file in the test's temp dir, or, when RIGHTSDESK_TEST_DATABASE_URL names a
// PostgreSQL database, a schema of its own in that database (dropped after).
// The same tests therefore run unchanged against both engines.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for schema set-up
	"github.com/rightsdesk/rightsdesk/models"
)

// EnvURL names the PostgreSQL database the suite runs against, if any.
const EnvURL = "RIGHTSDESK_TEST_DATABASE_URL"

// URL returns a database URL for a new, empty database: a SQLite path, or a
// PostgreSQL URL whose search_path is a new schema. The schema is dropped when
// the test ends.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		return "sqlite://" + filepath.Join(t.TempDir(), "rightsdesk.db")
	}
	schema := "t_" + strings.ToLower(rand.Text()[:12])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("testdb: create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testdb: %s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated store on a new database, closed when the test ends.
func Open(t testing.TB) *models.Store {
	t.Helper()
	s, err := models.Open(URL(t))
	if err != nil {
		t.Fatalf("testdb: open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("testdb: migrate: %v", err)
	}
	return s
}

// Name says which engine the suite runs on, for test logs.
func Name() string {
	if os.Getenv(EnvURL) != "" {
		return "postgres"
	}
	return "sqlite"
}
