package migrations

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	createTable = regexp.MustCompile(`(?s)CREATE TABLE (\w+) \((.*?)\n\);`)
	createIndex = regexp.MustCompile(`CREATE (UNIQUE )?INDEX (\w+) ON (\w+) \(([^)]*)\)`)
	addColumn   = regexp.MustCompile(`ALTER TABLE (\w+) ADD COLUMN (\w+)`)
)

// schema reads the tables (with their column names) and indexes that a
// dialect's migrations create.
func schema(t *testing.T, dialect string) (tables map[string][]string, indexes []string) {
	t.Helper()
	tables = map[string][]string{}
	names, err := fs.Glob(files, dialect+"/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("%s: no migrations (%v)", dialect, err)
	}
	for _, n := range names {
		raw, _ := fs.ReadFile(files, n)
		up, _, _ := strings.Cut(string(raw), "-- +goose Down")
		raw = []byte(up)
		for _, m := range createTable.FindAllStringSubmatch(string(raw), -1) {
			var cols []string
			for _, line := range strings.Split(m[2], "\n") {
				if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(f[0], "--") {
					cols = append(cols, f[0])
				}
			}
			tables[m[1]] = cols
		}
		for _, m := range createIndex.FindAllStringSubmatch(string(raw), -1) {
			indexes = append(indexes, m[1]+m[2]+" "+m[3]+"("+m[4]+")")
		}
		for _, m := range addColumn.FindAllStringSubmatch(string(raw), -1) {
			tables[m[1]] = append(tables[m[1]], m[2])
		}
	}
	return tables, indexes
}

// The two dialects must define the same tables, columns and indexes: they
// differ only in types.
func TestDialectsDefineTheSameSchema(t *testing.T) {
	sl, si := schema(t, SQLite)
	pg, pi := schema(t, Postgres)
	if len(sl) == 0 || len(sl) != len(pg) {
		t.Fatalf("tables: sqlite %d, postgres %d", len(sl), len(pg))
	}
	for table, cols := range sl {
		if !slices.Equal(cols, pg[table]) {
			t.Errorf("table %s: sqlite columns %v, postgres %v", table, cols, pg[table])
		}
	}
	if !slices.Equal(si, pi) {
		t.Errorf("indexes differ:\nsqlite   %v\npostgres %v", si, pi)
	}
}

// The queue, the email lookup and the reference each have an index.
func TestQueueIndexesExist(t *testing.T) {
	_, idx := schema(t, SQLite)
	joined := strings.Join(idx, "\n")
	for _, want := range []string{"requests(status, deadline_at, id)", "requests(email_norm)", "request_events(request_id, seq)"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no index %s in\n%s", want, joined)
		}
	}
	sl, _ := schema(t, SQLite)
	if !slices.Contains(sl["requests"], "reference") {
		t.Fatal("requests.reference missing")
	}
}
