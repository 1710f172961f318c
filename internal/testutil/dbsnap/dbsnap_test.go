package dbsnap_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/dbsnap"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
)

// A snapshot check that cannot fail proves nothing: Diff must see a new row,
// a changed value with the row count unchanged, and a deleted row, and must
// see nothing when nothing was written.
func TestDiffSeesEveryKindOfChange(t *testing.T) {
	ctx := context.Background()
	store := testdb.Open(t)
	staff.BcryptCost = 4
	now := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	svc := staff.New(store, func() time.Time { return now })
	db, err := store.SQL()
	if err != nil {
		t.Fatal(err)
	}

	empty := dbsnap.Take(t, store)
	if _, ok := empty["goose_db_version"]; !ok {
		t.Errorf("goose's version table is not recorded; tables: %v", keys(empty))
	}
	if d := dbsnap.Diff(empty, dbsnap.Take(t, store)); len(d) != 0 {
		t.Fatalf("no write, yet a diff: %v", d)
	}

	u, err := svc.CreateUser(ctx, "ana@example.com", models.RoleAgent, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	added := dbsnap.Take(t, store)
	wantOnly(t, "insert", dbsnap.Diff(empty, added), "staff_users: 0 rows, now 1")

	if _, err := svc.SetDisabled(ctx, "another admin", u.ID, true); err != nil {
		t.Fatal(err)
	}
	changed := dbsnap.Take(t, store)
	d := dbsnap.Diff(added, changed)
	wantOnly(t, "update", d, "staff_users: 1 rows, now 1")
	if !strings.Contains(d[0], "\n    - ") || !strings.Contains(d[0], "\n    + ") {
		t.Errorf("update: the diff does not show the row before and after: %s", d[0])
	}

	// One byte of one column, in a table the application never writes to.
	if _, err := db.Exec(`UPDATE goose_db_version SET version_id = version_id + 1000 WHERE version_id = (SELECT MAX(version_id) FROM goose_db_version)`); err != nil {
		t.Fatal(err)
	}
	wantOnly(t, "goose table", dbsnap.Diff(changed, dbsnap.Take(t, store)), "goose_db_version: ")

	if _, err := db.Exec(`DELETE FROM staff_users`); err != nil {
		t.Fatal(err)
	}
	after := dbsnap.Take(t, store)
	if d := dbsnap.Diff(changed, after); len(d) != 2 {
		t.Errorf("delete and goose change: want 2 tables, got %v", d)
	}
}

func wantOnly(t *testing.T, what string, diff []string, prefix string) {
	t.Helper()
	if len(diff) != 1 || !strings.HasPrefix(diff[0], prefix) {
		t.Fatalf("%s: want one change starting %q, got %q", what, prefix, diff)
	}
}

func keys(s dbsnap.Snapshot) []string {
	var out []string
	for k := range s {
		out = append(out, k)
	}
	return out
}
