package fulfilment

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// PackagePart is one system's answer going into a package.
type PackagePart struct {
	System     string
	ResultPath string // a file ReadResult accepted (it may have no data)
}

// PackageInfo is what the package's README tells the person who asked.
type PackageInfo struct {
	Organization, PrivacyEmail string
	Reference, RequestType     string
	GeneratedAt, ExpiresAt     time.Time
}

// ManifestFile is one file of a package, as manifest.json lists it: the
// SHA-256 (lowercase hex) and size of its uncompressed content.
type ManifestFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// Built is a written package: the ZIP's own size and SHA-256, and the
// manifest (every file but manifest.json itself).
type Built struct {
	Bytes  int64
	SHA256 string
	Files  []ManifestFile
}

// Names of the files at the package's root; no system folder may take them.
const (
	packageDataFile     = "data.json"
	packageReadmeFile   = "README.txt"
	packageManifestFile = "manifest.json"
)

// WritePackage writes the ZIP of an access or export request to dst. The
// answers are streamed from their files, one row at a time, in two passes
// over each: the first writes data.json and learns each table's columns
// (keys only), the second writes the tables' CSV files. The ZIP is written
// to a temporary file beside dst and renamed to dst once complete, so dst
// is never a half-written package; on any error the temporary file is
// removed and dst is not created.
func WritePackage(dst string, info PackageInfo, parts []PackagePart) (*Built, error) {
	systems, err := packageSystems(parts)
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*.partial")
	if err != nil {
		return nil, err
	}
	built, err := writePackageTo(tmp, info, systems)
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("writing package %s: %w", dst, err)
	}
	return built, nil
}

func writePackageTo(out io.Writer, info PackageInfo, systems []*packageSystem) (*Built, error) {
	sum := sha256.New()
	var size byteCounter
	zw := zip.NewWriter(io.MultiWriter(out, sum, &size))
	zw.RegisterCompressor(zip.Deflate, fastDeflate)
	pw := &packageWriter{zip: zw, modified: info.GeneratedAt}
	if err := pw.entry(packageDataFile, func(w io.Writer) error { return writeDataJSON(w, systems) }); err != nil {
		return nil, err
	}
	for _, s := range systems {
		if err := pw.writeTables(s); err != nil {
			return nil, err
		}
	}
	if err := pw.entry(packageReadmeFile, func(w io.Writer) error { return writeReadme(w, info, systems) }); err != nil {
		return nil, err
	}
	if err := pw.writeManifest(); err != nil {
		return nil, err
	}
	if err := pw.zip.Close(); err != nil {
		return nil, err
	}
	return &Built{Bytes: int64(size), SHA256: hexSum(sum), Files: pw.files}, nil
}

// fastDeflate compresses the package's files at flate.BestSpeed: on JSON
// and CSV it is several times faster than the default level for a package
// some 10-20% larger, and the build runs inside the complete call (a
// gigabyte of answers must be packed well within the server's write
// timeout). Compressors are pooled, as zip's own are: each holds about a
// megabyte of tables.
func fastDeflate(w io.Writer) (io.WriteCloser, error) {
	fw, ok := deflaters.Get().(*flate.Writer)
	if ok {
		fw.Reset(w)
	} else {
		var err error
		if fw, err = flate.NewWriter(w, flate.BestSpeed); err != nil {
			return nil, err
		}
	}
	return &pooledDeflater{fw: fw}, nil
}

var deflaters sync.Pool

type pooledDeflater struct {
	mu sync.Mutex
	fw *flate.Writer
}

func (d *pooledDeflater) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fw == nil {
		return 0, errors.New("write to a closed compressor")
	}
	return d.fw.Write(p)
}

func (d *pooledDeflater) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fw == nil {
		return nil
	}
	err := d.fw.Close()
	deflaters.Put(d.fw)
	d.fw = nil
	return err
}

// packageSystem is one part on its way into the package.
type packageSystem struct {
	name       string
	nameJSON   []byte // name as a JSON string, a key of data.json
	folder     string
	resultPath string
	tables     []*packageTable // learnt while writing data.json
	csvNames   map[string]bool // CSV file names taken in folder, case-folded
}

// packageTable is one table of a system's data: its CSV file and columns.
type packageTable struct {
	name    string
	path    string   // of its CSV in the ZIP
	columns []string // row keys in order of first appearance
	column  map[string]int
	rows    int
}

