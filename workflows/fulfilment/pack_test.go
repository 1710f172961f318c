package fulfilment

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// crmAnswer has two tables whose rows differ in keys and hold nested values,
// negative numbers, nulls, text that looks like a formula and escapes (one
// in a key), and one empty table.
const crmAnswer = `{"status":"done","note":"exported by hand",
 "data":{
  "customers":[
   {"id":1,"name":"Ann","balance":-12.5,"address":{"city":"Oslo", "zip":"0150"},"tags":["a", "b"],"note":"=HYPERLINK(\"http://x\")"},
   {"id":2,"name":"+47 555","phone":null,"email":"b@example.com","note":"@SUM(A1)","score":1e3,"vip":true}
  ],
  "orders":[
   {"order":"A-1","total":"-3","lines":[]},
   {"order":"\tB","lines":[{"sku":"x]}\"","qty":2}],"\u006demo":"\rcarriage","paid":false}
  ],
  "empty table":[]
 },
 "kept":[{"data":"invoices","reason":"tax law"}]}`

// The CSV files crmAnswer must give, written out by hand.
var crmCSV = map[string][][]string{
	"CRM/customers.csv": {
		{"id", "name", "balance", "address", "tags", "note", "phone", "email", "score", "vip"},
		{"1", "Ann", "-12.5", `{"city":"Oslo","zip":"0150"}`, `["a","b"]`, `'=HYPERLINK("http://x")`, "", "", "", ""},
		{"2", "'+47 555", "", "", "", "'@SUM(A1)", "", "b@example.com", "1e3", "true"},
	},
	"CRM/orders.csv": {
		{"order", "total", "lines", "memo", "paid"},
		{"A-1", "'-3", "[]", "", ""},
		{"'\tB", "", `[{"sku":"x]}\"","qty":2}]`, "'\rcarriage", "false"},
	},
	"CRM/empty_table.csv": nil,
}

var testPackageInfo = PackageInfo{
	Organization: "Example Photo Ltd",
	PrivacyEmail: "privacy@example.com",
	Reference:    "DSAR-2026-0042",
	RequestType:  "access",
	GeneratedAt:  time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC),
	ExpiresAt:    time.Date(2026, 3, 9, 9, 30, 0, 0, time.UTC),
}

// zipFiles reads every file of the ZIP at path, in order.
func zipFiles(t *testing.T, path string) (names []string, content map[string][]byte) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	content = map[string][]byte{}
	for _, f := range zr.File {
		if f.Method != zip.Deflate {
			t.Errorf("%s is not deflated", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc) // checks the CRC too
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		names = append(names, f.Name)
		content[f.Name] = b
	}
	return names, content
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	return v
}

func TestWritePackage(t *testing.T) {
	for _, body := range []string{crmAnswer, `{"status":"done"}`} {
		if _, err := ReadResult(writeAnswer(t, body)); err != nil {
			t.Fatalf("the test's answer is not valid: %v", err)
		}
	}
	parts := []PackagePart{
		{System: "CRM", ResultPath: writeAnswer(t, crmAnswer)},
		{System: "Billing archive", ResultPath: writeAnswer(t, `{"status":"done","reason":"nothing found"}`)},
	}
	dst := filepath.Join(t.TempDir(), "package.zip")
	built, err := WritePackage(dst, testPackageInfo, parts)
	if err != nil {
		t.Fatal(err)
	}

	names, files := zipFiles(t, dst)
	wantNames := []string{"data.json", "CRM/customers.csv", "CRM/orders.csv", "CRM/empty_table.csv", "README.txt", "manifest.json"}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("files %q, want %q", names, wantNames)
	}

	t.Run("data.json", func(t *testing.T) {
		var crm struct{ Data json.RawMessage }
		if err := json.Unmarshal([]byte(crmAnswer), &crm); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"CRM": decodeJSON(t, crm.Data), "Billing archive": map[string]any{}}
		if got := decodeJSON(t, files["data.json"]); !reflect.DeepEqual(got, want) {
			t.Fatalf("data.json\n%s\nwant %v", files["data.json"], want)
		}
		if i, j := bytes.Index(files["data.json"], []byte(`"CRM"`)), bytes.Index(files["data.json"], []byte(`"Billing archive"`)); i < 0 || j < i {
			t.Fatalf("systems out of order:\n%s", files["data.json"])
		}
	})

	t.Run("CSV", func(t *testing.T) {
		for path, want := range crmCSV {
			got, err := csv.NewReader(bytes.NewReader(files[path])).ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s\ngot  %q\nwant %q", path, got, want)
			}
		}
	})

	t.Run("manifest", func(t *testing.T) {
		var manifest struct{ Files []ManifestFile }
		if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
			t.Fatal(err)
		}
		var want []ManifestFile
		for _, name := range names[:len(names)-1] {
			sum := sha256.Sum256(files[name])
			want = append(want, ManifestFile{Path: name, SHA256: hex.EncodeToString(sum[:]), Bytes: int64(len(files[name]))})
		}
		if !reflect.DeepEqual(manifest.Files, want) {
			t.Fatalf("manifest.json lists %+v\nwant %+v", manifest.Files, want)
		}
		if !reflect.DeepEqual(built.Files, want) {
			t.Fatalf("Built.Files %+v\nwant %+v", built.Files, want)
		}
	})

	t.Run("the ZIP's size and sum", func(t *testing.T) {
		b, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if built.Bytes != int64(len(b)) || built.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("built %d bytes %s; the file has %d bytes %x", built.Bytes, built.SHA256, len(b), sum)
		}
	})

	t.Run("README", func(t *testing.T) {
		readme := string(files["README.txt"])
		for _, want := range []string{
			"Example Photo Ltd", "DSAR-2026-0042", "access", "privacy@example.com",
			"2 March 2026", "9 March 2026", "sha256sum", "data.json", "manifest.json", "CSV",
			"CRM: 4 records in 3 tables (folder CRM)", "Billing archive: no data",
		} {
			if !strings.Contains(readme, want) {
				t.Errorf("README.txt does not say %q:\n%s", want, readme)
			}
		}
		if strings.ContainsAny(readme, "<>") {
			t.Errorf("README.txt looks like markup:\n%s", readme)
		}
	})

	t.Run("no temporary file left", func(t *testing.T) {
		entries, err := os.ReadDir(filepath.Dir(dst))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Fatalf("the folder holds %v", entries)
		}
	})
}

