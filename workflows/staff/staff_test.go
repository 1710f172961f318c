package staff_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/workflows/staff"
)

func newService(t *testing.T) *staff.Service {
	staff.BcryptCost = 4
	return staff.New(testdb.Open(t), func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) })
}

func TestBootstrapCreatesTheFirstAdminOnce(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	pw, created, err := s.Bootstrap(ctx, "root@example.com", "")
	if err != nil || !created || len(pw) < 20 {
		t.Fatalf("first bootstrap: %q %v %v", pw, created, err)
	}
	u, err := s.Authenticate(ctx, "ROOT@example.com ", pw)
	if err != nil || u.Role != "admin" {
		t.Fatalf("generated password: %+v %v", u, err)
	}
	if _, created, err := s.Bootstrap(ctx, "other@example.com", "another long password"); created || err != nil {
		t.Fatalf("second bootstrap must do nothing: %v %v", created, err)
	}
	if _, err := s.Authenticate(ctx, "other@example.com", "another long password"); !errors.Is(err, staff.ErrBadCredentials) {
		t.Fatalf("second bootstrap created a user: %v", err)
	}
	if _, created, _ := s.Bootstrap(ctx, "", ""); created {
		t.Fatal("no email, no bootstrap")
	}
}

func TestPasswordsAndRoles(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	for _, c := range []struct{ email, role, pw, field string }{
		{"a@example.com", "admin", "short", "password"},
		{"a@example.com", "owner", "long enough password", "role"},
		{"not an email", "agent", "long enough password", "email"},
	} {
		var ie *staff.InputError
		if _, err := s.CreateUser(ctx, c.email, c.role, c.pw); !errors.As(err, &ie) || ie.Field != c.field {
			t.Errorf("%+v: %v", c, err)
		}
	}
	u, err := s.CreateUser(ctx, "a@example.com", "agent", "long enough password")
	if err != nil || u.PasswordHash == "long enough password" || u.PasswordHash[:4] != "$2a$" {
		t.Fatalf("stored password must be a bcrypt hash: %+v %v", u, err)
	}
	if _, err := s.Authenticate(ctx, "a@example.com", "wrong password!!"); !errors.Is(err, staff.ErrBadCredentials) {
		t.Fatal("wrong password accepted")
	}
}

func TestAPIKeysAreShownOnceAndStoredHashed(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	key, k, err := s.CreateAPIKey(ctx, "crm", []string{"consents:read"}, "test")
	if err != nil || k.KeyHash == key || len(key) < 30 {
		t.Fatalf("%q %+v %v", key, k, err)
	}
	got, err := s.APIKey(ctx, key)
	if err != nil || got.ID != k.ID || got.LastUsedAt == nil {
		t.Fatalf("lookup: %+v %v", got, err)
	}
	if _, err := s.APIKey(ctx, key+"x"); err == nil {
		t.Fatal("a wrong key was accepted")
	}
}
