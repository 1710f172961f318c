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
	if !mayHoldSecret(s) || !secretish.MatchString(s) {
		return s
	}
	return secretish.ReplaceAllString(s, Redacted)
}

// mayHoldSecret is a cheap necessary condition for secretish to match,
// so that the strings of nearly every log line (messages, route patterns,
// methods, ids) skip the regexp: each alternative needs something this
// scan looks for. An email needs '@'; a JWT "eyJ"; a key '_'; a link token
// 26 characters of [A-Z2-7] in a row; a bearer credential a whitespace
// character (\s is [\t\n\f\r ]). A false "maybe" only costs the regexp;
// TestScrubPrefilterNeverSkipsAMatch holds the "no" side.
func mayHoldSecret(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '@', c == '_', c == ' ', c == '\t', c == '\n', c == '\r', c == '\f':
			return true
		case c == 'e' && i+2 < len(s) && s[i+1] == 'y' && s[i+2] == 'J':
			return true
		case 'A' <= c && c <= 'Z', '2' <= c && c <= '7':
			if run++; run >= 26 {
				return true
			}
		default:
			run = 0
		}
	}
	return false
}
