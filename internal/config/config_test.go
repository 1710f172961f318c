package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/limits"
)

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// The environment overrides the policy's rate_limits one limit at a time.
func TestRateLimitsFromPolicyThenEnvironment(t *testing.T) {
	c, err := Load(lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits != limits.Defaults() {
		t.Fatalf("no policy, no env: %+v, want the defaults", c.Limits)
	}

	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte("organization: {name: Acme}\nrate_limits: {ip: 100/1m, email: 2/1h}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load(lookup(map[string]string{
		"RIGHTSDESK_POLICY":            path,
		"RIGHTSDESK_RATE_LIMIT_EMAIL":  "off",
		"RIGHTSDESK_RATE_LIMIT_TOKENS": "3/10m",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := limits.Config{
		IP:     limits.Rate{N: 100, Per: time.Minute},    // the policy's
		Email:  limits.Rate{},                            // the environment's "off" beats the policy's 2/1h
		Login:  limits.Defaults().Login,                  // neither: the default
		Tokens: limits.Rate{N: 3, Per: 10 * time.Minute}, // the environment's
	}
	if c.Limits != want {
		t.Fatalf("limits = %+v, want %+v", c.Limits, want)
	}
}

func TestBadRateLimitNamesTheVariable(t *testing.T) {
	_, err := Load(lookup(map[string]string{"RIGHTSDESK_RATE_LIMIT_LOGIN": "5 per minute"}))
	if e, ok := err.(*Error); !ok || e.Var != "RIGHTSDESK_RATE_LIMIT_LOGIN" {
		t.Fatalf("err = %v, want an *Error naming RIGHTSDESK_RATE_LIMIT_LOGIN", err)
	}
}
