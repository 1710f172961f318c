package requests

import (
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/rightsdesk/rightsdesk/models"
)

// Input is a request as a requester (or staff on their behalf) submits it.
type Input struct {
	Type             string
	Email            string
	Name             string
	Regime           string
	Country          string
	Region           string
	Relationship     string
	Details          string
	Scope            []string
	Purposes         []string
	Corrections      []models.Correction
	Nominee          *models.Nominee
	RelatedReference string
	ConcernsChild    bool
	// GPC is set when the submission carried the Global Privacy Control
	// header (Sec-GPC: 1): an opt-out of sale/sharing and targeted ads is
	// recorded for the email at once.
	GPC bool
}

// Relationships a requester can have with the data subject.
var Relationships = []string{"self", "authorized_agent", "parent_guardian", "nominee"}

var (
	countryRe = regexp.MustCompile(`^[A-Z]{2}$`)
	regionRe  = regexp.MustCompile(`^([A-Z]{2}-)?[A-Z0-9]{1,3}$`)
)

const (
	maxName    = 200
	maxDetails = 10000
	maxField   = 2000
	maxItems   = 50
)

// validated is Input after checks, with the regime resolved.
type validated struct {
	Input
	emailNorm string
}

func (s *Service) validate(in Input) (*validated, error) {
	v := &validated{Input: in}
	v.Type = strings.TrimSpace(in.Type)
	if v.Type == "" {
		return nil, fieldErr("type", "is required")
	}
	if !s.policy.Offers(v.Type) {
		return nil, fieldErr("type", "is not a request type this organisation offers")
	}
	addr, err := parseEmail(in.Email)
	if err != nil {
		return nil, fieldErr("email", err.Error())
	}
	v.Email, v.emailNorm = addr, models.NormalizeEmail(addr)
	v.Name = strings.TrimSpace(in.Name)
	if err := plainText(v.Name, maxName, false); err != nil {
		return nil, fieldErr("name", err.Error())
	}
	if err := plainText(in.Details, maxDetails, true); err != nil {
		return nil, fieldErr("details", err.Error())
	}
	if v.Relationship == "" {
		v.Relationship = "self"
	}
	if !slices.Contains(Relationships, v.Relationship) {
		return nil, fieldErr("relationship", "must be one of "+strings.Join(Relationships, ", "))
	}
	if err := s.resolveRegime(v); err != nil {
		return nil, err
	}
	return v, s.validateTypeFields(v)
}

// resolveRegime applies the contract's order: the requester's regime, else
// country/region through the policy's country_regimes, else the default.
func (s *Service) resolveRegime(v *validated) error {
	v.Country = strings.ToUpper(strings.TrimSpace(v.Country))
	v.Region = strings.ToUpper(strings.TrimSpace(v.Region))
	if v.Country != "" && !countryRe.MatchString(v.Country) {
		return fieldErr("country", "must be an ISO 3166-1 alpha-2 code such as FR or US")
	}
	if v.Region != "" {
		if v.Country == "" {
			return fieldErr("region", "needs a country")
		}
		if !regionRe.MatchString(v.Region) || (strings.Contains(v.Region, "-") && !strings.HasPrefix(v.Region, v.Country+"-")) {
			return fieldErr("region", "must be an ISO 3166-2 subdivision such as CA or US-CA")
		}
		if !strings.Contains(v.Region, "-") {
			v.Region = v.Country + "-" + v.Region
		}
	}
	if v.Regime != "" {
		if !s.policy.OffersRegime(v.Regime) {
			return fieldErr("regime", "is not a regime this organisation applies")
		}
		return nil
	}
	v.Regime = s.policy.RegimeFor(v.Country, v.Region)
	return nil
}

