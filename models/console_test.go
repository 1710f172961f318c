package models_test

import (
	"errors"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
)

func TestConsoleCountsDeadlinesAndEscalations(t *testing.T) {
	s := testdb.Open(t)
	base := time.Date(2026, 3, 1, 23, 59, 59, 0, time.UTC)
	rows := []struct {
		id, status  string
		days, level int
	}{
		{"a", "open", 3, 0}, {"b", "open", 1, 2}, {"c", "in_progress", 10, 3},
		{"d", "completed", 0, 0}, {"e", "awaiting_requester", 5, 2}, {"f", "pending_verification", 7, 0},
	}
	for i, r := range rows {
		req := newRequest(r.id, "DSR-CONS-000"+string(rune('A'+i)), base.AddDate(0, 0, r.days))
		req.Status, req.EscalationLevel = r.status, r.level
		if err := s.CreateRequest(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	counts, err := s.CountRequestsByStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"open": 2, "in_progress": 1, "completed": 1, "awaiting_requester": 1, "pending_verification": 1}
	if len(counts) != len(want) {
		t.Fatalf("counts = %v", counts)
	}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("count %s = %d, want %d", k, counts[k], v)
		}
	}

	active := []string{"open", "in_progress", "awaiting_requester"}
	dl, err := s.Deadlines(ctx, active)
	if err != nil {
		t.Fatal(err)
	}
	var days []int
	for _, d := range dl {
		days = append(days, int(d.Sub(base)/(24*time.Hour)))
		if d.Location() != time.UTC {
			t.Errorf("deadline not in UTC: %v", d)
		}
	}
	if len(days) != 4 || days[0] != 1 || days[1] != 3 || days[2] != 5 || days[3] != 10 {
		t.Fatalf("deadlines (days after base) = %v", days)
	}

	esc, err := s.ListEscalated(ctx, 2, active, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids string
	for _, r := range esc {
		ids += r.ID
	}
	if ids != "cbe" { // level 3 first, then level 2 by due date
		t.Fatalf("escalated = %q", ids)
	}
	if n, err := s.CountEscalated(ctx, 2, active); err != nil || n != 3 {
		t.Fatalf("count escalated = %d %v", n, err)
	}
	if n, _ := s.CountEscalated(ctx, 3, active); n != 1 {
		t.Fatalf("count level 3 = %d", n)
	}
}

func TestConsoleStaffAndKeys(t *testing.T) {
	s := testdb.Open(t)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, e := range []string{"zed@example.com", "amy@example.com"} {
		if err := s.CreateStaffUser(ctx, &models.StaffUser{ID: e, Email: e, PasswordHash: "x", Role: "agent", CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	users, err := s.ListStaffUsers(ctx)
	if err != nil || len(users) != 2 || users[0].Email != "amy@example.com" {
		t.Fatalf("users: %v %v", users, err)
	}
	if err := s.SetStaffDisabled(ctx, "zed@example.com", &now); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.StaffUserByID(ctx, "zed@example.com"); u.DisabledAt == nil || !u.DisabledAt.Equal(now) {
		t.Fatalf("not disabled: %+v", u)
	}
	if err := s.SetStaffDisabled(ctx, "zed@example.com", nil); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.StaffUserByID(ctx, "zed@example.com"); u.DisabledAt != nil {
		t.Fatalf("not enabled: %+v", u)
	}
	if err := s.SetStaffDisabled(ctx, "nobody", &now); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}

	for i, name := range []string{"old", "new"} {
		k := &models.APIKey{ID: name, Name: name, Prefix: "rdk_" + name, KeyHash: "hash-" + name, Scopes: "requests:read", CreatedAt: now.Add(time.Duration(i) * time.Hour)}
		if err := s.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := s.ListAPIKeys(ctx)
	if err != nil || len(keys) != 2 || keys[0].Name != "new" {
		t.Fatalf("keys: %v %v", keys, err)
	}
	if err := s.RevokeAPIKey(ctx, "old", now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.APIKeyByHash(ctx, "hash-old"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("a revoked key is still found: %v", err)
	}
	if err := s.RevokeAPIKey(ctx, "old", now.Add(time.Hour)); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	if k, _ := s.APIKeyByID(ctx, "old"); k.RevokedAt == nil || !k.RevokedAt.Equal(now) {
		t.Fatalf("second revocation moved the time: %+v", k)
	}
	if err := s.RevokeAPIKey(ctx, "nope", now); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := s.APIKeyByHash(ctx, "hash-new"); err != nil {
		t.Fatalf("the other key: %v", err)
	}
}
