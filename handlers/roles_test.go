package handlers_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/testutil/apptest"
	"github.com/rightsdesk/rightsdesk/models"
)

// Every staff endpoint of the JSON API, walked with every role, an API key
// of each relevant scope, and no credentials. The console's pages have their
// own table (console tests).
func TestAPIRolesTable(t *testing.T) {
	app := apptest.New(t, apptest.Options{})
	ctx := context.Background()
	callers := map[string]string{"none": ""}
	for _, role := range models.Roles {
		callers[role] = app.StaffToken(role+"@example.com", role)
	}
	for _, scope := range []string{models.ScopeRequestsRead, models.ScopeRequestsWrite, models.ScopeConsentsRead} {
		key, _, err := app.Staff.CreateAPIKey(ctx, "key-"+scope, []string{scope}, "test")
		if err != nil {
			t.Fatal(err)
		}
		callers["key:"+scope] = key
	}
	id := openRequest(t, app, map[string]any{"type": "access"})
	intake := map[string]any{"type": "access", "email": "post@example.com", "received_at": "2026-01-30T09:00:00Z", "verified": true}
	note := map[string]any{"action": "note", "note": "checked"}

	type route struct {
		method, path string
		body         any
	}
	routes := []route{
		{"GET", "/api/v1/requests", nil},
		{"GET", "/api/v1/requests/" + id, nil},
		{"GET", "/api/v1/reports/metrics?year=2026", nil},
		{"GET", "/api/v1/outbox", nil},
		{"POST", "/api/v1/requests/intake", intake},
		{"POST", "/api/v1/requests/" + id + "/actions", note},
	}
	// want[caller] lists the statuses of routes, in order.
	want := map[string][]int{
		"admin":                            {200, 200, 200, 200, 201, 200},
		"agent":                            {200, 200, 200, 403, 201, 200},
		"grievance_officer":                {200, 200, 200, 403, 201, 200},
		"auditor":                          {200, 200, 200, 403, 403, 403},
		"none":                             {401, 401, 401, 401, 401, 401},
		"key:" + models.ScopeRequestsRead:  {200, 200, 200, 403, 403, 403},
		"key:" + models.ScopeRequestsWrite: {403, 403, 403, 403, 201, 200},
		"key:" + models.ScopeConsentsRead:  {403, 403, 403, 403, 403, 403},
	}
	for caller, statuses := range want {
		for i, r := range routes {
			t.Run(fmt.Sprintf("%s %s %s", caller, r.method, r.path), func(t *testing.T) {
				got := app.Do(r.method, r.path, r.body, callers[caller])
				if got.Status != statuses[i] {
					t.Fatalf("%d, want %d: %s", got.Status, statuses[i], got.Body)
				}
			})
		}
	}
}
