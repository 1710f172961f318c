// Package auth issues and checks the staff JWTs. Only HS256 is accepted:
// "none" and every other algorithm are refused before any key is used.
package auth

import (
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const issuer = "rightsdesk"

// ErrInvalidToken is every reason a token is refused.
var ErrInvalidToken = errors.New("invalid or expired token")

// JWT signs and verifies staff tokens.
type JWT struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// NewJWT returns a signer with key (derived from RIGHTSDESK_SECRET).
func NewJWT(key []byte, ttl time.Duration, now func() time.Time) *JWT {
	return &JWT{key: key, ttl: ttl, now: now}
}

// Claims are what a staff token says.
type Claims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

// Issue returns a token for a staff user, and when it expires.
func (j *JWT) Issue(userID, role string) (string, time.Time, error) {
	now := j.now()
	exp := now.Add(j.ttl)
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, Claims{Role: role, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: issuer, Subject: userID, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
	}})
	s, err := t.SignedString(j.key)
	return s, exp, err
}

// Parse verifies a token and returns the staff user id it names.
func (j *JWT) Parse(token string) (string, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return j.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithTimeFunc(j.now), jwt.WithLeeway(30*time.Second))
	if err != nil || c.Subject == "" {
		return "", ErrInvalidToken
	}
	return c.Subject, nil
}
