package fulfilment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeAnswer stores body in a file, as the result handler spools it.
func writeAnswer(t testing.TB, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "answer.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadResultRejects(t *testing.T) {
	long := strings.Repeat("é", maxResultText+1)
	cases := []struct {
		name, body, field string
	}{
		{"empty body", ``, ""},
		{"array", `[]`, ""},
		{"string", `"done"`, ""},
		{"malformed", `{"status":"done",}`, ""},
		{"truncated", `{"status":"done"`, ""},
		{"truncated inside data", `{"status":"done","data":{"t":[{"a":1}`, ""},
		{"malformed row", `{"status":"done","data":{"t":[{"a":}]}}`, ""},
		{"trailing object", `{"status":"done"} {}`, ""},
		{"trailing garbage", `{"status":"done"}x`, ""},
		{"trailing brace", `{"status":"done"}}`, ""},
		{"trailing bracket", "{\"status\":\"done\"}\n]", ""},
		{"unknown key", `{"status":"done","colour":"red"}`, "colour"},
		{"key in other case", `{"Status":"done"}`, "Status"},
		{"key twice", `{"status":"done","status":"failed","reason":"x"}`, "status"},
		{"status missing", `{"reason":"x"}`, "status"},
		{"status null", `{"status":null}`, "status"},
		{"status other", `{"status":"ok"}`, "status"},
		{"status not a string", `{"status":1}`, "status"},
		{"failed without reason", `{"status":"failed"}`, "reason"},
		{"failed with blank reason", `{"status":"failed","reason":"  ","note":"\n"}`, "reason"},
		{"reason not a string", `{"status":"done","reason":["x"]}`, "reason"},
		{"reason too long", `{"status":"done","reason":"` + long + `"}`, "reason"},
		{"note with control character", `{"status":"done","note":"a\u001bb"}`, "note"},
		{"note with carriage return", `{"status":"done","note":"a\rb"}`, "note"},
		{"data when failed", `{"status":"failed","reason":"x","data":{}}`, "data"},
		{"data not an object", `{"status":"done","data":[]}`, "data"},
		{"table not an array", `{"status":"done","data":{"t":{}}}`, "data"},
		{"row not an object", `{"status":"done","data":{"t":[{"a":1},[1]]}}`, "data"},
		{"row null", `{"status":"done","data":{"t":[null]}}`, "data"},
		{"table name empty", `{"status":"done","data":{"":[]}}`, "data"},
		{"table name too long", `{"status":"done","data":{"` + strings.Repeat("t", maxTableName+1) + `":[]}}`, "data"},
		{"table name with slash", `{"status":"done","data":{"a/b":[]}}`, "data"},
		{"table name with backslash", `{"status":"done","data":{"a\\b":[]}}`, "data"},
		{"table name with NUL", `{"status":"done","data":{"a\u0000b":[]}}`, "data"},
		{"table name with newline", `{"status":"done","data":{"a\nb":[]}}`, "data"},
		{"table twice", `{"status":"done","data":{"t":[],"t":[]}}`, "data"},
		{"too many tables", manyTableBody(maxResultTables + 1), "data"},
		{"kept not an array", `{"status":"done","kept":{"data":"x","reason":"y"}}`, "kept"},
		{"kept entry not an object", `{"status":"done","kept":["x"]}`, "kept"},
		{"kept entry null", `{"status":"done","kept":[null]}`, "kept"},
		{"kept without reason", `{"status":"done","kept":[{"data":"x"}]}`, "kept"},
		{"kept with empty data", `{"status":"done","kept":[{"data":"","reason":"y"}]}`, "kept"},
		{"kept with number", `{"status":"done","kept":[{"data":1,"reason":"y"}]}`, "kept"},
		{"kept with unknown key", `{"status":"done","kept":[{"data":"x","reason":"y","law":"z"}]}`, "kept"},
		{"kept too long", `{"status":"done","kept":[{"data":"x","reason":"` + long + `"}]}`, "kept"},
		{"changed without field", `{"status":"done","changed":[{"to":"b"}]}`, "changed"},
		{"changed with control character", `{"status":"done","changed":[{"field":"name","to":"a\u0007"}]}`, "changed"},
		{"changed with unknown key", `{"status":"done","changed":[{"field":"name","old":"a"}]}`, "changed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := ReadResult(writeAnswer(t, c.body))
			var re *ResultError
			if !errors.As(err, &re) {
				t.Fatalf("got %+v, %v; want a *ResultError for field %q", r, err, c.field)
			}
			if re.Field != c.field {
				t.Fatalf("field %q (%v), want %q", re.Field, re, c.field)
			}
			if c.field == "" && re.Message != "body must be one JSON object" {
				t.Fatalf("message %q", re.Message)
			}
			if strings.HasPrefix(c.name, "unknown key") && re.Message != "unknown field" {
				t.Fatalf("message %q", re.Message)
			}
		})
	}
}

