package fulfilment

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on an answer. The data itself is unbounded (it is streamed); what
// is bounded is what rightsdesk keeps in memory or shows to staff.
const (
	maxResultTables = 1000 // a table's name and row count are kept per table
	maxTableName    = 100  // characters; table names become file names
	maxResultText   = 2000 // characters in reason, note and the kept/changed strings
)

// The two answers a task can get.
const (
	resultDone   = "done"
	resultFailed = "failed"
)

// Result is a data system's (or a staff member's) answer to a task, validated.
type Result struct {
	Status  string         // "done" or "failed"
	Reason  string         // why it failed (or a remark)
	Note    string         // staff note
	Kept    []Kept         // what was kept for a legal reason (deletion)
	Changed []Change       // what a correction changed
	Tables  []TableSummary // the data's tables in order of appearance; empty when there is no "data"
}

// Kept is data a deletion left in place, and the legal reason for keeping it.
type Kept struct {
	Data   string `json:"data"`
	Reason string `json:"reason"`
}

// Change is one field a correction changed.
type Change struct {
	Field string `json:"field"`
	From  string `json:"from,omitempty"`
	To    string `json:"to"`
}

// TableSummary is one table of an answer's data: its name and row count.
type TableSummary struct {
	Name string
	Rows int
}

// ResultError is bad input in one field of the answer (HTTP 400 with that field).
// Field is the answer's top-level key at fault, or "" when the body is not
// one JSON object at all. Code says what kind of fault it is, in the API's
// words for any JSON body: CodeUnknownField, CodeInvalidType, or "" for a
// rule the value breaks.
type ResultError struct{ Field, Message, Code string }

// The codes of a ResultError that are not a broken rule.
const (
	CodeUnknownField = "unknown_field"
	CodeInvalidType  = "invalid_type"
)

func (e *ResultError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// notOneObject is the answer to a body that is not a single JSON object:
// malformed, truncated, another kind of value, or followed by more data.
func notOneObject() *ResultError {
	return &ResultError{Message: "body must be one JSON object"}
}

// ReadResult validates the answer stored in path. It reads the file once,
// through a streaming decoder, holding one row of data at a time: the body
// may be far larger than memory. An invalid answer is a *ResultError; any
// other error is a failure to read the file.
//
// A key given as null counts as absent. A key given twice is an error, since
// either reading of it would be a guess.
func ReadResult(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	body := bufio.NewReaderSize(f, answerReadBuffer)
	dec := json.NewDecoder(body)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, answerFailure(err, "")
	}

	var r Result
	var status *string
	hasData := false
	seen := map[string]bool{}
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return nil, answerFailure(err, "")
		}
		if seen[key] {
			return nil, &ResultError{Field: key, Message: "given more than once"}
		}
		seen[key] = true
		switch key {
		case "status":
			if status, err = readText(dec, key, key); err != nil {
				return nil, err
			}
			if status != nil && *status != resultDone && *status != resultFailed {
				return nil, &ResultError{Field: key, Message: `must be "done" or "failed"`}
			}
		case "reason":
			text, err := readText(dec, key, key)
			if err != nil {
				return nil, err
			}
			r.Reason = deref(text)
		case "note":
			text, err := readText(dec, key, key)
			if err != nil {
				return nil, err
			}
			r.Note = deref(text)
		case "data":
			tables := summarizeTables{seen: map[string]bool{}}
			hasData, err = readTables(dec, tables.add)
			if err != nil {
				return nil, answerFailure(err, key)
			}
			r.Tables = tables.list
		case "kept":
			if r.Kept, err = readKept(dec); err != nil {
				return nil, err
			}
		case "changed":
			if r.Changed, err = readChanged(dec); err != nil {
				return nil, err
			}
		default:
			return nil, &ResultError{Field: key, Message: "unknown field", Code: CodeUnknownField}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, answerFailure(err, "")
	}
	if err := onlySpaceLeft(io.MultiReader(dec.Buffered(), body)); err != nil {
		return nil, answerFailure(err, "")
	}

	switch {
	case status == nil:
		return nil, &ResultError{Field: "status", Message: "is required"}
	case *status == resultFailed && strings.TrimSpace(r.Reason) == "" && strings.TrimSpace(r.Note) == "":
		return nil, &ResultError{Field: "reason", Message: "a failed task needs a reason (or a note)"}
	case hasData && *status != resultDone:
		return nil, &ResultError{Field: "data", Message: `data comes only with status "done"`}
	}
	r.Status = *status
	return &r, nil
}