func TestWritePackageInvalidUTF8(t *testing.T) {
	answer := writeAnswer(t, "{\"status\":\"done\",\"data\":{\"t\":[{\"name\":\"caf\xff\",\"k\xffy\":1}]}}")
	if _, err := ReadResult(answer); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "package.zip")
	if _, err := WritePackage(dst, testPackageInfo, []PackagePart{{System: "S", ResultPath: answer}}); err != nil {
		t.Fatal(err)
	}
	_, files := zipFiles(t, dst)
	if !utf8.Valid(files["data.json"]) {
		t.Fatalf("data.json is not UTF-8: %q", files["data.json"])
	}
	want := map[string]any{"S": map[string]any{"t": []any{map[string]any{"name": "caf\uFFFD", "k\uFFFDy": json.Number("1")}}}}
	if got := decodeJSON(t, files["data.json"]); !reflect.DeepEqual(got, want) {
		t.Fatalf("data.json %s", files["data.json"])
	}
	got, err := csv.NewReader(bytes.NewReader(files["S/t.csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"name", "k\uFFFDy"}, {"caf\uFFFD", "1"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("S/t.csv %q, want %q", got, want)
	}
}

func TestWritePackageNoParts(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "package.zip")
	built, err := WritePackage(dst, testPackageInfo, nil)
	if err != nil {
		t.Fatal(err)
	}
	names, files := zipFiles(t, dst)
	if !slices.Equal(names, []string{"data.json", "README.txt", "manifest.json"}) {
		t.Fatalf("files %q", names)
	}
	if got := decodeJSON(t, files["data.json"]); !reflect.DeepEqual(got, map[string]any{}) {
		t.Fatalf("data.json %s", files["data.json"])
	}
	if len(built.Files) != 2 {
		t.Fatalf("manifest %+v", built.Files)
	}
}

func TestWritePackageFolderNames(t *testing.T) {
	tables := writeAnswer(t, `{"status":"done","data":{"a b":[{"x":1}],"a_b":[],"A_B":[],"..":[],"ordres été":[]}}`)
	oneTable := writeAnswer(t, `{"status":"done","data":{"t":[{"x":1}]}}`)
	systems := []string{"Sales CRM", "Sales/CRM", "sales_crm", "Sales_CRM-2", "..", ".", "README.txt", "../../etc"}
	var parts []PackagePart
	for _, s := range systems {
		parts = append(parts, PackagePart{System: s, ResultPath: oneTable})
	}
	parts[0].ResultPath = tables
	dst := filepath.Join(t.TempDir(), "package.zip")
	if _, err := WritePackage(dst, testPackageInfo, parts); err != nil {
		t.Fatal(err)
	}
	names, _ := zipFiles(t, dst)
	want := []string{"data.json",
		"Sales_CRM/a_b.csv", "Sales_CRM/a_b-2.csv", "Sales_CRM/A_B-3.csv", "Sales_CRM/_.csv", "Sales_CRM/ordres_été.csv",
		"Sales_CRM-2/t.csv", "sales_crm-3/t.csv", "Sales_CRM-2-2/t.csv", "_/t.csv", "_-2/t.csv", "README.txt-2/t.csv", ".._.._etc/t.csv",
		"README.txt", "manifest.json"}
	if !slices.Equal(names, want) {
		t.Fatalf("files\n%q\nwant\n%q", names, want)
	}
}

