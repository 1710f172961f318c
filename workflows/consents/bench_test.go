package consents_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/benchseed"
	"github.com/rightsdesk/rightsdesk/internal/cachebus"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/workflows/consents"
)

// BenchmarkCheck is the consent-state lookup inside the process, from the
// cache and from the database (cache off), over 100,000 events:
//
//	go test ./workflows/consents -run '^$' -bench Check
func BenchmarkCheck(b *testing.B) {
	store := testdb.Open(b)
	pol := policy.Default("privacy@example.com")
	var purposes []string
	for _, p := range pol.Purposes {
		purposes = append(purposes, p.Key)
	}
	if err := benchseed.SeedConsents(ctx, store, benchseed.Consents{Subjects: 20_000, Events: 100_000, Purposes: purposes}); err != nil {
		b.Fatal(err)
	}
	bus := cachebus.New(store, quiet)
	runBus(b, bus)
	for _, c := range []struct {
		name string
		size int
	}{{"cached", 0}, {"database", -1}} {
		svc := consents.New(store, pol, consents.Config{Keys: secrets.Derive([]byte("k")), CacheSize: c.size}, time.Now, bus, nil)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				// A working set of 1,000 subjects: the cache holds them all
				// after the first pass; the database path reads each time.
				id := consents.Identity{Email: benchseed.Email(i % 1000)}
				if _, err := svc.Check(ctx, id, purposes[i%len(purposes)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkImport imports JSON lines over 20,000 seeded subjects; ns/op is
// per line (a file of b.N lines, new external ids each run):
//
//	go test ./workflows/consents -run '^$' -bench Import -benchtime 50000x
func BenchmarkImport(b *testing.B) {
	store := testdb.Open(b)
	pol := policy.Default("privacy@example.com")
	var purposes []string
	for _, p := range pol.Purposes {
		purposes = append(purposes, p.Key)
	}
	const subjects = 20_000
	if err := benchseed.SeedConsents(ctx, store, benchseed.Consents{Subjects: subjects, Events: 5 * subjects, Purposes: purposes}); err != nil {
		b.Fatal(err)
	}
	bus := cachebus.New(store, quiet)
	runBus(b, bus)
	svc := consents.New(store, pol, consents.Config{Keys: secrets.Derive([]byte("k"))}, time.Now, bus, nil)
	var file strings.Builder
	for i := range b.N {
		fmt.Fprintf(&file, `{"external_id":"b-%d","email":%q,"subject_id":%q,"purpose":%q,"action":"withdraw","at":"2025-01-01T00:00:00Z"}`+"\n",
			i, benchseed.Email(i%subjects), benchseed.SubjectID(i%subjects), purposes[i%len(purposes)])
	}
	b.ResetTimer()
	rep, err := svc.Import(ctx, "api_key:bench", consents.FormatJSONLines, strings.NewReader(file.String()))
	if err != nil || rep.Imported != b.N {
		b.Fatalf("%+v %v", rep, err)
	}
}
