// Package config reads rightsdesk's configuration from the environment. It
// is a table of options, each with its default and its check, so that a bad
// value stops start-up with one line naming the variable (and never echoing
// a secret back).
package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/limits"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/internal/secrets"
	"github.com/rightsdesk/rightsdesk/models"
)

// Config is the validated configuration.
type Config struct {
	Addr           string
	BaseURL        string // no trailing slash
	DatabaseURL    string
	PolicyPath     string // "" = built-in default
	Policy         *policy.Policy
	Secret         string // "" = generated once and kept in the database
	AdminEmail     string
	AdminPassword  string
	MailFrom       string
	SweepInterval  time.Duration
	RetentionDays  int
	ResendAPIKey   string
	ResendBaseURL  string
	SentryDSN      string
	SentryEnv      string
	LogFormat      string // json or text; "" = text in a terminal, JSON otherwise
	OutboxInterval time.Duration
	// FilesDir holds task answers and export packages (personal data, kept
	// only as long as a package is offered). Instances sharing a database
	// must share it too.
	FilesDir string
	// Limits are the abuse limits: the policy's rate_limits (or the
	// defaults), each overridden by its RIGHTSDESK_RATE_LIMIT_* variable.
	Limits limits.Config
	// CPUProfile, when set, is a file serve writes a CPU profile of its
	// whole run to (for load measurements; not for production).
	CPUProfile string
}

// Error is a configuration error: Var names the variable (or the policy
// file), Msg says what is wrong.
type Error struct{ Var, Msg string }

func (e *Error) Error() string { return e.Var + ": " + e.Msg }

type option struct {
	name   string
	def    string
	secret bool
	apply  func(c *Config, v string) error
}

