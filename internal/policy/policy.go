// Package policy reads the policy file: what an organisation's privacy policy
// promises (request types, consent purposes, regimes and their clocks), so
// that the server offers exactly that and nothing more. A policy is loaded
// once at start-up and then only read, so it is safe for concurrent use.
package policy

import (
	"slices"
	"strings"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/limits"
	"github.com/rightsdesk/rightsdesk/workflows/clocks"
)

// RequestTypes are every request type rightsdesk knows, in the order forms
// and reports show them.
var RequestTypes = []string{"access", "export", "deletion", "correction", "opt_out",
	"consent_withdrawal", "restriction", "objection", "nomination", "grievance", "appeal"}

// OptOutScopes are the scopes an opt_out request may name. Each is also a
// consent purpose, withdrawn when the request is verified, so a policy that
// offers opt_out needs at least one of them among its purposes.
var OptOutScopes = []string{"sale_sharing", "targeted_ads", "model_training", "marketing", "profiling"}

// EEA lists the ISO 3166-1 alpha-2 codes of the European Economic Area: the
// 27 EU members plus Iceland, Liechtenstein and Norway, where the GDPR
// applies. "EU" in country_regimes stands for all of them. Greece is GR (ISO),
// not EL (the EU's own abbreviation).
var EEA = []string{
	"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
	"IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
	"IS", "LI", "NO",
}

// Purpose consent values.
const (
	Granted   = "granted"
	Withdrawn = "withdrawn"
)

// Organization is who makes the promises.
type Organization struct {
	Name          string `yaml:"name"`
	PrivacyEmail  string `yaml:"privacy_email"`
	PolicyVersion string `yaml:"policy_version"`
	PolicyURL     string `yaml:"policy_url"`
}

// Officer is the grievance officer, notified when a request escalates.
type Officer struct {
	Name    string `yaml:"name"`
	Email   string `yaml:"email"`
	Address string `yaml:"address"`
}

// Purpose is a consent purpose. Default is the state before any consent
// event: "granted" or "withdrawn".
type Purpose struct {
	Key         string `yaml:"key"`
	Title       string `yaml:"title"`
	Description string `yaml:"description"`
	LegalBasis  string `yaml:"legal_basis"`
	Default     string `yaml:"default"`
}

// DefaultGranted reports whether consent holds before any event.
func (p Purpose) DefaultGranted() bool { return p.Default == Granted }

// Verification bounds the requester's email check: a link lives TokenTTL, an
// unverified request is expired (and purged) after ExpireAfter.
type Verification struct {
	TokenTTL    time.Duration
	ExpireAfter time.Duration
}

// Escalation sets when a request escalates: level 1 WarnBefore its due date,
// level 3 Grace after it.
type Escalation struct {
	WarnBefore time.Duration
	Grace      time.Duration
}

// Policy is a loaded, validated policy. Build one with Load, Parse or
// Default: the zero value works but knows no purposes, offers nothing and
// counts in UTC.
type Policy struct {
	Organization     Organization
	GrievanceOfficer Officer
	DefaultRegime    string
	RequestTypes     []string
	Purposes         []Purpose
	// Regimes holds the full rules (defaults merged with the file's
	// overrides) of every offered regime.
	Regimes map[string]clocks.Rules
	// CountryRegimes maps upper-case ISO codes ("FR", "US-CA") to a regime,
	// with "EU" already expanded to every EEA code.
	CountryRegimes map[string]string
	Timezone       string
	Holidays       []clocks.Date
	Verification   Verification
	Escalation     Escalation
	// RateLimits are the abuse limits; the environment may override each.
	RateLimits limits.Config

	loc       *time.Location
	calendars map[string]*clocks.Calendar
}

// finish computes what the accessors serve from the exported fields: the
// zone and one calendar per known regime. Calendars exist for regimes the
// policy does not offer too, because requests stored under a regime the
// policy later dropped still need their clocks.
func (p *Policy) finish(loc *time.Location) {
	p.loc = loc
	p.calendars = make(map[string]*clocks.Calendar, len(clocks.Regimes))
	for _, name := range clocks.Regimes {
		p.calendars[name] = clocks.NewCalendar(loc, p.Holidays, p.Rules(name).USFederalHolidays)
	}
}

// Offers reports whether the policy offers the request type.
func (p *Policy) Offers(requestType string) bool {
	return slices.Contains(p.RequestTypes, requestType)
}

// OffersRegime reports whether requests may be handled under the regime.
func (p *Policy) OffersRegime(regime string) bool {
	_, ok := p.Regimes[regime]
	return ok
}

// OfferedRegimes lists the offered regimes in clocks.Regimes order, so forms
// and reports show them the same way every time.
func (p *Policy) OfferedRegimes() []string {
	var out []string
	for _, name := range clocks.Regimes {
		if p.OffersRegime(name) {
			out = append(out, name)
		}
	}
	return out
}

// RegimeFor returns the regime for a requester's country and region: the
// region's entry ("US-CA"), else the country's, else the default regime.
// region may be given bare ("CA", read within country) or in full ("US-CA");
// a full region of another country than the one given is ignored rather than
// trusted. Input is case-insensitive.
func (p *Policy) RegimeFor(country, region string) string {
	c := strings.ToUpper(strings.TrimSpace(country))
	r := strings.ToUpper(strings.TrimSpace(region))
	if r != "" {
		prefix, _, full := strings.Cut(r, "-")
		switch {
		case !full && c != "":
			r = c + "-" + r
		case !full:
			r = "" // a bare region means nothing without its country
		case c == "":
			c = prefix
		case prefix != c:
			r = ""
		}
	}
	if regime, ok := p.CountryRegimes[r]; ok && r != "" {
		return regime
	}
	if regime, ok := p.CountryRegimes[c]; ok && c != "" {
		return regime
	}
	return p.defaultRegime()
}

func (p *Policy) defaultRegime() string {
	if p.DefaultRegime == "" {
		return clocks.Default
	}
	return p.DefaultRegime
}

// Rules returns the clock rules of a regime: the policy's merged rules when
// it offers the regime, the contract's defaults for a known regime it does
// not offer (a request stored before the policy changed), and the default
// regime's rules for a name rightsdesk does not know, so a clock always runs.
func (p *Policy) Rules(regime string) clocks.Rules {
	if r, ok := p.Regimes[regime]; ok {
		return r
	}
	defaults := clocks.DefaultRules()
	if r, ok := defaults[regime]; ok {
		return r
	}
	if r, ok := p.Regimes[p.defaultRegime()]; ok {
		return r
	}
	return defaults[p.defaultRegime()]
}

// Calendar returns the calendar the regime's clocks count on: the policy's
// zone and holidays, plus US federal holidays when the regime's rules ask for
// them. Never nil.
func (p *Policy) Calendar(regime string) *clocks.Calendar {
	if c, ok := p.calendars[regime]; ok {
		return c
	}
	if c, ok := p.calendars[p.defaultRegime()]; ok {
		return c
	}
	// A Policy not built by this package: compute rather than cache, since
	// a Policy is shared between goroutines without a lock.
	return clocks.NewCalendar(p.Location(), p.Holidays, p.Rules(regime).USFederalHolidays)
}

// Location returns the zone the policy counts dates in. Never nil.
func (p *Policy) Location() *time.Location {
	if p.loc == nil {
		return time.UTC
	}
	return p.loc
}

// Purpose returns the consent purpose with the key.
func (p *Policy) Purpose(key string) (Purpose, bool) {
	for _, pu := range p.Purposes {
		if pu.Key == key {
			return pu, true
		}
	}
	return Purpose{}, false
}
