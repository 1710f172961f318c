package consents_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/cachebus"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/consents"
)

var importFields = []string{"", "external_id", "email", "subject_id", "purpose", "action", "at", "policy_version", "evidence"}

// FuzzImport feeds the consent import any file, as CSV or JSON lines, on
// one database for the whole run (the lines of earlier inputs are there,
// as in a real migration run twice). The import never panics and fails as
// a whole only with ErrImportFormat; its report adds up (lines = imported
// + duplicates + failed, one error per failed line); exactly the imported
// lines are written, so a refused line changes nothing; and the same file
// imported again writes nothing.
func FuzzImport(f *testing.F) {
	for _, s := range []string{
		`{"external_id":"j-1","email":"ana@example.com","purpose":"marketing","action":"grant","at":"2024-05-01T09:00:00Z","policy_version":"v1","evidence":"form"}`,
		`{"external_id":"j-2","subject_id":"u-2","purpose":"profiling","action":"withdraw","at":"2025-03-01T00:00:00+05:30"}` + "\n\n" + `not json` + "\n" +
			`{"external_id":"j-2","subject_id":"u-2","purpose":"profiling","action":"withdraw","at":"2025-03-01T00:00:00+05:30"}`,
		`{"external_id":"j-3","email":"ana@example.com","purpose":"marketing","action":"grant","at":"2024-05-01T09:00:00Z","colour":"red"}`,
		`{"external_id":1,"email":["x"]}` + "\n" + `[]` + "\n" + `null` + "\n" + `{}{}`,
		`{"external_id":"j-4","email":"a@example.com\r\nBcc: x@evil.example","purpose":"marketing","action":"grant","at":"2024-05-01T09:00:00Z"}`,
		`{"external_id":"j-5","email":"bo@example.com","purpose":"marketing","action":"grant","at":"2999-01-01T00:00:00Z"}`,
	} {
		f.Add(false, []byte(s))
	}
	for _, s := range []string{
		"external_id,email,purpose,action,at\nc-1,ana@example.com,marketing,grant,2023-01-01T00:00:00Z\n",
		"\ufeffexternal_id,email,subject_id,purpose,action,at,policy_version,evidence\r\n" +
			"c-2,,u-9,marketing,withdraw,2025-02-01T09:00:00Z,v3,\"unsubscribe link, footer\"\r\nc-3,only-two-fields\r\n",
		"external_id,email,purpose,action,at\nc-4,\"ana@example.com,marketing,grant,2023-01-01T00:00:00Z\n",
		"external_id,email,purpose,action,at\nc-5,'; DROP TABLE consent_events; --@example.com,marketing,grant,2023-01-01T00:00:00Z\n",
		"external_id,email,purpose,action,at,evidence\nc-6,ana@example.com,marketing,grant,2023-01-01T00:00:00Z,a\x00b\n",
		"external_id,email,purpose,action,at,evidence\nc-\xff,ana@example.com,marketing,grant,2023-01-01T00:00:00Z,\xfe\n",
		"id,email\n1,a@example.com\n",
		"",
	} {
		f.Add(true, []byte(s))
	}
	store := testdb.Open(f)
	bus := cachebus.New(store, quiet)
	runBus(f, bus)
	svc := consents.New(store, policy.Default("privacy@example.com"), consents.Config{
		BaseURL: "https://privacy.example.com", MailFrom: "privacy@example.com", Keys: secrets.Derive([]byte("k")),
	}, func() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) }, bus, nil)

	f.Fuzz(func(t *testing.T, csv bool, data []byte) {
		format := consents.FormatJSONLines
		if csv {
			format = consents.FormatCSV
		}
		before := countEvents(t, store)
		rep, err := svc.Import(context.Background(), "api_key:fuzz", format, bytes.NewReader(data))
		if err != nil && !errors.Is(err, consents.ErrImportFormat) {
			t.Fatalf("import failed as a whole: %v", err)
		}
		if added := countEvents(t, store) - before; added != rep.Imported {
			t.Fatalf("%d events written, %d reported imported: %+v", added, rep.Imported, rep)
		}
		if err != nil {
			return
		}
		checkReport(t, data, rep)

		again, err := svc.Import(context.Background(), "api_key:fuzz", format, bytes.NewReader(data))
		if err != nil || again.Imported != 0 || again.Lines != rep.Lines {
			t.Fatalf("second import of the same file: %+v %v (first %+v)", again, err, rep)
		}
	})
}

func checkReport(t *testing.T, data []byte, rep *consents.ImportReport) {
	t.Helper()
	if rep.Lines != rep.Imported+rep.Duplicates+rep.Failed || rep.Imported < 0 || rep.Duplicates < 0 {
		t.Fatalf("report does not add up: %+v", rep)
	}
	if len(rep.Errors) != rep.Failed || rep.ErrorsTruncated {
		t.Fatalf("%d errors listed for %d failed lines", len(rep.Errors), rep.Failed)
	}
	lines := bytes.Count(data, []byte("\n")) + 1
	for _, e := range rep.Errors {
		if e.Line < 1 || e.Line > lines || e.Message == "" || !slices.Contains(importFields, e.Field) {
			t.Fatalf("error %+v (the file has %d lines)", e, lines)
		}
	}
}

func countEvents(t *testing.T, store *models.Store) int {
	t.Helper()
	db, err := store.SQL()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM consent_events").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
