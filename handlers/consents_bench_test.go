package handlers_test

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/benchseed"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
)

// BenchmarkConsentCheck measures the check endpoint over loopback HTTP on a
// database of RIGHTSDESK_BENCH_EVENTS consent events (default 1,000,000 over
// a fifth as many subjects), next to a bare echo handler as the ceiling:
//
//	go test ./handlers -run '^$' -bench ConsentCheck -benchtime 200000x
//
// Compare the two ns/op figures of one run; the load test with wrk is
// cmd/rightsdesk-bench.
func BenchmarkConsentCheck(b *testing.B) {
	events := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("RIGHTSDESK_BENCH_EVENTS")); err == nil && v > 0 {
		events = v
	}
	subjects := max(1, events/5)
	app := apptest.New(b, apptest.Options{})
	var purposes []string
	for _, p := range app.Policy.Purposes {
		purposes = append(purposes, p.Key)
	}
	if err := benchseed.SeedConsents(context.Background(), app.Store, benchseed.Consents{Subjects: subjects, Events: events, Purposes: purposes}); err != nil {
		b.Fatal(err)
	}
	key, _, err := app.Staff.CreateAPIKey(context.Background(), "bench", []string{"consents:read"}, "bench")
	if err != nil {
		b.Fatal(err)
	}
	e := echo.New()
	e.GET("/api/v1/consents/check", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"purpose": c.QueryParam("purpose"), "granted": true, "since": nil, "source": "default"})
	})
	bare := httptest.NewServer(e)
	defer bare.Close()

	for _, target := range []struct{ name, url string }{{"bare_echo", bare.URL}, {"consent_check", app.URL}} {
		b.Run(target.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			var seed sync.Mutex
			n := uint64(0)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				seed.Lock()
				n++
				rng := rand.New(rand.NewPCG(n, 7))
				seed.Unlock()
				for pb.Next() {
					i := rng.IntN(subjects)
					req, _ := http.NewRequest("GET", target.url+"/api/v1/consents/check?email="+benchseed.Email(i)+"&purpose="+purposes[rng.IntN(len(purposes))], nil)
					req.Header.Set("Authorization", "Bearer "+key)
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
			})
		})
	}
}
