// Package dbsnap records what a test database holds, table by table, so that
// a test can prove a refused request changed nothing: Take before, Take
// after, and Diff must be empty.
//
// Every table of the test's database is recorded (SQLite: sqlite_master;
// PostgreSQL: the tables of the test's own schema, which testdb puts first
// on the search_path), goose's version table included: nothing is excluded
// unless it is listed in Excluded with the reason.
package dbsnap

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
)

// Excluded names tables that may change while the server only reads, and
// so are not compared. It is empty: nothing rightsdesk stores changes on a
// refused request. (API keys' last_used_at is touched at most once a minute
// per key; tests that use keys use each once before their first snapshot.)
var Excluded = map[string]string{}

// Table is one table's state.
type Table struct {
	Rows   int
	Digest string // SHA-256 over the sorted rows
	// rows are the rendered rows, sorted, for Diff to show what changed.
	rows []string
}

// Snapshot maps table names to their state.
type Snapshot map[string]Table

// Take records every table of the store's database.
func Take(t testing.TB, s *models.Store) Snapshot {
	t.Helper()
	db, err := s.SQL()
	if err != nil {
		t.Fatalf("dbsnap: %v", err)
	}
	tables, err := tableNames(db, s.Dialect())
	if err != nil {
		t.Fatalf("dbsnap: list tables: %v", err)
	}
	snap := Snapshot{}
	for _, name := range tables {
		if _, skip := Excluded[name]; skip {
			continue
		}
		tab, err := readTable(db, name)
		if err != nil {
			t.Fatalf("dbsnap: read %s: %v", name, err)
		}
		snap[name] = tab
	}
	return snap
}

func tableNames(db *sql.DB, dialect string) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
	if dialect == "postgres" {
		q = `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	rows, err := db.Query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no tables (is the database migrated?)")
	}
	return out, nil
}

// readTable renders each row as "column=value" pairs and sorts the rows,
// so that the digest depends on the table's content only, not on the order
// the engine returns rows in, nor on whether the table has a primary key.
func readTable(db *sql.DB, name string) (Table, error) {
	rows, err := db.Query(`SELECT * FROM "` + strings.ReplaceAll(name, `"`, `""`) + `"`)
	if err != nil {
		return Table{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return Table{}, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var rendered []string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return Table{}, err
		}
		var b strings.Builder
		for i, v := range vals {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(cols[i])
			b.WriteByte('=')
			b.WriteString(render(v))
		}
		rendered = append(rendered, b.String())
	}
	if err := rows.Err(); err != nil {
		return Table{}, err
	}
	slices.Sort(rendered)
	h := sha256.New()
	for _, r := range rendered {
		// Length-prefixed, so that no two different row sets hash alike by
		// where the row boundaries fall.
		fmt.Fprintf(h, "%d:%s\n", len(r), r)
	}
	return Table{Rows: len(rendered), Digest: hex.EncodeToString(h.Sum(nil)), rows: rendered}, nil
}

// render writes a value with its Go type, so that 1 and "1" differ; times
// are in UTC, so that the session's time zone cannot make a difference.
func render(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return "bytes:" + strconv.Quote(string(v))
	case string:
		return strconv.Quote(v)
	case time.Time:
		return "time:" + v.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%T:%v", v, v)
}

// Diff lists the tables that differ between a and b (appeared, disappeared,
// or with other rows), each with what changed: the row counts and up to
// three rows only in a (-) and only in b (+). Empty means no change.
func Diff(a, b Snapshot) []string {
	var names []string
	for n := range a {
		names = append(names, n)
	}
	for n := range b {
		if _, ok := a[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var out []string
	for _, n := range names {
		ta, inA := a[n]
		tb, inB := b[n]
		switch {
		case !inA:
			out = append(out, fmt.Sprintf("%s: new table (%d rows)", n, tb.Rows))
		case !inB:
			out = append(out, fmt.Sprintf("%s: table gone (had %d rows)", n, ta.Rows))
		case ta.Digest != tb.Digest:
			out = append(out, fmt.Sprintf("%s: %d rows, now %d%s", n, ta.Rows, tb.Rows, rowChanges(ta.rows, tb.rows)))
		}
	}
	return out
}

// rowChanges shows a few rows that are only in before (-) or only in after
// (+), so that a failure says what was written.
func rowChanges(before, after []string) string {
	const show = 3
	var b strings.Builder
	only := func(sign string, xs, ys []string) {
		n := 0
		for _, x := range xs {
			if _, found := slices.BinarySearch(ys, x); found {
				continue
			}
			if n++; n > show {
				b.WriteString("\n    " + sign + " …")
				return
			}
			if len(x) > 300 {
				x = x[:300] + "…"
			}
			b.WriteString("\n    " + sign + " " + x)
		}
	}
	only("-", before, after)
	only("+", after, before)
	return b.String()
}
