package fulfilment

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadResult feeds ReadResult any answer body, as a data system may
// send. It must never panic, and must refuse a bad body with a
// *ResultError naming a top-level key (never a read failure). An answer it
// accepts keeps to its rules, and builds into a package whose data.json
// holds exactly the tables and row counts ReadResult reported: the
// package's streaming reader agrees with the validator.
func FuzzReadResult(f *testing.F) {
	for _, s := range []string{
		crmAnswer,
		`{"status":"done"}`,
		`{"status":"failed","reason":"no such customer"}`,
		`{"status":"done","data":{"t":[{"a":1,"a":2}]},"changed":[{"field":"name","from":"A","to":"B"}]}`,
		`{"status":"done","data":{"t":[{"\u0000":"\u2028","k\"ey":[{"x]}":"{["}]}]}}`,
		`{"status":"done","data":{"t":[{}],"u":[]},"kept":null,"note":null}`,
		`{"status":"done","data":{"t":[{"a":1}]}} x`,
		`{"status":"done","reason":"a` + "\r\n" + `X-Injected: 1"}`,
		`{"status":"done","data":{"../etc":[{"a":1}]}}`,
		`{"status":"done","data":{"t":[{"n":1e999999}]}}`,
		`{"status":"done","data":{"t":[{"a":"'; DROP TABLE tasks; --"}]}}`,
		"\xef\xbb\xbf{\"status\":\"done\"}",
		"{\"status\":\"done\",\"note\":\"\xff\xfe\"}",
	} {
		f.Add([]byte(s))
	}
	path := filepath.Join(f.TempDir(), "answer.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		if err := os.WriteFile(path, body, 0o600); err != nil {
			t.Fatal(err)
		}
		res, err := ReadResult(path)
		if err != nil {
			var re *ResultError
			if !errors.As(err, &re) || re.Message == "" {
				t.Fatalf("not a *ResultError: %v", err)
			}
			return
		}
		checkAccepted(t, body, res)
		checkPackage(t, path, res)
	})
}

func checkAccepted(t *testing.T, body []byte, res *Result) {
	t.Helper()
	if !json.Valid(body) {
		t.Fatalf("accepted a body that is not JSON: %q", body)
	}
	switch {
	case res.Status != resultDone && res.Status != resultFailed:
		t.Fatalf("status %q", res.Status)
	case res.Status == resultFailed && strings.TrimSpace(res.Reason+res.Note) == "":
		t.Fatal("failed without a reason")
	case res.Status == resultFailed && len(res.Tables) > 0:
		t.Fatal("failed with data")
	}
	texts := []string{res.Reason, res.Note}
	for _, k := range res.Kept {
		texts = append(texts, k.Data, k.Reason)
	}
	for _, c := range res.Changed {
		texts = append(texts, c.Field, c.From, c.To)
	}
	for _, s := range texts {
		if err := checkText("x", "x", s); err != nil {
			t.Fatalf("accepted text %q: %v", s, err)
		}
	}
	seen := map[string]bool{}
	for _, tb := range res.Tables {
		if err := checkTableName(tb.Name); err != nil || seen[tb.Name] {
			t.Fatalf("accepted table %q (twice: %v): %v", tb.Name, seen[tb.Name], err)
		}
		seen[tb.Name] = true
	}
}

// checkPackage writes the package's data.json and CSV files of an accepted
// answer, as writePackageTo does but with no compression (deflate would be
// most of the time spent), and compares data.json with the summary.
func checkPackage(t *testing.T, path string, res *Result) {
	t.Helper()
	systems, err := packageSystems([]PackagePart{{System: "S", ResultPath: path}})
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	if err := writeDataJSON(&raw, systems); err != nil {
		t.Fatalf("an accepted answer gives no data.json: %v", err)
	}
	zw := zip.NewWriter(io.Discard)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return nopCloser{w}, nil })
	if err := (&packageWriter{zip: zw}).writeTables(systems[0]); err != nil {
		t.Fatalf("an accepted answer gives no CSV files: %v", err)
	}
	var data map[string]map[string][]json.RawMessage
	if err := json.Unmarshal(raw.Bytes(), &data); err != nil {
		t.Fatalf("data.json is not JSON: %v\n%s", err, raw.Bytes())
	}
	got := data["S"]
	if len(got) != len(res.Tables) {
		t.Fatalf("data.json has %d tables, ReadResult %d", len(got), len(res.Tables))
	}
	for _, tb := range res.Tables {
		if rows, ok := got[tb.Name]; !ok || len(rows) != tb.Rows {
			t.Fatalf("table %q: %d rows in data.json (present %v), %d in the summary", tb.Name, len(rows), ok, tb.Rows)
		}
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