// packageSystems gives each part its folder: a name safe on any file
// system, unique even where file names ignore case. A system name given
// twice (a system renamed, another then given its old name) is told apart
// as "name (2)" rather than failing the package: data.json's keys must
// differ.
func packageSystems(parts []PackagePart) ([]*packageSystem, error) {
	folders := map[string]bool{}
	for _, root := range []string{packageDataFile, packageReadmeFile, packageManifestFile} {
		folders[strings.ToLower(root)] = true
	}
	names := map[string]bool{}
	systems := make([]*packageSystem, 0, len(parts))
	for _, p := range parts {
		name := p.System
		for n := 2; names[name]; n++ {
			name = fmt.Sprintf("%s (%d)", p.System, n)
		}
		names[name] = true
		nameJSON, err := json.Marshal(name)
		if err != nil {
			return nil, err
		}
		systems = append(systems, &packageSystem{
			name: name, nameJSON: nameJSON, resultPath: p.ResultPath,
			folder: claimName(folders, safePathName(p.System), ""), csvNames: map[string]bool{},
		})
	}
	return systems, nil
}

// addTable records a table met in the data, choosing its CSV's name.
func (s *packageSystem) addTable(name string) *packageTable {
	t := &packageTable{name: name, column: map[string]int{}}
	t.path = s.folder + "/" + claimName(s.csvNames, safePathName(name), ".csv") + ".csv"
	s.tables = append(s.tables, t)
	return t
}

func (s *packageSystem) rows() int {
	n := 0
	for _, t := range s.tables {
		n += t.rows
	}
	return n
}

// columnOf returns the column of a key as a row writes it (quoted), adding
// the key as a new column when add is set, or else -1 for a key not seen.
func (t *packageTable) columnOf(quoted []byte, add bool) (int, error) {
	var key string
	if inner := quoted[1 : len(quoted)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		if i, ok := t.column[string(inner)]; ok { // the usual case, without copying the key
			return i, nil
		}
		key = string(inner)
	} else if err := json.Unmarshal(quoted, &key); err != nil {
		return 0, err
	}
	i, ok := t.column[key]
	switch {
	case ok:
		return i, nil
	case !add:
		return -1, nil
	}
	t.column[key] = len(t.columns)
	t.columns = append(t.columns, key)
	return len(t.columns) - 1, nil
}

// safePathName keeps letters, digits, '-', '_' and '.', and replaces anything
// else with '_', so that a name can neither leave its folder nor trouble a
// file system; "", "." and ".." become "_".
func safePathName(name string) string {
	safe := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, name)
	if safe == "" || safe == "." || safe == ".." {
		return "_"
	}
	return safe
}

// claimName returns base, or base-2, base-3… the first that (with ext) is
// not taken in taken, and takes it. Names are compared case-folded since a
// ZIP is often unpacked where "CRM" and "crm" are the same folder.
func claimName(taken map[string]bool, base, ext string) string {
	name := base
	for n := 2; taken[strings.ToLower(name+ext)]; n++ {
		name = fmt.Sprintf("%s-%d", base, n)
	}
	taken[strings.ToLower(name+ext)] = true
	return name
}

// packageWriter writes a package's entries and keeps its manifest.
type packageWriter struct {
	zip      *zip.Writer
	modified time.Time
	files    []ManifestFile
}

// entry writes one file of the package through write, hashing and counting
// its content on the way for the manifest.
func (p *packageWriter) entry(name string, write func(w io.Writer) error) error {
	w, err := p.create(name)
	if err != nil {
		return err
	}
	sum := sha256.New()
	var size byteCounter
	if err := write(io.MultiWriter(w, sum, &size)); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	p.files = append(p.files, ManifestFile{Path: name, SHA256: hexSum(sum), Bytes: int64(size)})
	return nil
}

func (p *packageWriter) create(name string) (io.Writer, error) {
	return p.zip.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: p.modified})
}

