package consents_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/consents"
)

// Many callers at once (their writes are committed in groups): every
// answered write is stored, each caller's writes keep their order (the
// clock stands still, so only the order decides the state), a write whose
// identity names two subjects is refused alone, and the checks (on every
// instance) answer the last write of each caller.
func TestConcurrentWritesAreAllStoredInOrder(t *testing.T) {
	f := newFixture(t)
	var other *fixture
	if f.store.Dialect() == "postgres" {
		other = newInstance(t, f.store)
	}
	f.record(t, "a@example.com", "sub-a", "marketing", "grant")
	f.record(t, "b@example.com", "sub-b", "marketing", "grant")
	purposes := []string{"marketing", "profiling", "sale_sharing", "model_training"}
	const callers, writes = 48, 12
	// Warm the caches, so that a missed invalidation would show.
	for g := range callers {
		email := fmt.Sprintf("w%d@example.com", g%12)
		f.check(t, email, "", purposes[g/12])
		if other != nil {
			other.check(t, email, "", purposes[g/12])
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, callers*writes)
	for g := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Twelve subjects, four purposes: each (subject, purpose) is
			// one caller's, and each subject is shared by four callers.
			email, purpose := fmt.Sprintf("w%d@example.com", g%12), purposes[g/12]
			for i := range writes {
				action := "grant"
				if i%2 == 1 {
					action = "withdraw"
				}
				if _, err := f.svc.Record(ctx, "api_key:test", consents.RecordInput{Identity: consents.Identity{Email: email},
					Purpose: purpose, Action: action, Source: models.SourceAPI}); err != nil {
					errs <- err
				}
				if g%8 == 0 {
					_, err := f.svc.Record(ctx, "api_key:test", consents.RecordInput{Identity: consents.Identity{Email: "a@example.com", SubjectID: "sub-b"},
						Purpose: purpose, Action: action, Source: models.SourceAPI})
					if !errors.Is(err, consents.ErrSubjectConflict) {
						errs <- fmt.Errorf("two subjects named at once: %v", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	db, _ := f.store.SQL()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM consent_events WHERE subject IN (SELECT id FROM consent_subjects WHERE email_norm LIKE 'w%')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != callers*writes {
		t.Fatalf("%d events stored, want %d", n, callers*writes)
	}
	if err := db.QueryRow(`SELECT count(*) FROM consent_events`).Scan(&n); err != nil || n != callers*writes+2 {
		t.Fatalf("%d events in all (%v): a refused write wrote something", n, err)
	}
	// The last write of each caller is a withdrawal.
	for g := range callers {
		email, purpose := fmt.Sprintf("w%d@example.com", g%12), purposes[g/12]
		if st := f.check(t, email, "", purpose); st.Granted || st.Source != models.SourceAPI {
			t.Errorf("%s %s: %+v, want the last write (withdraw)", email, purpose, st)
		}
		if other != nil {
			if st := other.check(t, email, "", purpose); st.Granted || st.Source != models.SourceAPI {
				t.Errorf("other instance, %s %s: %+v, want the last write (withdraw)", email, purpose, st)
			}
		}
	}
}

// One file names the same record twice, a subject by two names that are
// two subjects, a new subject and a link: the first copy is recorded and
// the second counted a duplicate, the conflicting line is reported alone.
func TestImportChunkDuplicatesConflictsAndLinks(t *testing.T) {
	f := newFixture(t)
	f.record(t, "a@example.com", "", "marketing", "grant")
	f.record(t, "", "sub-b", "marketing", "grant")
	file := strings.Join([]string{
		`{"external_id":"x-1","email":"new@example.com","purpose":"marketing","action":"withdraw","at":"2025-01-01T00:00:00Z"}`,
		`{"external_id":"x-1","email":"new@example.com","purpose":"marketing","action":"grant","at":"2025-02-01T00:00:00Z"}`,
		`{"external_id":"x-2","email":"a@example.com","subject_id":"sub-b","purpose":"profiling","action":"grant","at":"2025-01-01T00:00:00Z"}`,
		`{"external_id":"x-3","email":"new@example.com","subject_id":"sub-new","purpose":"profiling","action":"grant","at":"2025-01-02T00:00:00Z"}`,
		`{"external_id":"x-4","subject_id":"sub-new","purpose":"profiling","action":"withdraw","at":"2025-01-03T00:00:00Z"}`,
	}, "\n")
	rep, err := f.svc.Import(ctx, "api_key:migration", consents.FormatJSONLines, strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Lines != 5 || rep.Imported != 3 || rep.Duplicates != 1 || rep.Failed != 1 ||
		len(rep.Errors) != 1 || rep.Errors[0].Line != 3 || rep.Errors[0].Field != "subject_id" {
		t.Fatalf("report: %+v", rep)
	}
	if st := f.check(t, "new@example.com", "", "marketing"); st.Granted || st.Source != models.SourceImport {
		t.Fatalf("the first copy of x-1 (withdraw) is not the state: %+v", st)
	}
	if st := f.check(t, "", "sub-new", "profiling"); st.Granted {
		t.Fatalf("sub-new (linked in the file) profiling: %+v", st)
	}
	if st := f.check(t, "new@example.com", "", "profiling"); st.Granted {
		t.Fatalf("new@example.com and sub-new are not one subject: %+v", st)
	}
	if st := f.check(t, "a@example.com", "", "profiling"); st.Source != consents.SourceDefault {
		t.Fatalf("the conflicting line wrote: %+v", st)
	}
}

// An import through one instance empties the other's cache of every
// subject it changed (their keys travel packed, many per notification),
// before the import is answered.
func TestAnImportReachesEveryInstance(t *testing.T) {
	a := newFixture(t)
	if a.store.Dialect() != "postgres" {
		t.Skip("one process owns a SQLite database")
	}
	b := newInstance(t, a.store)
	for deadline := time.Now().Add(10 * time.Second); a.bus.Peers() < 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("instance a never heard instance b's hello")
		}
	}
	const subjects = 700
	var lines []string
	for i := range subjects {
		email := fmt.Sprintf("someone.with.a.long.address.%d@imports.example.com", i)
		a.record(t, email, fmt.Sprintf("sub-%d", i), "marketing", "grant")
		if st := b.check(t, email, "", "marketing"); !st.Granted {
			t.Fatalf("subject %d: %+v", i, st)
		}
		if st := b.check(t, "", fmt.Sprintf("sub-%d", i), "marketing"); !st.Granted {
			t.Fatalf("subject %d: %+v", i, st)
		}
		lines = append(lines, fmt.Sprintf(`{"external_id":"w-%d","email":%q,"purpose":"marketing","action":"withdraw","at":"2026-06-01T12:00:00Z"}`, i, email))
	}
	rep, err := a.svc.Import(ctx, "api_key:migration", consents.FormatJSONLines, strings.NewReader(strings.Join(lines, "\n")))
	if err != nil || rep.Imported != subjects {
		t.Fatalf("import: %+v %v", rep, err)
	}
	for i := range subjects {
		if st := b.check(t, fmt.Sprintf("someone.with.a.long.address.%d@imports.example.com", i), "", "marketing"); st.Granted {
			t.Fatalf("subject %d by email: instance b still answers granted after the import", i)
		}
		if st := b.check(t, "", fmt.Sprintf("sub-%d", i), "marketing"); st.Granted {
			t.Fatalf("subject %d by subject_id: instance b still answers granted after the import", i)
		}
	}
}
