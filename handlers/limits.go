package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/limits"
	"github.com/rightsdesk/rightsdesk/models"
)

// abuse is the server's abuse limits, built from Deps.Limits. Each part is
// nil, and limits nothing, when its rate is off.
type abuse struct {
	ip     *limits.Buckets  // public POSTs per client address
	email  *limits.Buckets  // submissions per email address
	login  *limits.Failures // failed sign-ins per account and per address
	tokens *limits.Failures // unknown or spent link tokens, bad keys, per address
}

func newAbuse(c limits.Config, now func() time.Time) abuse {
	return abuse{
		ip:     limits.NewBuckets(c.IP, now),
		email:  limits.NewBuckets(c.Email, now),
		login:  limits.NewFailures(c.Login, now),
		tokens: limits.NewFailures(c.Tokens, now),
	}
}

// tooMany is the answer of every limit: 429 with Retry-After in seconds.
func tooMany(c echo.Context, wait time.Duration, message string) error {
	c.Response().Header().Set("Retry-After", limits.RetryAfter(wait))
	return apiErr(http.StatusTooManyRequests, "rate_limited", message)
}

// maxEmailKey is the longest email kept as a key (RFC 5321's 254, with
// room): a longer one is not an address, and must not fill memory.
const maxEmailKey = 320

// ipKey is the limits' key of the client address. The address is the
// connection's (e.IPExtractor), never a header a client could forge.
func ipKey(c echo.Context) string { return "ip:" + c.RealIP() }

// limitIP limits the public POST endpoints per client address.
func (s *Server) limitIP(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if wait, ok := s.abuse.ip.Allow(ipKey(c)); !ok {
			return tooMany(c, wait, "too many requests from this address; try again later")
		}
		return next(c)
	}
}

// limitEmail spends one submission of an email address. It is called once
// the body is decoded, before anything is written. The answer does not
// depend on whether the address is known, so it tells an attacker nothing.
func (s *Server) limitEmail(c echo.Context, email string) error {
	key := models.NormalizeEmail(email)
	if key == "" || len(key) > maxEmailKey {
		return nil // not an address: the workflow refuses it with a 400
	}
	if wait, ok := s.abuse.email.Allow("email:" + key); !ok {
		return tooMany(c, wait, "too many requests for this email address; try again later")
	}
	return nil
}

// guardTokens counts, per address, the answers that mean a secret was
// wrong (an unknown or spent link token: 404 and 410; an unknown key or
// token: 401), and refuses every guarded route from an address with too
// many. Link tokens carry 128 bits and keys 256, so guessing is hopeless
// anyway; this stops a burst from costing us database lookups and log
// lines.
func (s *Server) guardTokens(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.abuse.tokens == nil {
			return next(c)
		}
		if err := s.secretsBlocked(c); err != nil {
			return err
		}
		err := next(c)
		if err != nil {
			c.Error(err) // write the answer now, to read its status
		}
		switch c.Response().Status {
		case http.StatusNotFound, http.StatusGone, http.StatusUnauthorized:
			s.wrongSecret(c)
		}
		// The error goes on up, answered already, so that the access log
		// and error reporting still see it.
		return err
	}
}

// secretsBlocked refuses an address that sent too many wrong keys or
// tokens; wrongSecret counts one more. They guard the Bearer checks, which
// guardTokens cannot wrap: there a 404 is a missing record, not a guess.
func (s *Server) secretsBlocked(c echo.Context) error {
	if wait, blocked := s.abuse.tokens.Blocked(ipKey(c)); blocked {
		return tooMany(c, wait, "too many wrong links or keys from this address; try again later")
	}
	return nil
}

func (s *Server) wrongSecret(c echo.Context) { s.abuse.tokens.Fail(ipKey(c)) }

// loginKeys are the keys a sign-in counts against: the address, and the
// account when the email is one.
func loginKeys(c echo.Context, email string) []string {
	keys := []string{ipKey(c)}
	if e := models.NormalizeEmail(email); e != "" && len(e) <= maxEmailKey {
		keys = append(keys, "email:"+e)
	}
	return keys
}