func (p *packageWriter) writeManifest() error {
	w, err := p.create(packageManifestFile)
	if err != nil {
		return err
	}
	files := p.files
	if files == nil {
		files = []ManifestFile{}
	}
	b, err := json.MarshalIndent(struct {
		Files []ManifestFile `json:"files"`
	}{files}, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// writeDataJSON writes every system's data as one JSON object, a row per
// line, and learns each table's columns on the way.
func writeDataJSON(w io.Writer, systems []*packageSystem) error {
	d := &dataWriter{out: bufio.NewWriterSize(w, answerReadBuffer)}
	d.out.WriteString("{")
	for i, s := range systems {
		if i > 0 {
			d.out.WriteString(",")
		}
		d.out.WriteString("\n ")
		d.out.Write(s.nameJSON)
		d.out.WriteString(": {")
		err := eachTable(s.resultPath, func(table string, rows *json.Decoder) error {
			return d.table(s, table, rows)
		})
		if err != nil {
			return fmt.Errorf("system %q: %w", s.name, err)
		}
		if len(s.tables) > 0 {
			d.out.WriteString("\n ")
		}
		d.out.WriteString("}")
	}
	d.out.WriteString("\n}\n")
	return d.out.Flush()
}

// dataWriter copies rows into data.json, one at a time.
type dataWriter struct {
	out     *bufio.Writer
	row     json.RawMessage // the row being copied, its buffer reused
	compact []byte          // the same row without white space
}

// table copies one table of system s, recording it and its columns.
func (d *dataWriter) table(s *packageSystem, name string, rows *json.Decoder) error {
	t := s.addTable(name)
	nameJSON, err := json.Marshal(name)
	if err != nil {
		return err
	}
	if len(s.tables) > 1 {
		d.out.WriteString(",")
	}
	d.out.WriteString("\n  ")
	d.out.Write(nameJSON)
	d.out.WriteString(": [")
	learnColumn := func(key, _ []byte) error {
		_, err := t.columnOf(key, true)
		return err
	}
	for ; rows.More(); t.rows++ {
		err := nextRow(rows, &d.row)
		if err == nil {
			err = rowFields(d.row, learnColumn)
		}
		if err == nil {
			d.compact = compactJSON(d.compact[:0], d.row)
		}
		if err != nil {
			return fmt.Errorf("table %q, row %d: %w", name, t.rows+1, err)
		}
		if t.rows > 0 {
			d.out.WriteString(",")
		}
		d.out.WriteString("\n   ")
		d.out.Write(validUTF8(d.compact))
	}
	if t.rows > 0 {
		d.out.WriteString("\n  ")
	}
	d.out.WriteString("]")
	return nil
}

// writeTables writes a CSV per table of one system, reading its answer a
// second time now that the columns are known.
func (p *packageWriter) writeTables(s *packageSystem) error {
	next := 0
	err := eachTable(s.resultPath, func(table string, rows *json.Decoder) error {
		if next >= len(s.tables) || s.tables[next].name != table {
			return fmt.Errorf("table %q was not there in the first reading; the answer changed", table)
		}
		t := s.tables[next]
		next++
		return p.entry(t.path, func(w io.Writer) error { return writeCSV(w, t, rows) })
	})
	if err == nil && next != len(s.tables) {
		err = errors.New("tables are missing since the first reading; the answer changed")
	}
	if err != nil {
		return fmt.Errorf("system %q: %w", s.name, err)
	}
	return nil
}

// writeCSV writes table t as CSV, its columns as the header and a line per
// row. A table without columns (no rows, or only empty ones) is an empty
// file: CSV has no way to write a line of zero cells.
func writeCSV(w io.Writer, t *packageTable, rows *json.Decoder) error {
	// Lines end in \n, not RFC 4180's \r\n: spreadsheets read both, and
	// csv.Writer's CRLF mode drops a lone \r from the data.
	out := csv.NewWriter(w)
	if len(t.columns) > 0 {
		out.Write(t.columns)
	}
	var row json.RawMessage
	var scratch []byte
	cells := make([]string, len(t.columns))
	fillCell := func(key, value []byte) error {
		i, err := t.columnOf(key, false)
		if err == nil && i < 0 {
			err = fmt.Errorf("key %s was not there in the first reading; the answer changed", key)
		}
		if err == nil {
			cells[i], err = csvCell(value, &scratch)
		}
		return err
	}
	for n := 1; rows.More(); n++ {
		clear(cells)
		err := nextRow(rows, &row)
		if err == nil {
			err = rowFields(row, fillCell)
		}
		if err != nil {
			return fmt.Errorf("row %d: %w", n, err)
		}
		if len(cells) > 0 {
			out.Write(cells)
		}
	}
	out.Flush()
	return out.Error()
}

// csvCell is a JSON value as a spreadsheet cell: a string as its text, a
// number as written, true or false, null as empty, an object or array as
// compact JSON.
func csvCell(value []byte, scratch *[]byte) (string, error) {
	if len(value) == 0 {
		return "", nil
	}
	switch value[0] {
	case '"':
		if inner := value[1 : len(value)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
			return guardFormula(string(inner)), nil
		}
		var s string
		if err := json.Unmarshal(value, &s); err != nil {
			return "", err
		}
		return guardFormula(s), nil
	case 'n':
		return "", nil
	case '{', '[':
		*scratch = compactJSON((*scratch)[:0], value)
		return string(validUTF8(*scratch)), nil
	default: // a number, true or false, as written
		return string(value), nil
	}
}

// compactJSON appends JSON value v, which is well-formed (a decoder read
// it), without the white space between its tokens: what json.Compact
// does, in one pass without its validating scanner, several times faster.
func compactJSON(dst, v []byte) []byte {
	for i := 0; i < len(v); {
		// Copy up to the next string or white space at once.
		j := i
		for j < len(v) {
			c := v[j]
			if c == '"' || c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				break
			}
			j++
		}
		dst = append(dst, v[i:j]...)
		if j == len(v) {
			break
		}
		if v[j] != '"' {
			i = j + 1 // white space between tokens: dropped
			continue
		}
		// A string, escapes and all, up to its closing quote.
		k := j + 1
		for k < len(v) && v[k] != '"' {
			if v[k] == '\\' {
				k++
			}
			k++
		}
		k = min(k+1, len(v))
		dst = append(dst, v[j:k]...)
		i = k
	}
	return dst
}

// validUTF8 replaces what is not UTF-8 in JSON as a system sent it (the
// decoder lets it through inside strings, and only there) with U+FFFD, as
// decoding the strings would.
func validUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return bytes.ToValidUTF8(b, []byte("\uFFFD"))
}