func TestReadResultAccepts(t *testing.T) {
	cases := []struct {
		name, body string
		want       Result
	}{
		{"done, nothing else", `{"status":"done"}`, Result{Status: "done"}},
		{"whitespace around", " \n{ \"status\" : \"done\" }\n\n", Result{Status: "done"}},
		{"failed with reason", `{"status":"failed","reason":"no such customer"}`,
			Result{Status: "failed", Reason: "no such customer"}},
		{"failed with a note only", `{"status":"failed","note":"line one\n\tline two"}`,
			Result{Status: "failed", Note: "line one\n\tline two"}},
		{"nulls are absent", `{"status":"done","reason":null,"note":null,"data":null,"kept":null,"changed":null}`,
			Result{Status: "done"}},
		{"longest text", `{"status":"done","reason":"` + strings.Repeat("ü", maxResultText) + `"}`,
			Result{Status: "done", Reason: strings.Repeat("ü", maxResultText)}},
		{"kept and changed", `{"status":"done","kept":[{"data":"invoices","reason":"tax law"}],` +
			`"changed":[{"field":"name","from":"Ann","to":"Anne"},{"field":"phone","to":""}]}`,
			Result{Status: "done", Kept: []Kept{{Data: "invoices", Reason: "tax law"}},
				Changed: []Change{{Field: "name", From: "Ann", To: "Anne"}, {Field: "phone"}}}},
		{"tables in order with row counts", `{"data":{"orders":[{"id":1},{"id":2,"x":[1,{"y":null}]},{}],` +
			`"empty":[],"Ünïcode tæble":[{"a":"b"}]},"status":"done"}`,
			Result{Status: "done", Tables: []TableSummary{{"orders", 3}, {"empty", 0}, {"Ünïcode tæble", 1}}}},
		{"data empty", `{"status":"done","data":{}}`, Result{Status: "done"}},
		{"most tables", manyTableBody(maxResultTables), Result{Status: "done", Tables: manyTableSummaries(maxResultTables)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ReadResult(writeAnswer(t, c.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, c.want) {
				t.Fatalf("got  %+v\nwant %+v", *got, c.want)
			}
		})
	}
}

func manyTableBody(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"t%d":[{}]`, i)
	}
	return `{"status":"done","data":{` + b.String() + `}}`
}

func manyTableSummaries(n int) []TableSummary {
	var s []TableSummary
	for i := range n {
		s = append(s, TableSummary{Name: fmt.Sprintf("t%d", i), Rows: 1})
	}
	return s
}

func TestReadResultMissingFile(t *testing.T) {
	_, err := ReadResult(filepath.Join(t.TempDir(), "absent.json"))
	var re *ResultError
	if err == nil || errors.As(err, &re) {
		t.Fatalf("got %v; a missing file is not bad input", err)
	}
}

// An unknown field and a value of the wrong type get the codes any other
// JSON body of the API gets for them; a broken rule has none ("invalid").
func TestReadResultErrorCodes(t *testing.T) {
	for _, c := range []struct{ body, field, code string }{
		{`{"status":"done","colour":"red"}`, "colour", CodeUnknownField},
		{`{"status":"done","kept":[{"data":"x","reason":"y","law":"z"}]}`, "kept", CodeUnknownField},
		{`{"status":1}`, "status", CodeInvalidType},
		{`{"status":"done","reason":["x"]}`, "reason", CodeInvalidType},
		{`{"status":"done","data":[]}`, "data", CodeInvalidType},
		{`{"status":"done","data":{"t":{}}}`, "data", CodeInvalidType},
		{`{"status":"done","data":{"t":[[1]]}}`, "data", CodeInvalidType},
		{`{"status":"done","kept":{"data":"x"}}`, "kept", CodeInvalidType},
		{`{"status":"done","kept":[{"data":1,"reason":"y"}]}`, "kept", CodeInvalidType},
		{`{"status":"ok"}`, "status", ""},
		{`{"status":"failed"}`, "reason", ""},
		{`{"status":"done","data":{"a/b":[]}}`, "data", ""},
	} {
		_, err := ReadResult(writeAnswer(t, c.body))
		var re *ResultError
		if !errors.As(err, &re) || re.Field != c.field || re.Code != c.code {
			t.Errorf("%s: %#v, want field %q code %q", c.body, err, c.field, c.code)
		}
	}
}

func TestResultErrorMessage(t *testing.T) {
	if got := (&ResultError{Field: "status", Message: "is required"}).Error(); got != "status: is required" {
		t.Fatal(got)
	}
	if got := notOneObject().Error(); got != "body must be one JSON object" {
		t.Fatal(got)
	}
}
