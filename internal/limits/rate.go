// Package limits holds rightsdesk's abuse limits as plain Go: a token bucket
// per key (an IP address, an email) for the public endpoints, and a failure
// counter per key (an account, an address) for sign-in and link tokens. The
// counts live in the memory of one server instance; see docs/security.md.
package limits

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is N events per Per. The zero Rate is off: nothing is limited.
type Rate struct {
	N   int
	Per time.Duration
}

// Off reports whether the rate limits nothing.
func (r Rate) Off() bool { return r.N <= 0 || r.Per <= 0 }

// String writes the rate as ParseRate reads it.
func (r Rate) String() string {
	if r.Off() {
		return "off"
	}
	return strconv.Itoa(r.N) + "/" + shortDuration(r.Per)
}

// ParseRate reads "N/DURATION" (30/1m, 5/1h, 20/15m) or "off". A bare
// duration unit stands for one of it ("5/h" is "5/1h").
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return Rate{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, fmt.Errorf("must be N/DURATION such as 30/1m, or off; got %q", s)
	}
	count, err := strconv.Atoi(n)
	if err != nil || count < 1 || count > 1_000_000 {
		return Rate{}, fmt.Errorf("the count of %q must be a whole number from 1 to 1000000", s)
	}
	if per != "" && !strings.ContainsAny(per[:1], "0123456789") {
		per = "1" + per
	}
	d, err := time.ParseDuration(per)
	if err != nil || d < time.Second || d > 7*24*time.Hour {
		return Rate{}, fmt.Errorf("the duration of %q must be from 1s to 168h, such as 1m or 1h", s)
	}
	return Rate{N: count, Per: d}, nil
}

// shortDuration drops time.Duration's trailing zero units: 1h, not 1h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	for _, z := range []string{"m0s", "h0m"} {
		if strings.HasSuffix(s, z) {
			s = strings.TrimSuffix(s, z[1:])
		}
	}
	return s
}

// Config is every abuse limit of a server.
type Config struct {
	// IP limits the public POST endpoints per client address.
	IP Rate
	// Email limits submissions per email address (intake, the form, the
	// consent center's link request): it stops rightsdesk from being used to
	// flood someone's inbox.
	Email Rate
	// Login locks an account, or an address, after N failed sign-ins within
	// Per, for Per.
	Login Rate
	// Tokens locks an address after N unknown or spent link tokens within
	// Per, for Per.
	Tokens Rate
}

// Defaults are the limits when neither the policy nor the environment sets
// them: generous for a person, tight for a script.
func Defaults() Config {
	return Config{
		IP:     Rate{N: 30, Per: time.Minute},
		Email:  Rate{N: 5, Per: time.Hour},
		Login:  Rate{N: 5, Per: 15 * time.Minute},
		Tokens: Rate{N: 20, Per: 15 * time.Minute},
	}
}

// RetryAfter is a Retry-After header value: whole seconds, rounded up, at
// least 1.
func RetryAfter(wait time.Duration) string {
	s := int((wait + time.Second - 1) / time.Second)
	return strconv.Itoa(max(s, 1))
}