var options = []option{
	{"RIGHTSDESK_ADDR", ":8080", false, func(c *Config, v string) error {
		if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
			return fmt.Errorf("must be host:port such as :8080 or 127.0.0.1:8080, got %q", v)
		}
		c.Addr = v
		return nil
	}},
	{"RIGHTSDESK_BASE_URL", "http://localhost:8080", false, func(c *Config, v string) error {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("must be an absolute http or https URL such as https://privacy.example.com, got %q", v)
		}
		c.BaseURL = strings.TrimRight(v, "/")
		return nil
	}},
	{"RIGHTSDESK_DATABASE_URL", "sqlite://data/rightsdesk.db", true, func(c *Config, v string) error {
		if _, _, err := models.ParseDatabaseURL(v); err != nil {
			return err
		}
		c.DatabaseURL = v
		return nil
	}},
	{"RIGHTSDESK_MAIL_FROM", "privacy@localhost", false, func(c *Config, v string) error {
		a, err := mail.ParseAddress(v)
		if err != nil || a.Name != "" {
			return fmt.Errorf("must be a bare email address such as privacy@example.com, got %q", v)
		}
		c.MailFrom = a.Address
		return nil
	}},
	// The policy is read after MAIL_FROM: the default policy's officer uses it.
	{"RIGHTSDESK_POLICY", "", false, func(c *Config, v string) error {
		c.PolicyPath = v
		if v == "" {
			c.Policy = policy.Default(c.MailFrom)
			c.Limits = c.Policy.RateLimits
			return nil
		}
		p, err := policy.Load(v)
		if err != nil {
			return err
		}
		c.Policy = p
		c.Limits = p.RateLimits
		return nil
	}},
	{"RIGHTSDESK_SECRET", "", true, func(c *Config, v string) error {
		if v != "" && len(v) < secrets.MinSecretBytes {
			return fmt.Errorf("must be at least %d bytes (got %d); generate one with: openssl rand -base64 48", secrets.MinSecretBytes, len(v))
		}
		c.Secret = v
		return nil
	}},
	{"RIGHTSDESK_ADMIN_EMAIL", "", false, func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		a, err := mail.ParseAddress(v)
		if err != nil || a.Name != "" {
			return fmt.Errorf("must be an email address, got %q", v)
		}
		c.AdminEmail = a.Address
		return nil
	}},
	{"RIGHTSDESK_ADMIN_PASSWORD", "", true, func(c *Config, v string) error {
		if v != "" && (len(v) < 12 || len(v) > 72) {
			return fmt.Errorf("must be 12 to 72 bytes long")
		}
		c.AdminPassword = v
		return nil
	}},
	{"RIGHTSDESK_SWEEP_INTERVAL", "1m", false, func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return fmt.Errorf("must be a duration of at least 1s such as 1m or 30s, got %q", v)
		}
		c.SweepInterval = d
		return nil
	}},
	{"RIGHTSDESK_RETENTION_DAYS", "730", false, func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("must be a positive whole number of days, got %q", v)
		}
		c.RetentionDays = n
		return nil
	}},
	{"RESEND_API_KEY", "", true, func(c *Config, v string) error {
		if strings.ContainsAny(v, " \t\r\n") {
			return fmt.Errorf("must not contain whitespace")
		}
		c.ResendAPIKey = v
		return nil
	}},
	{"RESEND_BASE_URL", "", false, func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("must be an absolute http or https URL, got %q", v)
		}
		c.ResendBaseURL = v
		return nil
	}},
	{"SENTRY_DSN", "", true, func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || u.Scheme == "" || u.Host == "" || u.User == nil {
			return fmt.Errorf("must be a Sentry DSN such as https://key@sentry.example.com/1")
		}
		c.SentryDSN = v
		return nil
	}},
	{"SENTRY_ENVIRONMENT", "", false, func(c *Config, v string) error { c.SentryEnv = v; return nil }},
	{"RIGHTSDESK_LOG_FORMAT", "", false, func(c *Config, v string) error {
		if v != "" && v != "json" && v != "text" {
			return fmt.Errorf("must be json or text, got %q", v)
		}
		c.LogFormat = v
		return nil
	}},
	{"RIGHTSDESK_OUTBOX_INTERVAL", "1s", false, func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Millisecond {
			return fmt.Errorf("must be a duration of at least 10ms, got %q", v)
		}
		c.OutboxInterval = d
		return nil
	}},
	{"RIGHTSDESK_FILES_DIR", "data/files", false, func(c *Config, v string) error {
		if v == "" {
			return fmt.Errorf("must be a directory path such as data/files")
		}
		c.FilesDir = v
		return nil
	}},
	{"RIGHTSDESK_CPU_PROFILE", "", false, func(c *Config, v string) error { c.CPUProfile = v; return nil }},
	// The rate limits come after the policy, whose values they override.
	rateLimitOption("RIGHTSDESK_RATE_LIMIT_IP", func(l *limits.Config) *limits.Rate { return &l.IP }),
	rateLimitOption("RIGHTSDESK_RATE_LIMIT_EMAIL", func(l *limits.Config) *limits.Rate { return &l.Email }),
	rateLimitOption("RIGHTSDESK_RATE_LIMIT_LOGIN", func(l *limits.Config) *limits.Rate { return &l.Login }),
	rateLimitOption("RIGHTSDESK_RATE_LIMIT_TOKENS", func(l *limits.Config) *limits.Rate { return &l.Tokens }),
}

// rateLimitOption reads one limit as N/DURATION or off; unset keeps the
// policy's value.
func rateLimitOption(name string, field func(*limits.Config) *limits.Rate) option {
	return option{name, "", false, func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		r, err := limits.ParseRate(v)
		if err != nil {
			return err
		}
		*field(&c.Limits) = r
		return nil
	}}
}

// Load reads every option through lookup (os.LookupEnv in production). The
// first bad value is returned as an *Error naming the variable; for the
// policy file its message names the file and the line.
func Load(lookup func(string) (string, bool)) (*Config, error) {
	c := &Config{}
	for _, o := range options {
		v, ok := lookup(o.name)
		if !ok {
			v = o.def
		}
		v = strings.TrimSpace(v)
		if err := o.apply(c, v); err != nil {
			return nil, &Error{Var: o.name, Msg: err.Error()}
		}
	}
	return c, nil
}
