package main

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The generated answer is exactly the size asked for, and one JSON object
// that rightsdesk accepts as a done task with data.
func TestExportAnswer(t *testing.T) {
	for _, size := range []int64{1, 17, 300, 1000, 5000, 100_000, 1 << 20, 3<<20 + 7} {
		b, err := io.ReadAll(newExportAnswer(size, 3))
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(b)) != size {
			t.Fatalf("size %d: generated %d bytes", size, len(b))
		}
		if size < 17 {
			continue // too small for any answer: only the size is kept
		}
		var a struct {
			Status string                       `json:"status"`
			Data   map[string][]json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if a.Status != "done" {
			t.Fatalf("size %d: status %q", size, a.Status)
		}
		if size >= 100_000 && len(a.Data["events"]) < int(size/1000) {
			t.Fatalf("size %d: only %d events", size, len(a.Data["events"]))
		}
	}
}

// measureExport against the real binary, on SQLite and (when
// RIGHTSDESK_TEST_DATABASE_URL is set) PostgreSQL: the download is a valid
// ZIP whose manifest matches its files, with every system's data.
//
// RIGHTSDESK_EXPORT_SIZE (bytes, or with a MB/GB suffix) measures another
// size, e.g. RIGHTSDESK_EXPORT_SIZE=1GB go test ./cmd/rightsdesk-bench -run TestMeasureExport/sqlite -v -timeout 30m
func TestMeasureExport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	size := int64(8 << 20)
	if v := os.Getenv("RIGHTSDESK_EXPORT_SIZE"); v != "" {
		var err error
		if size, err = parseExportSize(v); err != nil {
			t.Fatal(err)
		}
	}
	// RIGHTSDESK_EXPORT_BIN measures a binary built elsewhere (another
	// commit, for a before/after comparison).
	bin := os.Getenv("RIGHTSDESK_EXPORT_BIN")
	if bin == "" {
		var err error
		if bin, err = buildRightsdesk(context.Background(), t.TempDir()); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("sqlite", func(t *testing.T) { checkMeasureExport(t, bin, "", size) })
	if base := os.Getenv("RIGHTSDESK_TEST_DATABASE_URL"); base != "" {
		t.Run("postgres", func(t *testing.T) {
			dbURL, drop, err := pgSchema(base)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(drop)
			checkMeasureExport(t, bin, dbURL, size)
		})
	}
}

func parseExportSize(v string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(v, "GB"):
		mult, v = 1<<30, strings.TrimSuffix(v, "GB")
	case strings.HasSuffix(v, "MB"):
		mult, v = 1<<20, strings.TrimSuffix(v, "MB")
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n * mult, err
}

