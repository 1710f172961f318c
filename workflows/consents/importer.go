package consents

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rightsdesk/rightsdesk/models"
)

// Import formats.
const (
	FormatJSONLines = "jsonl"
	FormatCSV       = "csv"
)

// ImportLine is one existing consent record brought in by a company that
// adopts rightsdesk. ExternalID is the record's id in the old system: a
// line whose ExternalID is already recorded is skipped, so an import can be
// run again after a failure.
type ImportLine struct {
	ExternalID    string `json:"external_id"`
	Email         string `json:"email"`
	SubjectID     string `json:"subject_id"`
	Purpose       string `json:"purpose"`
	Action        string `json:"action"`
	At            string `json:"at"` // RFC 3339
	PolicyVersion string `json:"policy_version"`
	Evidence      string `json:"evidence"`
}

// importColumns are the CSV header names, the JSON fields of ImportLine.
var importColumns = []string{"external_id", "email", "subject_id", "purpose", "action", "at", "policy_version", "evidence"}

// ImportReport says what became of each line.
type ImportReport struct {
	Lines      int           `json:"lines"`
	Imported   int           `json:"imported"`
	Duplicates int           `json:"duplicates"`
	Failed     int           `json:"failed"`
	Errors     []ImportError `json:"errors"`
	// ErrorsTruncated says more lines failed than Errors lists.
	ErrorsTruncated bool `json:"errors_truncated"`
}

// ImportError is one refused line. Line counts from 1 (a CSV header is line 1).
type ImportError struct {
	Line       int    `json:"line"`
	ExternalID string `json:"external_id,omitempty"`
	Field      string `json:"field,omitempty"`
	Message    string `json:"message"`
}

const (
	importChunk     = 500
	maxImportErrors = 1000
	maxImportLine   = 64 << 10
)

// ErrImportFormat: the file as a whole cannot be read (an unknown format, a
// CSV without the header, bad column names); nothing was written.
var ErrImportFormat = errors.New("import format")

// Import records the lines of r (format jsonl or csv) with source "import",
// a transaction per chunk of lines; a bad line is reported and skipped, the
// others are recorded.
func (s *Service) Import(ctx context.Context, actor, format string, r io.Reader) (*ImportReport, error) {
	rep := &ImportReport{Errors: []ImportError{}}
	var chunk []numbered
	flush := func() error {
		err := s.importChunk(ctx, actor, chunk, rep)
		chunk = chunk[:0]
		return err
	}
	add := func(n numbered) error {
		rep.Lines++
		chunk = append(chunk, n)
		if len(chunk) == importChunk {
			return flush()
		}
		return nil
	}
	var err error
	switch format {
	case FormatJSONLines:
		err = readJSONLines(r, add, rep)
	case FormatCSV:
		err = readCSV(r, add, rep)
	default:
		return nil, fmt.Errorf("%w: want jsonl or csv", ErrImportFormat)
	}
	if err == nil && len(chunk) > 0 {
		err = flush()
	}
	return rep, err
}

type numbered struct {
	line int
	in   ImportLine
	bad  *ImportError // a line that could not be parsed
}

func readJSONLines(r io.Reader, add func(numbered) error, rep *ImportReport) error {
	br := bufio.NewReaderSize(r, 64<<10)
	n := 0
	for {
		line, tooLong, err := readLine(br, maxImportLine)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err // the body could not be read (too large, cut off)
		}
		n++
		raw := bytes.TrimSpace(line)
		if len(raw) == 0 && !tooLong {
			continue
		}
		item := numbered{line: n}
		if tooLong {
			// One line too long is one bad line, not a bad file: the lines
			// around it are recorded, as for any other bad line.
			item.bad = &ImportError{Line: n, Message: fmt.Sprintf("is longer than %d KiB", maxImportLine>>10)}
		} else {
			var in ImportLine
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&in); err != nil || dec.More() {
				item.bad = &ImportError{Line: n, Message: "not a JSON object of the import fields (" + strings.Join(importColumns, ", ") + ")"}
			}
			item.in = in
		}
		if err := add(item); err != nil {
			return err
		}
	}
}

// readLine reads one line (without its newline), keeping at most limit
// bytes of it: a longer line is read to its end and reported too long. It
// returns io.EOF only when there is no line left.
func readLine(br *bufio.Reader, limit int) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong && len(line)+len(chunk) <= limit+1 { // +1: the newline
			line = append(line, chunk...)
		} else {
			tooLong, line = true, nil
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && (len(line) > 0 || tooLong):
			return bytes.TrimSuffix(line, []byte("\n")), tooLong, nil
		case err != nil:
			return nil, false, err
		}
		return bytes.TrimSuffix(line, []byte("\n")), tooLong, nil
	}
}

