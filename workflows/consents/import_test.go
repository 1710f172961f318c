package consents_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/workflows/consents"
)

func TestImportJSONLinesIsIdempotentAndReportsBadLines(t *testing.T) {
	f := newFixture(t)
	file := strings.Join([]string{
		`{"external_id":"old-1","email":"ana@example.com","purpose":"marketing","action":"grant","at":"2024-05-01T09:00:00Z","policy_version":"v1","evidence":"signup form"}`,
		`{"external_id":"old-2","email":"ana@example.com","purpose":"marketing","action":"withdraw","at":"2025-01-01T09:00:00Z"}`,
		``,
		`{"external_id":"old-3","email":"ana@example.com","purpose":"astrology","action":"grant","at":"2024-05-01T09:00:00Z"}`,
		`{"external_id":"old-4","email":"ana@example.com","purpose":"marketing","action":"grant"}`,
		`not json`,
		`{"external_id":"old-5","subject_id":"u-5","purpose":"profiling","action":"withdraw","at":"2025-03-01T00:00:00+05:30","colour":"red"}`,
		`{"email":"bo@example.com","purpose":"profiling","action":"withdraw","at":"2025-03-01T00:00:00Z"}`,
	}, "\n")
	rep, err := f.svc.Import(ctx, "api_key:migration", consents.FormatJSONLines, strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Lines != 7 || rep.Imported != 2 || rep.Duplicates != 0 || rep.Failed != 5 {
		t.Fatalf("report: %+v", rep)
	}
	wantErr := map[int]string{4: "purpose", 5: "at", 6: "", 7: "", 8: "external_id"}
	for _, e := range rep.Errors {
		field, ok := wantErr[e.Line]
		if !ok || field != e.Field || e.Message == "" {
			t.Errorf("unexpected error %+v", e)
		}
		delete(wantErr, e.Line)
	}
	if len(wantErr) != 0 {
		t.Errorf("lines not reported: %v", wantErr)
	}
	st := f.check(t, "ana@example.com", "", "marketing")
	if st.Granted || st.Source != "import" || st.Since.Format("2006-01-02") != "2025-01-01" {
		t.Fatalf("state after import: %+v", st)
	}
	// Run again: nothing new, every good line a duplicate.
	again, err := f.svc.Import(ctx, "api_key:migration", consents.FormatJSONLines, strings.NewReader(file))
	if err != nil || again.Imported != 0 || again.Duplicates != 2 {
		t.Fatalf("second run: %+v %v", again, err)
	}
	v, _ := f.svc.Subject(ctx, consents.Identity{Email: "ana@example.com"})
	if len(v.History) != 2 {
		t.Fatalf("history after two runs: %d events", len(v.History))
	}
}

// An imported record older than the current state is history, not state.
func TestImportedOldRecordsDoNotOverrideNewerConsent(t *testing.T) {
	f := newFixture(t)
	f.record(t, "ana@example.com", "", "model_training", "withdraw") // 2026-06-01
	csv := "external_id,email,purpose,action,at\nx-1,ana@example.com,model_training,grant,2023-01-01T00:00:00Z\n"
	rep, err := f.svc.Import(ctx, "t", consents.FormatCSV, strings.NewReader(csv))
	if err != nil || rep.Imported != 1 {
		t.Fatalf("import: %+v %v", rep, err)
	}
	if st := f.check(t, "ana@example.com", "", "model_training"); st.Granted {
		t.Fatal("an old imported grant overrode a newer withdrawal")
	}
}

func TestImportCSV(t *testing.T) {
	f := newFixture(t)
	csv := "\ufeffexternal_id,email,subject_id,purpose,action,at,policy_version,evidence\n" +
		"c-1,,u-9,marketing,withdraw,2025-02-01T09:00:00Z,v3,\"unsubscribe link, footer\"\n" +
		"c-2,lee@example.com,u-9,profiling,withdraw,2025-02-02T09:00:00Z,,\n" +
		"c-3,only-two-fields\n"
	rep, err := f.svc.Import(ctx, "t", consents.FormatCSV, strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Imported != 2 || rep.Failed != 1 || rep.Errors[0].Line != 4 {
		t.Fatalf("report: %+v", rep)
	}
	v, _ := f.svc.Subject(ctx, consents.Identity{Email: "lee@example.com"})
	if v.SubjectID != "u-9" || len(v.History) != 2 || v.History[0].Evidence != "unsubscribe link, footer" {
		t.Fatalf("linked subject: %+v", v)
	}
	for _, bad := range []string{"", "id,email\n1,a@example.com\n"} {
		_, err := f.svc.Import(ctx, "t", consents.FormatCSV, strings.NewReader(bad))
		if !errors.Is(err, consents.ErrImportFormat) {
			t.Errorf("%q: err %v, want ErrImportFormat", bad, err)
		}
	}
}
