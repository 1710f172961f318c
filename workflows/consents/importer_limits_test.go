package consents_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/workflows/consents"
)

// A JSON line longer than the limit is one bad line: the lines around it
// are recorded, and the report says which line it was.
func TestImportTooLongLineIsOneBadLine(t *testing.T) {
	svc := newFixture(t).svc
	line := func(id string) string {
		return `{"external_id":"` + id + `","email":"a@example.com","purpose":"marketing","action":"grant","at":"2026-01-02T03:04:05Z"}` + "\n"
	}
	long := `{"external_id":"x","evidence":"` + strings.Repeat("x", 70<<10) + `"}` + "\n"
	rep, err := svc.Import(context.Background(), "test", consents.FormatJSONLines, strings.NewReader(line("1")+long+line("2")))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Lines != 3 || rep.Imported != 2 || rep.Failed != 1 || len(rep.Errors) != 1 || rep.Errors[0].Line != 2 || !strings.Contains(rep.Errors[0].Message, "longer than 64 KiB") {
		t.Fatalf("report %+v", rep)
	}
}

// failingReader is a body cut off by the server's size limit: every read
// after the first fails.
type failingReader struct {
	data string
	done bool
}

var errCut = errors.New("http: request body too large")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.done {
		return 0, errCut
	}
	f.done = true
	return copy(p, f.data), nil
}

// A body that cannot be read to its end fails the import with the read's
// error, in either format, instead of looping on it.
func TestImportStopsOnAReadError(t *testing.T) {
	svc := newFixture(t).svc
	for format, head := range map[string]string{
		consents.FormatCSV:       "external_id,email,purpose,action,at\nc1,a@example.com,marketing,grant,2026-01-02T03:04:05Z\n",
		consents.FormatJSONLines: `{"external_id":"j1","email":"a@example.com","purpose":"marketing","action":"grant","at":"2026-01-02T03:04:05Z"}` + "\n",
	} {
		done := make(chan error, 1)
		go func() {
			_, err := svc.Import(context.Background(), "test", format, &failingReader{data: head})
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, errCut) {
				t.Fatalf("%s: err %v, want the read error", format, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the import did not stop on a read error", format)
		}
	}
}
