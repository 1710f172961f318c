package policy

import (
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/workflows/clocks"
)

func TestDefault(t *testing.T) {
	p := Default("dpo@example.com")
	if p.Organization.Name != "Example Org" || p.Organization.PrivacyEmail != "dpo@example.com" || p.Organization.PolicyVersion != "1" {
		t.Errorf("organization = %+v", p.Organization)
	}
	if p.GrievanceOfficer.Email != "dpo@example.com" || p.GrievanceOfficer.Name == "" {
		t.Errorf("officer = %+v, want reached at the mail-from address", p.GrievanceOfficer)
	}
	for _, rt := range RequestTypes {
		if !p.Offers(rt) {
			t.Errorf("default does not offer %s", rt)
		}
	}
	if p.Offers("telepathy") {
		t.Error("default offers an unknown type")
	}
	sameSet(t, "offered regimes", p.OfferedRegimes(), clocks.Regimes)
	// Every regime, in clocks.Regimes order.
	if got := p.OfferedRegimes(); len(got) != 7 || got[0] != "gdpr" || got[6] != "default" {
		t.Errorf("OfferedRegimes() = %v, want clocks.Regimes order", got)
	}
	var keys []string
	for _, pu := range p.Purposes {
		keys = append(keys, pu.Key)
		if pu.Default != Granted || pu.LegalBasis != "consent" || pu.Title == "" || pu.Description == "" {
			t.Errorf("purpose %+v: want granted, consent, a title and a description", pu)
		}
	}
	sameSet(t, "purposes", keys, []string{"analytics", "marketing", "model_training", "profiling", "sale_sharing", "targeted_ads"})
	if p.DefaultRegime != "default" || p.Timezone != "UTC" || p.Location() != time.UTC {
		t.Errorf("default regime %q, timezone %q", p.DefaultRegime, p.Timezone)
	}
	if p.Verification != (Verification{24 * time.Hour, 168 * time.Hour}) || p.Escalation != (Escalation{168 * time.Hour, 168 * time.Hour}) {
		t.Errorf("verification %+v escalation %+v", p.Verification, p.Escalation)
	}
	if len(p.CountryRegimes) != 30+7 {
		t.Errorf("country regimes = %d entries, want 30 EEA + 7: %v", len(p.CountryRegimes), p.CountryRegimes)
	}
	for _, code := range []string{"AT", "DE", "GR", "IE", "IS", "LI", "NO", "SE"} {
		if p.CountryRegimes[code] != "gdpr" {
			t.Errorf("%s = %q, want gdpr", code, p.CountryRegimes[code])
		}
	}
}

func TestDefaultIsIndependent(t *testing.T) {
	// Each call builds its own policy: changing one must not leak into the
	// next (tests and the server may both call Default).
	a := Default("a@example.com")
	a.RequestTypes[0] = "changed"
	a.Regimes["gdpr"] = clocks.Rules{RespondDays: 1}
	b := Default("b@example.com")
	if b.RequestTypes[0] != "access" || b.Rules("gdpr").RespondMonths != 1 || RequestTypes[0] != "access" {
		t.Error("Default shares state between calls")
	}
}

func TestRegimeFor(t *testing.T) {
	p := Default("privacy@localhost")
	tests := []struct{ country, region, want string }{
		{"FR", "", "gdpr"},
		{"fr", "", "gdpr"},
		{"NO", "", "gdpr"},
		{"GB", "", "uk_gdpr"},
		{"US", "CA", "ccpa"},
		{"US", "US-CA", "ccpa"},
		{"us", "us-ca", "ccpa"},
		{"", "US-CA", "ccpa"},
		{" US ", " ca ", "ccpa"},
		{"US", "VA", "us_state"},
		{"US", "CO", "us_state"},
		{"US", "US-CT", "us_state"},
		{"US", "TX", "default"},
		{"US", "", "default"},
		{"IN", "", "dpdp"},
		{"IN", "MH", "dpdp"}, // no entry for the region: the country's
		{"BR", "", "lgpd"},
		{"JP", "", "default"},
		{"", "", "default"},
		{"", "CA", "default"},   // a bare region without its country means nothing
		{"FR", "US-CA", "gdpr"}, // a region of another country is not trusted
	}
	for _, tc := range tests {
		if got := p.RegimeFor(tc.country, tc.region); got != tc.want {
			t.Errorf("RegimeFor(%q, %q) = %q, want %q", tc.country, tc.region, got, tc.want)
		}
	}
}

func TestRulesCalendarLocation(t *testing.T) {
	p := mustParse(t, `
organization: {name: X}
default_regime: dpdp
regimes:
  ccpa: {respond_days: 40}
timezone: America/Los_Angeles
holidays: [2026-03-31]
`)
	if got := p.Rules("ccpa"); got.RespondDays != 40 || got.AckBusinessDays != 10 || !got.USFederalHolidays {
		t.Errorf("Rules(ccpa) = %+v, want the override merged onto the defaults", got)
	}
	// Not offered but known: the contract's rules, so old requests keep a clock.
	if got := p.Rules("lgpd"); got != clocks.DefaultRules()["lgpd"] {
		t.Errorf("Rules(lgpd) = %+v", got)
	}
	// Unknown: the default regime's.
	if got := p.Rules("nowhere"); got != p.Rules("dpdp") {
		t.Errorf("Rules(nowhere) = %+v, want dpdp's", got)
	}
	if p.Location().String() != "America/Los_Angeles" {
		t.Errorf("Location() = %v", p.Location())
	}
	day := func(s string) clocks.Date {
		d, err := clocks.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, regime := range []string{"ccpa", "dpdp", "gdpr", "nowhere"} {
		c := p.Calendar(regime)
		if c == nil || c.Location() != p.Location() {
			t.Fatalf("Calendar(%s) = %v, want one in the policy's zone", regime, c)
		}
		// The policy's own holiday counts in every regime.
		if c.IsBusinessDay(day("2026-03-31")) {
			t.Errorf("Calendar(%s): 2026-03-31 should be a holiday", regime)
		}
	}
	// US federal holidays only where the regime's rules ask for them
	// (Thanksgiving 2026 is Thursday 26 November).
	thanksgiving := day("2026-11-26")
	if p.Calendar("ccpa").IsBusinessDay(thanksgiving) {
		t.Error("ccpa calendar should skip Thanksgiving")
	}
	if !p.Calendar("dpdp").IsBusinessDay(thanksgiving) {
		t.Error("dpdp calendar should not know US holidays")
	}
	// End of the due day is in the policy's zone (PDT, UTC-7, in June).
	end := p.Calendar("dpdp").EndOfDay(day("2026-06-01"))
	if want := time.Date(2026, 6, 2, 6, 59, 59, 0, time.UTC); !end.Equal(want) {
		t.Errorf("EndOfDay = %v, want %v", end, want)
	}
}

func TestZeroPolicy(t *testing.T) {
	// A Policy built by hand (as in other packages' tests) must not panic.
	var p Policy
	if p.Location() != time.UTC || p.Calendar("gdpr") == nil || p.RegimeFor("FR", "") != "default" {
		t.Error("zero Policy accessors misbehave")
	}
	if got := p.Rules("gdpr"); got != clocks.DefaultRules()["gdpr"] {
		t.Errorf("zero Policy Rules(gdpr) = %+v", got)
	}
	if p.Offers("access") || p.OffersRegime("default") || len(p.OfferedRegimes()) != 0 {
		t.Error("zero Policy offers something")
	}
	if _, ok := p.Purpose("marketing"); ok {
		t.Error("zero Policy has a purpose")
	}
}