func readCSV(r io.Reader, add func(numbered) error, rep *ImportReport) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%w: the first line must name the columns (%s)", ErrImportFormat, strings.Join(importColumns, ", "))
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if !slices.Contains(importColumns, h) {
			return fmt.Errorf("%w: unknown column %q; the columns are %s", ErrImportFormat, h, strings.Join(importColumns, ", "))
		}
		col[h] = i
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return err // the body could not be read (too large, cut off)
		}
		line := 0
		if err == nil {
			line, _ = cr.FieldPos(0) // it panics after a failed Read
		}
		item := numbered{line: line}
		if err != nil {
			item.line = pe.Line
			item.bad = &ImportError{Line: item.line, Message: "not a CSV record: " + err.Error()}
		} else if len(rec) != len(header) {
			item.bad = &ImportError{Line: line, Message: fmt.Sprintf("has %d fields, the header %d", len(rec), len(header))}
		} else {
			get := func(name string) string {
				if i, ok := col[name]; ok {
					return rec[i]
				}
				return ""
			}
			item.in = ImportLine{ExternalID: get("external_id"), Email: get("email"), SubjectID: get("subject_id"),
				Purpose: get("purpose"), Action: get("action"), At: get("at"),
				PolicyVersion: get("policy_version"), Evidence: get("evidence")}
		}
		if err := add(item); err != nil {
			return err
		}
	}
}

// importChunk records one chunk in one transaction.
func (s *Service) importChunk(ctx context.Context, actor string, chunk []numbered, rep *ImportReport) error {
	fail := func(e ImportError) {
		rep.Failed++
		if len(rep.Errors) < maxImportErrors {
			rep.Errors = append(rep.Errors, e)
		} else {
			rep.ErrorsTruncated = true
		}
	}
	var valid []*event
	var lines []numbered
	for _, n := range chunk {
		if n.bad != nil {
			fail(*n.bad)
			continue
		}
		ev, err := s.validateImport(n.in)
		if err != nil {
			e := ImportError{Line: n.line, ExternalID: n.in.ExternalID, Message: err.Error()}
			var fe *FieldError
			if errors.As(err, &fe) {
				e.Field, e.Message = fe.Field, fe.Message
			}
			fail(e)
			continue
		}
		valid = append(valid, ev)
		lines = append(lines, n)
	}
	if len(valid) == 0 {
		return nil
	}
	items := make([]*pending, len(valid))
	for i, ev := range valid {
		items[i] = &pending{actor: actor, ev: ev}
	}
	// The chunk in one transaction and a few multi-row statements; if it
	// fails as a whole (a race lost to another writer), again with each line
	// in a savepoint, so that a refused line leaves the others.
	err := s.retryRace(func() error {
		return s.store.InTx(ctx, func(tx *models.Store) error { return s.writeBatch(ctx, tx, items) })
	})
	if err != nil {
		err = s.store.InTx(ctx, func(tx *models.Store) error {
			for _, p := range items {
				err := s.retryRace(func() error {
					return tx.InTx(ctx, func(sp *models.Store) error { return s.writeBatch(ctx, sp, []*pending{p}) })
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		return err
	}
	for i, p := range items {
		switch {
		case errors.Is(p.err, ErrSubjectConflict):
			fail(ImportError{Line: lines[i].line, ExternalID: p.ev.externalID, Field: "subject_id", Message: p.err.Error()})
		case p.err != nil:
			return p.err
		case p.inserted:
			rep.Imported++
		default:
			rep.Duplicates++
		}
	}
	return nil
}

func (s *Service) validateImport(in ImportLine) (*event, error) {
	// A CSV cell is bytes as sent; PostgreSQL refuses text that is not
	// UTF-8, and would fail the whole import rather than this line.
	for i, v := range []string{in.ExternalID, in.Email, in.SubjectID, in.Purpose, in.Action, in.At, in.PolicyVersion, in.Evidence} {
		if !utf8.ValidString(v) {
			return nil, fieldErr(importColumns[i], "is not UTF-8 text")
		}
	}
	if in.ExternalID == "" {
		return nil, fieldErr("external_id", "is required: the record's id in the system it comes from")
	}
	if len(in.ExternalID) > maxSubjectID || !printable(in.ExternalID) {
		return nil, fieldErr("external_id", "must be at most 200 printable characters")
	}
	at, err := time.Parse(time.RFC3339Nano, in.At)
	if err != nil {
		return nil, fieldErr("at", "must be a time in RFC 3339, such as 2025-03-01T12:00:00Z")
	}
	if at.After(s.clock().Add(time.Minute)) {
		return nil, fieldErr("at", "is in the future")
	}
	ev, err := s.validate(RecordInput{Identity: Identity{Email: in.Email, SubjectID: in.SubjectID}, Purpose: in.Purpose,
		Action: in.Action, Source: models.SourceImport, PolicyVersion: in.PolicyVersion, Evidence: in.Evidence})
	if err != nil {
		return nil, err
	}
	ev.at = at.UTC().Truncate(time.Microsecond)
	ev.externalID = in.ExternalID
	return ev, nil
}