// onlySpaceLeft reads what follows the answer's object, which may be
// nothing but white space. It reads byte by byte rather than decoding, so
// that whatever follows is never held in memory.
func onlySpaceLeft(rest io.Reader) error {
	r := bufio.NewReader(rest)
	for {
		c, err := r.ReadByte()
		switch {
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		case c != ' ' && c != '\t' && c != '\r' && c != '\n':
			return fmt.Errorf("%w after the object", errUnexpectedToken)
		}
	}
}

// summarizeTables checks each table of an answer's data and counts its rows.
type summarizeTables struct {
	list []TableSummary
	seen map[string]bool
	row  json.RawMessage // the row being checked, its buffer reused
}

func (s *summarizeTables) add(table string, rows *json.Decoder) error {
	if len(s.list) == maxResultTables {
		return &ResultError{Field: "data", Message: fmt.Sprintf("at most %d tables", maxResultTables)}
	}
	if err := checkTableName(table); err != nil {
		return err
	}
	if s.seen[table] {
		return &ResultError{Field: "data", Message: fmt.Sprintf("table %q is given more than once", table)}
	}
	s.seen[table] = true
	n := 0
	for rows.More() {
		if err := nextRow(rows, &s.row); err == errRowNotObject {
			return &ResultError{Field: "data", Message: fmt.Sprintf("table %q: row %d is not an object", table, n+1), Code: CodeInvalidType}
		} else if err != nil {
			return err
		}
		n++
	}
	s.list = append(s.list, TableSummary{Name: table, Rows: n})
	return nil
}