// guardFormula keeps a spreadsheet from running text as a formula (CSV
// injection): text that starts like one gets a leading apostrophe, which
// spreadsheets take as "this is text". Only strings are guarded; a
// negative number stays a number.
func guardFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeReadme writes README.txt: for the person who asked, in plain words,
// what the package is, what each file holds and how to open and check it.
func writeReadme(w io.Writer, info PackageInfo, systems []*packageSystem) error {
	out := bufio.NewWriter(w)
	fmt.Fprintf(out, "Your personal data from %s\n\n", info.Organization)
	fmt.Fprintf(out, "This package answers your privacy request %s (request type: %s).\n", info.Reference, info.RequestType)
	fmt.Fprintf(out, "It was generated on %s.\n", info.GeneratedAt.Format(readmeTimeLayout))
	fmt.Fprintf(out, "The download link works until %s;\nafter that the package is deleted.\n\n", info.ExpiresAt.Format(readmeTimeLayout))

	out.WriteString(`What is in this package

  data.json      All your data, as each of our systems gave it, in
                 JSON (a common format for structured data): one entry per
                 system, holding that system's tables of records.
  one folder per system
                 The same data as tables: one CSV file per table, one record
                 per line, one column per field.
  manifest.json  The size and SHA-256 checksum of every other file, so you
                 can check that nothing was changed or damaged.
  README.txt     This file.

Opening the CSV files

  Open a CSV file with any spreadsheet program (Microsoft Excel, LibreOffice
  Calc, Apple Numbers, Google Sheets) or a text editor. The files are UTF-8
  text; if letters look wrong, import the file and choose UTF-8. A field that
  holds several values is shown in JSON. Text that starts with = + - or @ has
  an apostrophe (') added in front, so that a spreadsheet shows it as text
  rather than running it as a formula.

Checking the files

  Compare a file's SHA-256 checksum with the one in manifest.json:
    Linux:   sha256sum data.json
    macOS:   shasum -a 256 data.json
    Windows: certutil -hashfile data.json SHA256

`)
	out.WriteString("The systems we searched\n\n")
	if len(systems) == 0 {
		out.WriteString("  None.\n")
	}
	for _, s := range systems {
		switch rows := s.rows(); {
		case rows > 0:
			fmt.Fprintf(out, "  - %s: %s in %s (folder %s)\n", s.name, plural(rows, "record"), plural(len(s.tables), "table"), s.folder)
		case len(s.tables) > 0:
			fmt.Fprintf(out, "  - %s: no data about you (its empty tables are in folder %s)\n", s.name, s.folder)
		default:
			fmt.Fprintf(out, "  - %s: no data about you\n", s.name)
		}
	}
	fmt.Fprintf(out, "\nQuestions\n\n  Write to %s and quote your reference %s.\n", info.PrivacyEmail, info.Reference)
	return out.Flush()
}

// readmeTimeLayout is a date and time anyone can read, with its zone.
const readmeTimeLayout = "2 January 2006 at 15:04 MST"

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// byteCounter counts what is written through it.
type byteCounter int64

func (c *byteCounter) Write(p []byte) (int, error) {
	*c += byteCounter(len(p))
	return len(p), nil
}
