package staff_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
)

func TestConsoleUserManagement(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	admin, pw, err := s.CreateUserWithPassword(ctx, "boss@example.com", models.RoleAdmin)
	if err != nil || len(pw) < 20 {
		t.Fatalf("create: %q %v", pw, err)
	}
	if _, err := s.Authenticate(ctx, "boss@example.com", pw); err != nil {
		t.Fatalf("the generated password does not log in: %v", err)
	}
	if _, _, err := s.CreateUserWithPassword(ctx, "BOSS@example.com", models.RoleAgent); err == nil {
		t.Fatal("a duplicate email was accepted")
	}
	var ie *staff.InputError
	if _, _, err := s.CreateUserWithPassword(ctx, "x@example.com", "superuser"); !errors.As(err, &ie) || ie.Field != "role" {
		t.Fatalf("bad role: %v", err)
	}
	agent, agentPW, _ := s.CreateUserWithPassword(ctx, "agent@example.com", models.RoleAgent)
	if _, _, err := s.CreateUserWithPassword(ctx, "audit@example.com", models.RoleAuditor); err != nil {
		t.Fatal(err)
	}

	if _, err := s.SetDisabled(ctx, admin.ID, admin.ID, true); !errors.Is(err, staff.ErrSelf) {
		t.Fatalf("disabling oneself: %v", err)
	}
	u, err := s.SetDisabled(ctx, admin.ID, agent.ID, true)
	if err != nil || u.DisabledAt == nil {
		t.Fatalf("disable: %+v %v", u, err)
	}
	if _, err := s.User(ctx, agent.ID); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("a disabled user still resolves: %v", err)
	}
	if _, err := s.Authenticate(ctx, "agent@example.com", agentPW); !errors.Is(err, staff.ErrBadCredentials) {
		t.Fatalf("a disabled user logs in: %v", err)
	}
	workers, _ := s.Workers(ctx)
	if len(workers) != 1 || workers[0].Email != "boss@example.com" {
		t.Fatalf("workers (no auditor, no disabled user): %v", workers)
	}
	if u, err := s.SetDisabled(ctx, admin.ID, agent.ID, false); err != nil || u.DisabledAt != nil {
		t.Fatalf("enable: %+v %v", u, err)
	}
	if _, err := s.Authenticate(ctx, "agent@example.com", agentPW); err != nil {
		t.Fatalf("an enabled user cannot log in: %v", err)
	}
	if _, err := s.SetDisabled(ctx, admin.ID, "no-such-id", true); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	users, _ := s.Users(ctx)
	if len(users) != 3 {
		t.Fatalf("users: %d", len(users))
	}
}

func TestConsoleKeyRevocation(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	key, k, err := s.CreateAPIKey(ctx, "crm", []string{models.ScopeRequestsRead}, "boss@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.APIKey(ctx, key); err != nil {
		t.Fatalf("a live key is refused: %v", err)
	}
	r, err := s.RevokeAPIKey(ctx, k.ID)
	if err != nil || r.RevokedAt == nil {
		t.Fatalf("revoke: %+v %v", r, err)
	}
	if _, err := s.APIKey(ctx, key); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("a revoked key is accepted: %v", err)
	}
	keys, _ := s.APIKeys(ctx)
	if len(keys) != 1 || keys[0].RevokedAt == nil {
		t.Fatalf("keys: %+v", keys)
	}
	if _, err := s.RevokeAPIKey(ctx, "nope"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
}
