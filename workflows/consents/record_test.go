package consents_test

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/consents"
)

func TestStateIsTheLatestEventElseTheDefault(t *testing.T) {
	f := newFixture(t)
	st := f.check(t, "ana@example.com", "", "model_training")
	if !st.Granted || st.Source != consents.SourceDefault || st.Since != nil {
		t.Fatalf("before any event: %+v, want the default (granted, source default, no since)", st)
	}
	ev := f.record(t, " Ana@Example.COM ", "", "model_training", "withdraw")
	if ev.Email != "ana@example.com" || ev.Granted || ev.Source != "api" || ev.PolicyVersion == "" || ev.ReceiptID != ev.ID {
		t.Fatalf("event: %+v", ev)
	}
	st = f.check(t, "ANA@example.com", "", "model_training")
	if st.Granted || st.Source != "api" || st.Since == nil || !st.Since.Equal(f.clock.Now()) {
		t.Fatalf("after withdraw: %+v", st)
	}
	if other := f.check(t, "ana@example.com", "", "marketing"); !other.Granted || other.Source != consents.SourceDefault {
		t.Fatalf("another purpose changed: %+v", other)
	}
	f.clock.Add(time.Hour)
	f.record(t, "ana@example.com", "", "model_training", "grant")
	if st := f.check(t, "ana@example.com", "", "model_training"); !st.Granted || !st.Since.Equal(f.clock.Now()) {
		t.Fatalf("after re-grant: %+v", st)
	}
}

func TestBadInputIsRefusedAndWritesNothing(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		in    consents.RecordInput
		field string
	}{
		{consents.RecordInput{Purpose: "marketing", Action: "grant", Source: "api"}, "email"},
		{consents.RecordInput{Identity: consents.Identity{Email: "not an email"}, Purpose: "marketing", Action: "grant", Source: "api"}, "email"},
		{consents.RecordInput{Identity: consents.Identity{SubjectID: " padded"}, Purpose: "marketing", Action: "grant", Source: "api"}, "subject_id"},
		{consents.RecordInput{Identity: consents.Identity{Email: "a@example.com"}, Purpose: "astrology", Action: "grant", Source: "api"}, "purpose"},
		{consents.RecordInput{Identity: consents.Identity{Email: "a@example.com"}, Purpose: "marketing", Action: "maybe", Source: "api"}, "action"},
		{consents.RecordInput{Identity: consents.Identity{Email: "a@example.com"}, Purpose: "marketing", Action: "grant", Source: "fax"}, "source"},
		{consents.RecordInput{Identity: consents.Identity{Email: "a@example.com"}, Purpose: "marketing", Action: "grant", Source: "api", Evidence: "bell\a"}, "evidence"},
	}
	for _, c := range cases {
		_, err := f.svc.Record(ctx, "t", c.in)
		var fe *consents.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%+v: err %v, want a field error on %s", c.in, err, c.field)
		}
	}
	v, err := f.svc.Subject(ctx, consents.Identity{Email: "a@example.com"})
	if err != nil || v.Known || len(v.History) != 0 {
		t.Fatalf("refused input left a subject: %+v %v", v, err)
	}
}

// An event naming both an email and a subject_id links them; a later event
// that names either finds the same subject, and one that would join two
// subjects is refused.
func TestEmailAndSubjectIDAreLinked(t *testing.T) {
	f := newFixture(t)
	f.record(t, "lee@example.com", "", "marketing", "withdraw")
	if st := f.check(t, "", "user-7", "marketing"); !st.Granted {
		t.Fatalf("an unlinked subject_id already sees the email's state: %+v", st) // also caches the default
	}
	f.record(t, "lee@example.com", "user-7", "profiling", "withdraw")
	if st := f.check(t, "", "user-7", "marketing"); st.Granted {
		t.Fatalf("after linking, the subject_id does not see the email's withdrawal: %+v", st)
	}
	f.record(t, "", "user-8", "marketing", "grant")
	_, err := f.svc.Record(ctx, "t", consents.RecordInput{Identity: consents.Identity{Email: "lee@example.com", SubjectID: "user-8"},
		Purpose: "marketing", Action: "grant", Source: "api"})
	if !errors.Is(err, consents.ErrSubjectConflict) {
		t.Fatalf("joining two subjects: err %v, want ErrSubjectConflict", err)
	}
	v, err := f.svc.Subject(ctx, consents.Identity{SubjectID: "user-7"})
	if err != nil || v.Email != "lee@example.com" || len(v.History) != 2 {
		t.Fatalf("subject view: %+v %v", v, err)
	}
	if v.History[0].Purpose != "marketing" || v.History[1].Purpose != "profiling" {
		t.Fatalf("history not oldest first: %+v", v.History)
	}
}

// Consent events are append-only, enforced by the database itself.
func TestConsentEventsCannotBeChangedOrDeleted(t *testing.T) {
	f := newFixture(t)
	ev := f.record(t, "ana@example.com", "", "marketing", "withdraw")
	db, err := f.store.SQL()
	if err != nil {
		t.Fatal(err)
	}
	q := func(sql string) string {
		if f.store.Dialect() == "postgres" {
			return strings.ReplaceAll(sql, "?", "$1")
		}
		return sql
	}
	if _, err := db.Exec(q("UPDATE consent_events SET action = 'grant' WHERE id = ?"), ev.ID); err == nil {
		t.Error("UPDATE of a consent event succeeded")
	}
	if _, err := db.Exec(q("DELETE FROM consent_events WHERE id = ?"), ev.ID); err == nil {
		t.Error("DELETE of a consent event succeeded")
	}
	if f.store.Dialect() == "postgres" {
		if _, err := db.Exec("TRUNCATE consent_events CASCADE"); err == nil {
			t.Error("TRUNCATE of consent events succeeded")
		}
	}
	got, err := f.store.ConsentEventByID(ctx, ev.ID)
	if err != nil || got.Action != "withdraw" {
		t.Fatalf("the event changed: %+v %v", got, err)
	}
}