// checkTableName keeps to names that can become a file name once made safe,
// and that a person can read.
func checkTableName(name string) error {
	problem := ""
	switch {
	case name == "":
		problem = "a table name is empty"
	case utf8.RuneCountInString(name) > maxTableName:
		problem = fmt.Sprintf("table name %q is longer than %d characters", name, maxTableName)
	case strings.ContainsAny(name, `/\`):
		problem = fmt.Sprintf("table name %q contains a slash", name)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		problem = fmt.Sprintf("table name %q contains a control character", name)
	}
	if problem != "" {
		return &ResultError{Field: "data", Message: problem}
	}
	return nil
}

// readKept reads the "kept" array, one entry at a time.
func readKept(dec *json.Decoder) ([]Kept, error) {
	var kept []Kept
	err := readObjects(dec, "kept", func(label string, entry map[string]*string) error {
		var k Kept
		for key, value := range entry {
			switch key {
			case "data":
				k.Data = deref(value)
			case "reason":
				k.Reason = deref(value)
			default:
				return &ResultError{Field: "kept", Message: fmt.Sprintf("%s has an unknown field %q", label, key), Code: CodeUnknownField}
			}
		}
		for _, f := range []struct{ name, value string }{{"data", k.Data}, {"reason", k.Reason}} {
			if strings.TrimSpace(f.value) == "" {
				return &ResultError{Field: "kept", Message: fmt.Sprintf("%s.%s is required", label, f.name)}
			}
			if err := checkText("kept", label+"."+f.name, f.value); err != nil {
				return err
			}
		}
		kept = append(kept, k)
		return nil
	})
	return kept, err
}

// readChanged reads the "changed" array, one entry at a time.
func readChanged(dec *json.Decoder) ([]Change, error) {
	var changed []Change
	err := readObjects(dec, "changed", func(label string, entry map[string]*string) error {
		var c Change
		for key, value := range entry {
			switch key {
			case "field":
				c.Field = deref(value)
			case "from":
				c.From = deref(value)
			case "to":
				c.To = deref(value)
			default:
				return &ResultError{Field: "changed", Message: fmt.Sprintf("%s has an unknown field %q", label, key), Code: CodeUnknownField}
			}
		}
		if strings.TrimSpace(c.Field) == "" {
			return &ResultError{Field: "changed", Message: label + ".field is required"}
		}
		for _, f := range []struct{ name, value string }{{"field", c.Field}, {"from", c.From}, {"to", c.To}} {
			if err := checkText("changed", label+"."+f.name, f.value); err != nil {
				return err
			}
		}
		changed = append(changed, c)
		return nil
	})
	return changed, err
}

// readObjects reads an array (or null) of objects with string values, handing
// each to entry with a label such as "kept[2]" for messages.
func readObjects(dec *json.Decoder, field string, entry func(label string, values map[string]*string) error) error {
	tok, err := dec.Token()
	if err != nil {
		return answerFailure(err, field)
	}
	if tok == nil {
		return nil
	}
	if tok != json.Delim('[') {
		return &ResultError{Field: field, Message: "must be an array of objects", Code: CodeInvalidType}
	}
	for i := 0; dec.More(); i++ {
		label := fmt.Sprintf("%s[%d]", field, i)
		var values map[string]*string
		if err := dec.Decode(&values); err != nil {
			return answerFailure(err, field, label+" must be an object of strings")
		}
		if values == nil {
			return &ResultError{Field: field, Message: label + " must be an object of strings", Code: CodeInvalidType}
		}
		if err := entry(label, values); err != nil {
			return err
		}
	}
	if err := expectDelim(dec, ']'); err != nil {
		return answerFailure(err, field)
	}
	return nil
}

// readText reads a string (or null, returned as nil) and checks it as text
// that staff will read.
func readText(dec *json.Decoder, field, label string) (*string, error) {
	var s *string
	if err := dec.Decode(&s); err != nil {
		return nil, answerFailure(err, field, label+" must be a string")
	}
	if s != nil {
		if err := checkText(field, label, *s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// checkText bounds free text and keeps out control characters, which could
// rewrite what a terminal or a log viewer shows; line breaks and tabs stay.
func checkText(field, label, s string) error {
	if utf8.RuneCountInString(s) > maxResultText {
		return &ResultError{Field: field, Message: fmt.Sprintf("%s is longer than %d characters", label, maxResultText)}
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return &ResultError{Field: field, Message: fmt.Sprintf("%s contains a control character", label)}
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// answerFailure turns a decoding error into the error ReadResult returns:
// broken JSON anywhere is the body's fault as a whole, a value of the wrong
// type is field's (with the message given, if any), and anything else is a
// failure to read the file rather than bad input.
func answerFailure(err error, field string, wrongType ...string) error {
	var resultErr *ResultError
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &resultErr):
		return resultErr
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, errUnexpectedToken):
		return notOneObject()
	case errors.As(err, &typeErr) && field != "":
		message := "has the wrong type"
		if len(wrongType) > 0 {
			message = wrongType[0]
		}
		return &ResultError{Field: field, Message: message, Code: CodeInvalidType}
	case errors.As(err, &typeErr):
		// A number too large for a float64 where the object should start
		// (the body "1e700"): bad input, not a failure to read the file.
		return notOneObject()
	default:
		return fmt.Errorf("reading the answer: %w", err)
	}
}

// The reading of an answer below is shared by ReadResult and the package
// builder; it streams, so only the value being looked at is in memory.

// answerReadBuffer is how much of the file is read per system call.
const answerReadBuffer = 64 << 10

// errUnexpectedToken is JSON of the wrong shape: some other token where a
// delimiter was required, or anything after the answer's object.
var errUnexpectedToken = errors.New("unexpected JSON token")

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("%w %v, want %v", errUnexpectedToken, tok, want)
	}
	return nil
}

// readKey reads an object's next key (the decoder only hands out strings
// there, or an error).
func readKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("%w %v, want an object key", errUnexpectedToken, tok)
	}
	return key, nil
}

// readTables reads the value of "data": null (present is false) or an object
// of tables, each an array of rows. For each table, in order, visit gets the
// decoder positioned before the first row and must read every row (while
// rows.More()); readTables then checks the table's end.
func readTables(dec *json.Decoder, visit func(table string, rows *json.Decoder) error) (present bool, err error) {
	tok, err := dec.Token()
	if err != nil || tok == nil {
		return false, err
	}
	if tok != json.Delim('{') {
		return true, &ResultError{Field: "data", Message: "must be an object of tables", Code: CodeInvalidType}
	}
	for dec.More() {
		table, err := readKey(dec)
		if err != nil {
			return true, err
		}
		tok, err := dec.Token()
		if err != nil {
			return true, err
		}
		if tok != json.Delim('[') {
			return true, &ResultError{Field: "data", Message: fmt.Sprintf("table %q must be an array of rows", table), Code: CodeInvalidType}
		}
		if err := visit(table, dec); err != nil {
			return true, err
		}
		if err := expectDelim(dec, ']'); err != nil {
			return true, fmt.Errorf("table %q: %w", table, err)
		}
	}
	return true, expectDelim(dec, '}')
}

// eachTable calls visit for each table of the answer stored in path (one
// ReadResult accepted), in order of appearance, as readTables does; the
// answer's other keys are skipped without being kept.
func eachTable(path string, visit func(table string, rows *json.Decoder) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, answerReadBuffer))
	if err := expectDelim(dec, '{'); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if key == "data" {
			_, err = readTables(dec, visit)
		} else {
			err = skipValue(dec)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

// skipValue reads past the next value token by token, so that a long array
// is never held whole.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// errRowNotObject is a row that is some other JSON value than an object.
var errRowNotObject = errors.New("a row is not a JSON object")

// nextRow decodes the next row into *row (its buffer reused) and checks
// that it is an object. Decoding a whole row at once is several times
// faster than walking it token by token.
func nextRow(rows *json.Decoder, row *json.RawMessage) error {
	if err := rows.Decode(row); err != nil {
		return err
	}
	if i := skipSpace(*row, 0); i == len(*row) || (*row)[i] != '{' {
		return errRowNotObject
	}
	return nil
}

// rowFields calls field for each top-level key of row, a JSON object as
// nextRow gives it, in order, with the key as written (quoted, escapes
// and all) and its value as written.
func rowFields(row []byte, field func(key, value []byte) error) error {
	i := skipSpace(row, 0)
	if i == len(row) || row[i] != '{' {
		return errRowNotObject
	}
	i = skipSpace(row, i+1)
	if i < len(row) && row[i] == '}' {
		return nil
	}
	for {
		if i == len(row) || row[i] != '"' {
			return errMalformedRow
		}
		keyEnd, err := jsonValueEnd(row, i)
		if err != nil {
			return err
		}
		key := row[i:keyEnd]
		i = skipSpace(row, keyEnd)
		if i == len(row) || row[i] != ':' {
			return errMalformedRow
		}
		i = skipSpace(row, i+1)
		valueEnd, err := jsonValueEnd(row, i)
		if err != nil {
			return err
		}
		if err := field(key, row[i:valueEnd]); err != nil {
			return err
		}
		i = skipSpace(row, valueEnd)
		if i == len(row) {
			return errMalformedRow
		}
		switch row[i] {
		case ',':
			i = skipSpace(row, i+1)
		case '}':
			return nil
		default:
			return errMalformedRow
		}
	}
}

// errMalformedRow would be a decoder's bug: rows reach rowFields decoded.
var errMalformedRow = errors.New("malformed JSON in a row")

// jsonValueEnd returns the index just past the JSON value starting at b[i],
// which is well-formed: only strings and nesting need following.
func jsonValueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errMalformedRow
	}
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++ // the escaped character cannot end the string
			case '"':
				return j + 1, nil
			}
		}
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := jsonValueEnd(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1, nil
				}
			}
		}
	default: // a number, true, false or null: up to the next delimiter
		j := i
		for j < len(b) && !isJSONDelimiter(b[j]) {
			j++
		}
		if j > i {
			return j, nil
		}
	}
	return 0, errMalformedRow
}

func isJSONDelimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ':', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}
