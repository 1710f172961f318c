package observe

import "regexp"

// secretish matches what must never reach a log line or an error report,
// whatever code path put it in a string: email addresses (and URL
// credentials, which look alike), JWTs, rightsdesk's API, system and
// webhook keys, Resend keys, link tokens (26 base32 characters, see
// secrets.NewToken) and bearer credentials. Names and free text have no
// shape a pattern could catch: those are kept out at the call sites.
var secretish = regexp.MustCompile(
	`[^\s@<>"'(),;:\[\]/\\]+@[^\s@<>"'(),;:\[\]/\\]+` + // email, user@host
		`|eyJ[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*){0,2}` + // JWT (base64url of `{"`)
		`|\b(?:rdk|rds|whsec|re)_[A-Za-z0-9_]+` + // API, system, webhook, Resend keys
		`|\b[A-Z2-7]{26}\b` + // link token
		`|(?i:bearer)\s+\S+`) // Authorization value

// Redacted replaces each secret-looking part of a scrubbed string.
const Redacted = "[redacted]"

// Scrub returns s with every email address, token and key replaced by
// Redacted.
func Scrub(s string) string {
	if !secretish.MatchString(s) {
		return s
	}
	return secretish.ReplaceAllString(s, Redacted)
}
