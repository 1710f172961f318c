package policy

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/rightsdesk/rightsdesk/internal/limits"
	"github.com/rightsdesk/rightsdesk/workflows/clocks"
)

// Defaults for keys a policy file leaves out.
const (
	defaultTokenTTL    = 24 * time.Hour
	defaultExpireAfter = 7 * 24 * time.Hour
	defaultWarnBefore  = 7 * 24 * time.Hour
	defaultGrace       = 7 * 24 * time.Hour
)

// Purpose keys travel in URLs, API bodies and the database.
var purposeKeyRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// builder walks the node tree of a file that already passed checkSchema, so
// every node has the shape the schema wants; what remains are the checks of
// meaning, each reported at the line of the value at fault.
type builder struct {
	source string
	p      *Policy

	org          *yaml.Node // where organization.name is, or would be; nil when organization is absent
	optOutLine   int        // line of opt_out in request_types, 0 when not listed
	withdrawLine int        // line of consent_withdrawal in request_types
	loc          *time.Location
	verif        *yaml.Node // the verification key, nil when absent
	// offered collects the regimes named anywhere in the file.
	offered map[string]bool
}

func (b *builder) errf(n *yaml.Node, format string, args ...any) error {
	line := 1
	if n != nil {
		line = max(n.Line, 1)
	}
	return &Error{Source: b.source, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func build(doc *yaml.Node, source string) (*Policy, error) {
	b := &builder{source: source, offered: map[string]bool{}, loc: time.UTC, p: &Policy{
		DefaultRegime:  clocks.Default,
		RequestTypes:   slices.Clone(RequestTypes),
		Regimes:        map[string]clocks.Rules{},
		CountryRegimes: map[string]string{},
		Timezone:       "UTC",
		Verification:   Verification{TokenTTL: defaultTokenTTL, ExpireAfter: defaultExpireAfter},
		Escalation:     Escalation{WarnBefore: defaultWarnBefore, Grace: defaultGrace},
		RateLimits:     limits.Defaults(),
	}}
	var err error
	for k, v := range pairs(doc) {
		switch k.Value {
		case "organization":
			b.org = k
			err = b.organization(v)
		case "grievance_officer":
			err = b.officer(v)
		case "default_regime":
			err = b.defaultRegime(v)
		case "request_types":
			err = b.requestTypes(v)
		case "purposes":
			err = b.purposes(v)
		case "regimes":
			err = b.regimes(v)
		case "country_regimes":
			err = b.countryRegimes(v)
		case "timezone":
			err = b.timezone(v)
		case "holidays":
			err = b.holidays(v)
		case "verification":
			b.verif = k
			err = b.verification(v)
		case "escalation":
			err = b.escalation(v)
		case "rate_limits":
			err = b.rateLimits(v)
		default: // checkSchema let it through: the two lists are out of step
			err = b.errf(k, "unknown key %q", k.Value)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := b.crossChecks(doc); err != nil {
		return nil, err
	}
	b.p.finish(b.loc)
	return b.p, nil
}

// crossChecks runs the checks that need the whole file, then gives every
// regime offered without overrides the contract's rules.
func (b *builder) crossChecks(doc *yaml.Node) error {
	p := b.p
	if p.Organization.Name == "" {
		at := doc
		if b.org != nil {
			at = b.org
		}
		return b.errf(at, "organization.name is required: the server signs every email with it")
	}
	if b.optOutLine > 0 && !slices.ContainsFunc(OptOutScopes, func(s string) bool { _, ok := p.Purpose(s); return ok }) {
		return b.errf(&yaml.Node{Line: b.optOutLine},
			"opt_out is offered but no purpose is an opt-out scope; add a purpose keyed one of %s, or drop opt_out",
			strings.Join(OptOutScopes, ", "))
	}
	if b.withdrawLine > 0 && len(p.Purposes) == 0 {
		return b.errf(&yaml.Node{Line: b.withdrawLine},
			"consent_withdrawal is offered but the policy lists no purposes to withdraw")
	}
	if p.Verification.TokenTTL > p.Verification.ExpireAfter {
		return b.errf(b.verif, "verification.token_ttl (%s) is longer than verification.expire_after (%s): links would outlive their requests",
			p.Verification.TokenTTL, p.Verification.ExpireAfter)
	}
	b.offer(p.DefaultRegime)
	defaults := clocks.DefaultRules()
	for name := range b.offered {
		if _, ok := p.Regimes[name]; !ok {
			p.Regimes[name] = defaults[name]
		}
	}
	return nil
}

// timezone accepts an IANA zone name. "Local" is refused: it would make the
// clocks depend on the host the server runs on.
func (b *builder) timezone(n *yaml.Node) error {
	name := str(n)
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" || name == "Local" {
		return b.errf(n, "unknown time zone %q: use an IANA name such as Europe/Paris or Asia/Kolkata", name)
	}
	b.p.Timezone, b.loc = name, loc
	return nil
}

func (b *builder) organization(n *yaml.Node) error {
	o := &b.p.Organization
	for k, v := range pairs(n) {
		switch k.Value {
		case "name":
			o.Name, b.org = str(v), v
		case "privacy_email":
			e, err := b.email(v)
			if err != nil {
				return err
			}
			o.PrivacyEmail = e
		case "policy_version":
			o.PolicyVersion = str(v)
		case "policy_url":
			u := str(v)
			if pu, err := url.Parse(u); u != "" && (err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "") {
				return b.errf(v, "policy_url %q must be an absolute http or https URL", u)
			}
			o.PolicyURL = u
		}
	}
	return nil
}

func (b *builder) officer(n *yaml.Node) error {
	o := &b.p.GrievanceOfficer
	for k, v := range pairs(n) {
		switch k.Value {
		case "name":
			o.Name = str(v)
		case "email":
			e, err := b.email(v)
			if err != nil {
				return err
			}
			o.Email = e
		case "address":
			o.Address = str(v)
		}
	}
	return nil
}

// email accepts a bare address: the value is used as a recipient and shown
// to requesters, so a display name or angle brackets would be a mistake.
func (b *builder) email(n *yaml.Node) (string, error) {
	s := str(n)
	if s == "" {
		return "", nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", b.errf(n, "%q is not an email address such as privacy@example.com", s)
	}
	return s, nil
}

func (b *builder) defaultRegime(n *yaml.Node) error {
	if isNull(n) {
		return nil
	}
	name := str(n)
	if err := b.knownRegime(n, name); err != nil {
		return err
	}
	b.p.DefaultRegime = name
	b.offer(name)
	return nil
}

func (b *builder) knownRegime(n *yaml.Node, name string) error {
	if !slices.Contains(clocks.Regimes, name) {
		return b.errf(n, "unknown regime %q (known: %s)", name, strings.Join(clocks.Regimes, ", "))
	}
	return nil
}

func (b *builder) offer(name string) { b.offered[name] = true }

func (b *builder) requestTypes(n *yaml.Node) error {
	if isNull(n) {
		return nil
	}
	items := elems(n)
	if len(items) == 0 {
		return b.errf(n, "request_types is empty: list the types the policy offers, or leave the key out to offer all")
	}
	seen := map[string]int{}
	for _, v := range items {
		t := str(v)
		if !slices.Contains(RequestTypes, t) {
			return b.errf(v, "unknown request type %q (known: %s)", t, strings.Join(RequestTypes, ", "))
		}
		if first, dup := seen[t]; dup {
			return b.errf(v, "request type %q is listed twice (first at line %d)", t, first)
		}
		seen[t] = v.Line
	}
	// Canonical order, so forms list types the same way for every policy.
	b.p.RequestTypes = slices.DeleteFunc(slices.Clone(RequestTypes), func(t string) bool { _, ok := seen[t]; return !ok })
	b.optOutLine, b.withdrawLine = seen["opt_out"], seen["consent_withdrawal"]
	return nil
}

func (b *builder) purposes(n *yaml.Node) error {
	seen := map[string]int{}
	for _, item := range elems(n) {
		var pu Purpose
		var keyNode, defNode *yaml.Node
		for k, v := range pairs(item) {
			switch k.Value {
			case "key":
				pu.Key, keyNode = str(v), v
			case "title":
				pu.Title = str(v)
			case "description":
				pu.Description = str(v)
			case "legal_basis":
				pu.LegalBasis = str(v)
			case "default":
				pu.Default, defNode = str(v), v
			}
		}
		switch {
		case keyNode == nil || pu.Key == "":
			return b.errf(item, "a purpose needs a key")
		case !purposeKeyRe.MatchString(pu.Key):
			return b.errf(keyNode, "purpose key %q must be lower-case letters, digits and underscores, starting with a letter", pu.Key)
		}
		if first, dup := seen[pu.Key]; dup {
			return b.errf(keyNode, "purpose %q is listed twice (first at line %d)", pu.Key, first)
		}
		seen[pu.Key] = keyNode.Line
		// No default of our own: whether consent holds before anyone asked
		// is the organisation's decision, and the law's, not the server's.
		if defNode == nil {
			return b.errf(item, "purpose %q needs a default: granted or withdrawn", pu.Key)
		}
		if pu.Default != Granted && pu.Default != Withdrawn {
			return b.errf(defNode, "purpose %q has default %q: want granted or withdrawn", pu.Key, pu.Default)
		}
		if pu.Title == "" {
			pu.Title = pu.Key
		}
		b.p.Purposes = append(b.p.Purposes, pu)
	}
	return nil
}

func (b *builder) holidays(n *yaml.Node) error {
	for _, v := range elems(n) {
		d, err := clocks.ParseDate(str(v))
		if err != nil {
			return b.errf(v, "holiday %q is not a date such as 2026-01-26", v.Value)
		}
		b.p.Holidays = append(b.p.Holidays, d)
	}
	return nil
}

func (b *builder) verification(n *yaml.Node) error {
	for k, v := range pairs(n) {
		d, err := b.duration(k, v, false)
		if err != nil {
			return err
		}
		switch k.Value {
		case "token_ttl":
			b.p.Verification.TokenTTL = d
		case "expire_after":
			b.p.Verification.ExpireAfter = d
		}
	}
	return nil
}

func (b *builder) escalation(n *yaml.Node) error {
	for k, v := range pairs(n) {
		d, err := b.duration(k, v, true)
		if err != nil {
			return err
		}
		switch k.Value {
		case "warn_before":
			b.p.Escalation.WarnBefore = d
		case "grace":
			b.p.Escalation.Grace = d
		}
	}
	return nil
}

// rateLimits reads each limit as N/DURATION or off.
func (b *builder) rateLimits(n *yaml.Node) error {
	for k, v := range pairs(n) {
		r, err := limits.ParseRate(str(v))
		if err != nil {
			return b.errf(v, "rate_limits.%s %v", k.Value, err)
		}
		switch k.Value {
		case "ip":
			b.p.RateLimits.IP = r
		case "email":
			b.p.RateLimits.Email = r
		case "login":
			b.p.RateLimits.Login = r
		case "tokens":
			b.p.RateLimits.Tokens = r
		}
	}
	return nil
}

// duration parses a Go duration. Zero is allowed only where it means
// "at once" (escalation), never for a link's lifetime.
func (b *builder) duration(k, v *yaml.Node, zeroOK bool) (time.Duration, error) {
	s := str(v)
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, b.errf(v, "%s %q is not a duration: use Go units such as 24h or 168h (there is no d unit)", k.Value, s)
	}
	if d < 0 {
		return 0, b.errf(v, "%s %q must not be negative", k.Value, s)
	}
	if d == 0 && !zeroOK {
		return 0, b.errf(v, "%s %q must be more than 0", k.Value, s)
	}
	return d, nil
}
