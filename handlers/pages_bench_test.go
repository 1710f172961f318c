package handlers_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/handlers"
	"github.com/rightsdesk/rightsdesk/internal/auth"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
)

// BenchmarkRequestFormPage renders the public request form in process
// (every middleware, the CSRF cookie, the template), the page a burst of
// requesters opens first.
func BenchmarkRequestFormPage(b *testing.B) {
	now := func() time.Time { return time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC) }
	store := testdb.Open(b)
	keys := secrets.Derive([]byte("test secret of at least thirty-two bytes!"))
	srv := handlers.New(handlers.Deps{
		Store: store, Staff: staff.New(store, now), JWT: auth.NewJWT(keys.JWTKey(), time.Hour, now), Now: now,
		Requests: requests.New(store, policy.Default("privacy@example.com"), requests.Config{BaseURL: "http://rightsdesk.test", Keys: keys}, now),
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	h := srv.Handler()
	for _, path := range []string{"/", "/?type=correction"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", path, rec.Code)
				}
			}
		})
	}
}