func checkMeasureExport(t *testing.T, bin, dbURL string, size int64) {
	ctx := context.Background()
	p, err := startExportServer(ctx, exportOptions{Bin: bin, DatabaseURL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	s := p.Server
	s.SavePackage = filepath.Join(t.TempDir(), "package.zip")
	s.SystemBytes = size/3 + 1 // three systems
	s.Log = t.Logf
	res, err := measureExport(ctx, s, size)
	if err != nil {
		t.Fatalf("%v\n%s", err, p.logTail())
	}
	t.Logf("answers %d MB from %d systems; package %d MB; upload %s (%.0f MB/s), build %s (%.1f MB/s), download %s (%.0f MB/s); RSS start %d MB, peak %d MB (upload %d, build %d, download %d)",
		res.Answers>>20, res.Systems, res.Bytes>>20, res.Upload, res.UploadMBps, res.Build, res.BuildMBps, res.Download, res.DownloadMBps,
		res.StartRSS>>20, res.PeakRSS>>20, res.UploadRSS>>20, res.BuildRSS>>20, res.DownloadRSS>>20)
	if res.CompleteCut != "" {
		t.Logf("the complete call got no answer (%s); the request was completed all the same", res.CompleteCut)
	}
	if res.Answers != size || res.Systems != 3 {
		t.Fatalf("answered %d bytes from %d systems, want %d from 3", res.Answers, res.Systems, size)
	}
	if res.PeakRSS <= 0 || res.UploadRSS <= 0 || res.BuildRSS <= 0 || res.DownloadRSS <= 0 {
		t.Fatalf("RSS not sampled: %+v", res)
	}
	if res.PeakRSS < max(res.UploadRSS, res.BuildRSS, res.DownloadRSS) {
		t.Fatalf("peak %d below a phase's peak: %+v", res.PeakRSS, res)
	}
	fi, err := os.Stat(s.SavePackage)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != res.Bytes {
		t.Fatalf("saved %d bytes, measured %d", fi.Size(), res.Bytes)
	}
	checkExportZip(t, s.SavePackage, 3)
}

// checkExportZip opens the package and checks its manifest against its
// files, and that data.json holds systems systems with events.
func checkExportZip(t *testing.T, path string, systems int) {
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("the download is not a ZIP: %v", err)
	}
	defer z.Close()
	files := map[string]*zip.File{}
	for _, f := range z.File {
		files[f.Name] = f
	}
	var manifest struct {
		Files []struct {
			Path   string `json:"path"`
			SHA256 string `json:"sha256"`
			Bytes  int64  `json:"bytes"`
		} `json:"files"`
	}
	readJSON(t, files["manifest.json"], &manifest)
	if len(manifest.Files) != len(z.File)-1 {
		t.Fatalf("the manifest lists %d files; the ZIP has %d besides it", len(manifest.Files), len(z.File)-1)
	}
	csvs := 0
	for _, m := range manifest.Files {
		f := files[m.Path]
		if f == nil {
			t.Fatalf("the manifest lists %s, not in the ZIP", m.Path)
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		n, err := io.Copy(h, r)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", m.Path, err)
		}
		if n != m.Bytes || hex.EncodeToString(h.Sum(nil)) != m.SHA256 {
			t.Fatalf("%s: %d bytes with %x; the manifest says %d with %s", m.Path, n, h.Sum(nil), m.Bytes, m.SHA256)
		}
		if strings.HasSuffix(m.Path, "/events.csv") {
			csvs++
		}
	}
	if csvs != systems {
		t.Fatalf("%d events.csv files, want one per system (%d)", csvs, systems)
	}
	// data.json is streamed: at 1 GB it would not fit in the test's memory.
	f := files["data.json"]
	if f == nil {
		t.Fatal("data.json is missing from the ZIP")
	}
	r, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	counts, err := countDataRows(json.NewDecoder(r))
	if err != nil {
		t.Fatalf("data.json: %v", err)
	}
	if len(counts) != systems {
		t.Fatalf("data.json has %d systems, want %d", len(counts), systems)
	}
	for name, tables := range counts {
		if tables["events"] == 0 || tables["profile"] != 1 {
			t.Fatalf("data.json: system %s has %d events and %d profile rows", name, tables["events"], tables["profile"])
		}
	}
}

// countDataRows reads data.json ({system: {table: [rows]}}) one row at a
// time and counts each table's rows.
func countDataRows(dec *json.Decoder) (map[string]map[string]int, error) {
	delim := func(want json.Delim) error {
		tok, err := dec.Token()
		if err == nil && tok != want {
			err = fmt.Errorf("got %v, want %v", tok, want)
		}
		return err
	}
	key := func() (string, error) {
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		k, ok := tok.(string)
		if !ok {
			return "", fmt.Errorf("got %v, want a key", tok)
		}
		return k, nil
	}
	out := map[string]map[string]int{}
	if err := delim('{'); err != nil {
		return nil, err
	}
	var row json.RawMessage
	for dec.More() {
		system, err := key()
		if err != nil {
			return nil, err
		}
		out[system] = map[string]int{}
		if err := delim('{'); err != nil {
			return nil, err
		}
		for dec.More() {
			table, err := key()
			if err != nil {
				return nil, err
			}
			if err := delim('['); err != nil {
				return nil, err
			}
			for dec.More() {
				if err := dec.Decode(&row); err != nil {
					return nil, err
				}
				out[system][table]++
			}
			if err := delim(']'); err != nil {
				return nil, err
			}
		}
		if err := delim('}'); err != nil {
			return nil, err
		}
	}
	return out, delim('}')
}

func readJSON(t *testing.T, f *zip.File, out any) {
	t.Helper()
	if f == nil {
		t.Fatal("a file is missing from the ZIP")
	}
	r, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := json.NewDecoder(r).Decode(out); err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
}
