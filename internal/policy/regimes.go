package policy

import (
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rightsdesk/rightsdesk/workflows/clocks"
)

// ISO 3166-1 alpha-2, or an ISO 3166-2 subdivision such as US-CA.
var countryKeyRe = regexp.MustCompile(`^[A-Z]{2}(-[A-Z0-9]{1,3})?$`)

// ruleKinds maps each override key to the kind of its field, so negative
// numbers are caught whatever fields clocks.Rules gains later.
var ruleKinds = func() map[string]reflect.Kind {
	m := map[string]reflect.Kind{}
	for f := range reflect.TypeFor[clocks.Rules]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		m[name] = f.Type.Kind()
	}
	return m
}()

// regimes merges each override onto the contract's rules for that regime:
// only the keys given change. Setting the answer clock (or the extension)
// in one unit clears the other, because months win over days in
// clocks.DueAt: "gdpr: {respond_days: 30}" would otherwise change nothing.
// plainWholeNumber is a whole number as people write one: no sign, no
// leading zero, no base prefix, no underscores.
var plainWholeNumber = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)

func (b *builder) regimes(n *yaml.Node) error {
	defaults := clocks.DefaultRules()
	for k, v := range pairs(n) {
		name := k.Value
		if err := b.knownRegime(k, name); err != nil {
			return err
		}
		r := defaults[name]
		given := map[string]*yaml.Node{}
		for fk, fv := range pairs(v) {
			given[fk.Value] = fv
			if ruleKinds[fk.Value] == reflect.Int {
				// Only plain decimals: YAML reads 030 as octal (24) and 0x1e as
				// hex, and a legal deadline must mean what it looks like.
				var x int
				if err := fv.Decode(&x); err != nil || !plainWholeNumber.MatchString(fv.Value) || x < 0 || x > clocks.MaxRuleValue {
					return b.errf(fv, "regimes.%s.%s must be a whole number from 0 to %d, got %s", name, fk.Value, clocks.MaxRuleValue, fv.Value)
				}
			}
		}
		if err := b.units(name, given, "respond_days", "respond_months", &r.RespondDays, &r.RespondMonths); err != nil {
			return err
		}
		if err := b.units(name, given, "extension_days", "extension_months", &r.ExtensionDays, &r.ExtensionMonths); err != nil {
			return err
		}
		if !isNull(v) {
			if err := v.Decode(&r); err != nil {
				return yamlError(b.source, err)
			}
		}
		if r.RespondDays == 0 && r.RespondMonths == 0 {
			return b.errf(k, "regime %s has no answer clock: set respond_days or respond_months above 0", name)
		}
		b.p.Regimes[name] = r
		b.offer(name)
	}
	return nil
}

// units clears the unit the override does not give. Giving both above 0 is
// refused, since only one of them would count.
func (b *builder) units(regime string, given map[string]*yaml.Node, days, months string, d, m *int) error {
	dn, hasDays := given[days]
	mn, hasMonths := given[months]
	switch {
	case hasDays && hasMonths:
		var dv, mv int
		if dn.Decode(&dv) == nil && mn.Decode(&mv) == nil && dv > 0 && mv > 0 {
			return b.errf(dn, "regimes.%s sets both %s and %s above 0: give one", regime, days, months)
		}
	case hasDays:
		*m = 0
	case hasMonths:
		*d = 0
	}
	return nil
}

// countryRegimes normalises keys to upper case and expands "EU" to every
// EEA code. An explicit country wins over "EU" whatever the order, so
// "EU: gdpr, NO: default" means what it says.
func (b *builder) countryRegimes(n *yaml.Node) error {
	out := b.p.CountryRegimes
	lines := map[string]int{}
	eu := ""
	for k, v := range pairs(n) {
		code := strings.ToUpper(str(k))
		regime := str(v)
		if code != "EU" && !countryKeyRe.MatchString(code) {
			return b.errf(k, "country_regimes key %q is not EU, an ISO 3166-1 country code such as FR, or a subdivision such as US-CA", k.Value)
		}
		if err := b.knownRegime(v, regime); err != nil {
			return err
		}
		if first, dup := lines[code]; dup {
			return b.errf(k, "country_regimes lists %s twice (first at line %d)", code, first)
		}
		lines[code] = k.Line
		b.offer(regime)
		if code == "EU" {
			eu = regime
			continue
		}
		out[code] = regime
	}
	if eu != "" {
		for _, code := range EEA {
			if _, explicit := out[code]; !explicit {
				out[code] = eu
			}
		}
	}
	return nil
}
