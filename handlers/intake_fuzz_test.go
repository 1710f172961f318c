package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/limits"
	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/fulfilment"
)

// fuzzApp is one server for a whole fuzz run, every abuse limit off: the
// fuzzer is one client sending thousands of requests.
func fuzzApp(f *testing.F) *apptest.App {
	return apptest.New(f, apptest.Options{Limits: &limits.Config{}})
}

// send makes one request; ok is false when the client refuses to send it
// (a header value with a line break, say), so the server never saw it.
func send(t *testing.T, method, url string, body []byte, header http.Header) (status int, raw []byte, ok bool) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, false
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if strings.Contains(err.Error(), "invalid header") {
			return 0, nil, false
		}
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw, true
}

// rowCounts are the tables an intake writes to.
func rowCounts(t *testing.T, a *apptest.App) []int {
	db, err := a.Store.SQL()
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, table := range []string{"requests", "request_events", "link_tokens", "outbox_messages", "consent_events"} {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// FuzzIntake posts any body to the public intake of a real server. The
// answer is a 202 with the new request, or the contract's error envelope
// with a 4xx status and one of its codes; a refused body changes nothing in
// the database, and an accepted one adds exactly one request.
func FuzzIntake(f *testing.F) {
	for _, s := range []string{
		`{"type":"access","email":"a@example.com"}`,
		`{"type":"deletion","email":"a@example.com","name":"Ana Lima","country":"br","details":"line 1\r\nline 2"}`,
		`{"type":"access","email":"a@example.com","regime":"gdpr","region":"US-CA"}`,
		`{"type":"opt_out","email":"a@example.com","scope":["sale_sharing","sale_sharing"]}`,
		`{"type":"appeal","email":"a@example.com","related_reference":"DSR-AAAA-BBBB"}`,
		`{"type":"grievance","email":"a@example.com","related_reference":"' OR '1'='1"}`,
		`{"type":"access","email":"a@example.com\r\nBcc: victim@example.com"}`,
		`{"type":"access","email":"a@example.com","name":"\u0000"}`,
		`{"type":"access","email":"a@example.com","admin":true}`,
		`{"type":"access","email":1e400}`, `{"type":["access"]}`, `{`, `[]`, ``, `{"type":"access"} x`,
	} {
		f.Add([]byte(s), false)
	}
	f.Add([]byte(`{"type":"access","email":"gpc@example.com"}`), true)
	a := fuzzApp(f)
	codes := []string{"invalid_json", "invalid_type", "unknown_field", "invalid_body", "invalid", "unprocessable", "too_large"}
	f.Fuzz(func(t *testing.T, body []byte, gpc bool) {
		h := http.Header{"Content-Type": {"application/json"}}
		if gpc {
			h.Set("Sec-GPC", "1")
		}
		before := rowCounts(t, a)
		status, raw, _ := send(t, http.MethodPost, a.URL+"/api/v1/requests", body, h)
		after := rowCounts(t, a)
		if status == http.StatusAccepted {
			var out struct{ ID, Reference, Status string }
			if err := json.Unmarshal(raw, &out); err != nil || out.ID == "" || !strings.HasPrefix(out.Reference, "DSR-") {
				t.Fatalf("202 with %s", raw)
			}
			if after[0] != before[0]+1 {
				t.Fatalf("accepted, but %d requests written", after[0]-before[0])
			}
			return
		}
		var env struct {
			Error struct{ Code, Message, Field string }
		}
		if err := json.Unmarshal(raw, &env); err != nil || status < 400 || status > 499 ||
			!slices.Contains(codes, env.Error.Code) || env.Error.Message == "" {
			t.Fatalf("%d %s for %q", status, raw, body)
		}
		if !slices.Equal(before, after) {
			t.Fatalf("refused with %s, but rows changed from %v to %v", raw, before, after)
		}
	})
}

// FuzzBearer sends any Authorization header to a staff route. Only the
// staff JWT and the API key issued below open it (200); everything else,
// the system key, the key with its prefix alone or a bit changed included,
// is a 401 in the contract's envelope, never a 403 or a 5xx.
func FuzzBearer(f *testing.F) {
	a := fuzzApp(f)
	jwt := a.StaffToken("fuzz@example.com", models.RoleAdmin)
	key, _, err := a.Staff.CreateAPIKey(context.Background(), "fuzz", []string{models.ScopeRequestsRead}, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	_, creds, err := a.Fulfilment.CreateSystem(context.Background(), "fuzz", fulfilment.SystemInput{Name: "CRM", RequestTypes: []string{"access"}, Manual: true})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"Bearer " + jwt, "bearer  " + key + " ", "Bearer " + key, "Bearer " + creds.Key, "Bearer " + key[:len(key)-1],
		"Bearer " + strings.ToUpper(key), "Bearer " + jwt[:len(jwt)-2], "Bearer " + key + "," + jwt, "Basic " + key,
		"Bearer", "Bearer ", "Bearer rdk_", "Bearer rdk_" + strings.Repeat("a", 200), "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
		"Bearer " + jwt + "\x00", "Bearer\t" + key, "Bearer ' OR 1=1 --", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, auth string) {
		status, raw, ok := send(t, http.MethodGet, a.URL+"/api/v1/requests", nil, http.Header{"Authorization": {auth}})
		if !ok {
			return
		}
		switch status {
		case http.StatusOK:
			if !strings.Contains(auth, key) && !strings.Contains(auth, jwt) {
				t.Fatalf("%q opened a staff route", auth)
			}
		case http.StatusUnauthorized:
			if auth == "Bearer "+key || auth == "Bearer "+jwt {
				t.Fatalf("a real credential was refused: %s", raw)
			}
			if !bytes.Contains(raw, []byte(`"code":"unauthorized"`)) {
				t.Fatalf("401 without the envelope: %s", raw)
			}
		default:
			t.Fatalf("%q: %d %s", auth, status, raw)
		}
	})
}
