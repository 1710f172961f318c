package testdb

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/models"
)

// Tables lists the application's tables (not goose's own) in the test's
// database, whichever the engine.
func Tables(t testing.TB, s *models.Store) []string {
	t.Helper()
	db, err := s.SQL()
	if err != nil {
		t.Fatal(err)
	}
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if s.Dialect() == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, "goose_") {
			out = append(out, name)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("testdb: no tables found")
	}
	return out
}

// FindText returns "table.column" for every stored value, in any table, that
// contains needle (case-insensitive). Tests use it to prove that personal
// data is gone from everywhere, not only from the columns they thought of.
func FindText(t testing.TB, s *models.Store, needle string) []string {
	t.Helper()
	db, err := s.SQL()
	if err != nil {
		t.Fatal(err)
	}
	needle = strings.ToLower(needle)
	var hits []string
	for _, table := range Tables(t, s) {
		hits = append(hits, scanTable(t, db, table, needle)...)
	}
	return hits
}

func scanTable(t testing.TB, db *sql.DB, table, needle string) []string {
	rows, err := db.Query("SELECT * FROM " + table)
	if err != nil {
		t.Fatalf("testdb: scan %s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var hits []string
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			var text string
			switch v := v.(type) {
			case nil:
				continue
			case []byte:
				text = string(v)
			default:
				text = fmt.Sprint(v)
			}
			if strings.Contains(strings.ToLower(text), needle) {
				hits = append(hits, table+"."+cols[i])
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return hits
}