// The check is answered from memory, and a write empties the entry: a
// state changed behind the service's back stays cached until a write.
func TestChecksAreCachedAndWritesInvalidate(t *testing.T) {
	f := newFixture(t)
	f.record(t, "ana@example.com", "", "marketing", "withdraw")
	if st := f.check(t, "ana@example.com", "", "marketing"); st.Granted {
		t.Fatal("withdrawn consent answered granted")
	}
	// Change the derived state directly: the cached answer stays.
	db, _ := f.store.SQL()
	if _, err := db.Exec("UPDATE consent_states SET granted = TRUE"); err != nil {
		t.Fatal(err)
	}
	if st := f.check(t, "ana@example.com", "", "marketing"); st.Granted {
		t.Fatal("the check read the database: nothing is cached")
	}
	f.record(t, "ana@example.com", "", "profiling", "grant")
	if st := f.check(t, "ana@example.com", "", "marketing"); !st.Granted {
		t.Fatal("a write did not invalidate the cached subject")
	}
}

// Readers hammer the check while a writer flips consent: every flip is seen
// by the very next check, never an older state.
func TestAWithdrawalIsSeenByTheVeryNextCheck(t *testing.T) {
	f := newFixture(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					if _, err := f.svc.Check(ctx, consents.Identity{Email: "race@example.com"}, "model_training"); err != nil {
						t.Error(err)
						return
					}
					// A cached check never blocks: readers that never
					// pause would starve the writer on a two-core machine
					// (a server's readers wait on the network between checks).
					time.Sleep(20 * time.Microsecond)
				}
			}
		}()
	}
	for i := range 60 {
		action, want := "withdraw", false
		if i%2 == 1 {
			action, want = "grant", true
		}
		f.clock.Add(time.Second)
		f.record(t, "race@example.com", "", "model_training", action)
		if st := f.check(t, "race@example.com", "", "model_training"); st.Granted != want {
			close(stop)
			wg.Wait()
			t.Fatalf("flip %d (%s): the next check answered granted=%v", i, action, st.Granted)
		}
	}
	close(stop)
	wg.Wait()
}

// Several instances share one PostgreSQL database: a withdrawal through one
// is answered by the very next check on another that had the subject cached.
func TestAWithdrawalReachesEveryInstance(t *testing.T) {
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
	for i := range 20 {
		action, want := "withdraw", false
		if i%2 == 1 {
			action, want = "grant", true
		}
		if st := b.check(t, "multi@example.com", "", "sale_sharing"); st.Granted == want && i > 0 {
			t.Fatalf("round %d: b already had the new state before the write", i)
		}
		a.clock.Add(time.Second)
		a.record(t, "multi@example.com", "", "sale_sharing", action)
		if st := b.check(t, "multi@example.com", "", "sale_sharing"); st.Granted != want {
			t.Fatalf("round %d: instance b answered granted=%v after instance a recorded %s", i, st.Granted, action)
		}
	}
}

// A change is announced to webhook endpoints in its own transaction.
func TestEachChangeQueuesAWebhookDelivery(t *testing.T) {
	f := newFixture(t)
	if err := f.store.CreateWebhookEndpoint(ctx, &models.WebhookEndpoint{ID: "ep-1", URL: "http://127.0.0.1:9/hook", CreatedAt: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	ev := f.record(t, "ana@example.com", "", "model_training", "withdraw")
	select {
	case <-f.queue.Woken():
	default:
		t.Error("the dispatcher was not woken after the commit")
	}
	var ds []models.WebhookDelivery
	db, _ := f.store.SQL()
	rows, err := db.Query("SELECT id, endpoint_id, event_type, body FROM webhook_deliveries")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var d models.WebhookDelivery
		if err := rows.Scan(&d.ID, &d.EndpointID, &d.EventType, &d.Body); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	rows.Close()
	if len(ds) != 1 || ds[0].EndpointID != "ep-1" || ds[0].EventType != "consent.changed" {
		t.Fatalf("deliveries: %+v", ds)
	}
	for _, want := range []string{`"id":"` + ev.ID + `"`, `"purpose":"model_training"`, `"action":"withdraw"`, `"granted":false`, `"email":"ana@example.com"`} {
		if !strings.Contains(ds[0].Body, want) {
			t.Errorf("delivery body lacks %s: %s", want, ds[0].Body)
		}
	}
}

// The check's hand-written JSON is what encoding/json would write.
func TestStateJSONMatchesEncodingJSON(t *testing.T) {
	since := time.Date(2026, 6, 1, 12, 0, 0, 123456000, time.FixedZone("IST", 19800))
	for _, st := range []consents.State{
		{Purpose: "model_training", Granted: true, Source: consents.SourceDefault},
		{Purpose: "sale_sharing", Granted: false, Since: &since, Source: "gpc"},
	} {
		want, _ := json.Marshal(struct {
			Purpose string     `json:"purpose"`
			Granted bool       `json:"granted"`
			Since   *time.Time `json:"since"`
			Source  string     `json:"source"`
		}{st.Purpose, st.Granted, utcPtr(st.Since), st.Source})
		if got := string(st.AppendJSON(nil)); got != string(want) {
			t.Errorf("AppendJSON = %s, want %s", got, want)
		}
	}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