func (s *Service) validateTypeFields(v *validated) error {
	switch v.Type {
	case "correction":
		if len(v.Corrections) == 0 {
			return fieldErr("corrections", "list at least one change")
		}
		if len(v.Corrections) > maxItems {
			return fieldErr("corrections", "too many changes")
		}
		for _, c := range v.Corrections {
			if strings.TrimSpace(c.Field) == "" || strings.TrimSpace(c.Requested) == "" {
				return fieldErr("corrections", "each change needs a field and the requested value")
			}
			for _, t := range []string{c.Field, c.Current, c.Requested} {
				if err := plainText(t, maxField, true); err != nil {
					return fieldErr("corrections", err.Error())
				}
			}
		}
	case "opt_out":
		if len(v.Scope) == 0 {
			return fieldErr("scope", "list at least one of "+strings.Join(s.optOutScopes(), ", "))
		}
		for _, sc := range v.Scope {
			if !slices.Contains(s.optOutScopes(), sc) {
				return fieldErr("scope", "must be among "+strings.Join(s.optOutScopes(), ", "))
			}
		}
		v.Scope = dedupe(v.Scope)
	case "consent_withdrawal":
		if len(v.Purposes) == 0 {
			return fieldErr("purposes", "list at least one purpose")
		}
		for _, p := range v.Purposes {
			if _, ok := s.policy.Purpose(p); !ok {
				return fieldErr("purposes", "is not a purpose in this organisation's policy: "+safeEcho(p))
			}
		}
		v.Purposes = dedupe(v.Purposes)
	case "nomination":
		if v.Nominee == nil || strings.TrimSpace(v.Nominee.Name) == "" {
			return fieldErr("nominee", "needs the nominee's name and email")
		}
		addr, err := parseEmail(v.Nominee.Email)
		if err != nil {
			return fieldErr("nominee", "email "+err.Error())
		}
		if err := plainText(v.Nominee.Name, maxName, false); err != nil {
			return fieldErr("nominee", err.Error())
		}
		v.Nominee = &models.Nominee{Name: strings.TrimSpace(v.Nominee.Name), Email: addr}
	case "appeal":
		if strings.TrimSpace(v.RelatedReference) == "" {
			return fieldErr("related_reference", "an appeal must name the denied request it appeals")
		}
	}
	if v.Type != "correction" && len(v.Corrections) > 0 {
		return fieldErr("corrections", "only a correction request carries corrections")
	}
	if v.Type != "opt_out" && len(v.Scope) > 0 {
		return fieldErr("scope", "only an opt_out request carries a scope")
	}
	if v.Type != "consent_withdrawal" && len(v.Purposes) > 0 {
		return fieldErr("purposes", "only a consent_withdrawal request carries purposes")
	}
	if v.Type != "nomination" && v.Nominee != nil {
		return fieldErr("nominee", "only a nomination carries a nominee")
	}
	v.RelatedReference = strings.ToUpper(strings.TrimSpace(v.RelatedReference))
	return nil
}

// optOutScopes are the opt-out scopes that are also purposes of the policy:
// an opt-out withdraws consent to that purpose, so it must exist.
func (s *Service) optOutScopes() []string {
	var out []string
	for _, sc := range []string{"sale_sharing", "targeted_ads", "model_training", "marketing", "profiling"} {
		if _, ok := s.policy.Purpose(sc); ok {
			out = append(out, sc)
		}
	}
	return out
}

func parseEmail(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errString("is required")
	}
	if len(raw) > 254 || strings.ContainsAny(raw, "\r\n<>,;\"") {
		return "", errString("is not a valid email address")
	}
	a, err := mail.ParseAddress(raw)
	if err != nil || a.Name != "" || !strings.Contains(a.Address[strings.LastIndex(a.Address, "@")+1:], ".") && !strings.HasSuffix(a.Address, "@localhost") {
		return "", errString("is not a valid email address")
	}
	return a.Address, nil
}

// plainText refuses control characters (newlines only where multiline) so
// that nothing a requester types can inject a header into an email.
func plainText(s string, max int, multiline bool) error {
	if len(s) > max {
		return errString("is too long")
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return errString("contains control characters")
		}
	}
	return nil
}

type errString string

func (e errString) Error() string { return string(e) }

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// safeEcho shortens user input quoted back in an error message.
func safeEcho(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}
