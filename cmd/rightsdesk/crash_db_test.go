package main

import (
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver to create the database
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
)

// crashDatabaseURL gives the binary an empty database of its own. On
// PostgreSQL that is a new database rather than testdb's schema in the
// shared one: the binary migrates at each of its eleven starts under goose's
// advisory lock, which PostgreSQL scopes to a database, so in the shared
// database every start would queue behind the other tests migrating their
// schemas at the same time (goose retries only every five seconds). Without
// the right to create databases it falls back to a schema.
func crashDatabaseURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv(testdb.EnvURL)
	if base == "" {
		return testdb.URL(t)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", testdb.EnvURL, err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "rightsdesk_crash_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Logf("cannot create a database (%v): the binary uses a schema of the shared one", err)
		return testdb.URL(t)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		// FORCE (PostgreSQL 13+) ends a killed process's backend that has
		// not noticed yet.
		if _, err := db.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			_, _ = db.Exec("DROP DATABASE " + name)
		}
	})
	u.Path = "/" + name
	return u.String()
}