func TestWritePackageSystemTwice(t *testing.T) {
	answer := writeAnswer(t, `{"status":"done","data":{"t":[{"x":1}]}}`)
	parts := []PackagePart{{System: "CRM", ResultPath: answer}, {System: "CRM", ResultPath: answer}, {System: "CRM (2)", ResultPath: answer}}
	dst := filepath.Join(t.TempDir(), "package.zip")
	if _, err := WritePackage(dst, testPackageInfo, parts); err != nil {
		t.Fatal(err)
	}
	names, files := zipFiles(t, dst)
	if want := []string{"data.json", "CRM/t.csv", "CRM-2/t.csv", "CRM__2_/t.csv", "README.txt", "manifest.json"}; !slices.Equal(names, want) {
		t.Fatalf("files %q, want %q", names, want)
	}
	var data map[string]any
	if err := json.Unmarshal(files["data.json"], &data); err != nil {
		t.Fatal(err)
	}
	if keys := slices.Sorted(maps.Keys(data)); !slices.Equal(keys, []string{"CRM", "CRM (2)", "CRM (2) (2)"}) {
		t.Fatalf("data.json has the systems %q", keys)
	}
}

func TestWritePackageFailure(t *testing.T) {
	good := writeAnswer(t, crmAnswer)
	cases := map[string][]PackagePart{
		"missing answer": {{System: "CRM", ResultPath: good}, {System: "Billing", ResultPath: filepath.Join(t.TempDir(), "absent.json")}},
		"broken answer":  {{System: "CRM", ResultPath: good}, {System: "Billing", ResultPath: writeAnswer(t, `{"status":"done","data":{"t":[{"a":1},`)}},
		"row not object": {{System: "CRM", ResultPath: writeAnswer(t, `{"status":"done","data":{"t":[1]}}`)}},
	}
	for name, parts := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			dst := filepath.Join(dir, "package.zip")
			if built, err := WritePackage(dst, testPackageInfo, parts); err == nil {
				t.Fatalf("built %+v", built)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("left behind %v", entries)
			}
		})
	}
}

// writeLargeAnswer streams an answer of about size bytes to path, as a
// system's export would arrive, and returns its row count.
func writeLargeAnswer(t testing.TB, path string, size int64) int {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprint(w, `{"status":"done","data":{"events":[`)
	rows := 0
	for written := int64(0); written < size; rows++ {
		if rows > 0 {
			w.WriteString(",")
		}
		n, _ := fmt.Fprintf(w, "\n"+`{"id":%d,"email":"user%d@example.com","name":"Person %d","balance":-%d.25,`+
			`"tags":["photo","album"],"address":{"city":"Oslo","zip":"%05d"},"note":null,"flag":"=1+%d"}`,
			rows, rows, rows, rows%1000, rows%100000, rows)
		written += int64(n)
	}
	fmt.Fprint(w, `],"profile":[{"id":1,"extra":"x"}]}}`)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// peakHeap runs work while sampling the heap in use every few milliseconds,
// and returns the highest sample.
func peakHeap(work func()) uint64 {
	runtime.GC()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	work()
	close(done)
	wg.Wait()
	return peak
}

func TestWritePackageMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and packs a 64 MiB answer")
	}
	const answerSize = 64 << 20
	const heapLimit = 48 << 20
	dir := t.TempDir()
	answer := filepath.Join(dir, "answer.json")
	rows := writeLargeAnswer(t, answer, answerSize)

	var result *Result
	var err error
	readPeak := peakHeap(func() { result, err = ReadResult(answer) })
	if readPeak > heapLimit {
		t.Errorf("reading the answer took %d MiB of heap", readPeak>>20)
	}
	if err != nil {
		t.Fatal(err)
	}
	if want := []TableSummary{{"events", rows}, {"profile", 1}}; !reflect.DeepEqual(result.Tables, want) {
		t.Fatalf("tables %+v, want %+v", result.Tables, want)
	}

	var built *Built
	dst := filepath.Join(dir, "package.zip")
	writePeak := peakHeap(func() {
		built, err = WritePackage(dst, testPackageInfo, []PackagePart{{System: "Photos", ResultPath: answer}})
	})
	if writePeak > heapLimit {
		t.Errorf("writing the package took %d MiB of heap", writePeak>>20)
	}
	if err != nil {
		t.Fatal(err)
	}
	// data.json alone is larger than the limit: the package cannot have
	// been built in memory.
	if data := built.Files[0]; data.Path != "data.json" || data.Bytes < heapLimit {
		t.Fatalf("%s is %d bytes; the test needs more data", data.Path, data.Bytes)
	}
	t.Logf("%d rows, answer %d MiB, package %d MiB; peak heap in use %.1f MiB reading, %.1f MiB packing",
		rows, answerSize>>20, built.Bytes>>20, float64(readPeak)/(1<<20), float64(writePeak)/(1<<20))
}

func BenchmarkWritePackage(b *testing.B) {
	const answerSize = 8 << 20
	dir := b.TempDir()
	answer := filepath.Join(dir, "answer.json")
	writeLargeAnswer(b, answer, answerSize)
	parts := []PackagePart{{System: "Photos", ResultPath: answer}}
	dst := filepath.Join(dir, "package.zip")
	b.SetBytes(answerSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := WritePackage(dst, testPackageInfo, parts); err != nil {
			b.Fatal(err)
		}
	}
}
