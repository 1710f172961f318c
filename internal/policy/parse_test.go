package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/limits"
	"github.com/rightsdesk/rightsdesk/workflows/clocks"
)

func mustParse(t *testing.T, src string) *Policy {
	t.Helper()
	p, err := Parse([]byte(src), "test.yaml")
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	return p
}

func TestContractExample(t *testing.T) {
	p, err := Load(filepath.Join("testdata", "contract.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Organization != (Organization{"Acme Learning", "privacy@acme.example", "2026-01-31", "https://acme.example/privacy"}) {
		t.Errorf("organization = %+v", p.Organization)
	}
	if p.GrievanceOfficer.Email != "grievance@acme.example" {
		t.Errorf("officer = %+v", p.GrievanceOfficer)
	}
	sameSet(t, "request types", p.RequestTypes,
		[]string{"access", "export", "deletion", "correction", "consent_withdrawal", "grievance", "nomination"})
	sameSet(t, "offered regimes", p.OfferedRegimes(),
		[]string{"gdpr", "uk_gdpr", "ccpa", "us_state", "dpdp", "lgpd", "default"})
	mt, ok := p.Purpose("model_training")
	if !ok || mt.Title != "Model training" || mt.LegalBasis != "consent" || mt.Default != Granted {
		t.Errorf("model_training = %+v, %v", mt, ok)
	}
	if p.Timezone != "Asia/Kolkata" || len(p.Holidays) != 1 || p.Holidays[0] != (clocks.Date{Year: 2026, Month: time.January, Day: 26}) {
		t.Errorf("timezone %q holidays %v", p.Timezone, p.Holidays)
	}
	if p.Verification != (Verification{24 * time.Hour, 168 * time.Hour}) || p.Escalation != (Escalation{168 * time.Hour, 168 * time.Hour}) {
		t.Errorf("verification %+v escalation %+v", p.Verification, p.Escalation)
	}
	// "EU = every EU/EEA code"
	for _, code := range EEA {
		if p.CountryRegimes[code] != "gdpr" {
			t.Errorf("CountryRegimes[%s] = %q, want gdpr", code, p.CountryRegimes[code])
		}
	}
	if _, ok := p.CountryRegimes["EU"]; ok {
		t.Error(`"EU" should be expanded, not kept as a key`)
	}
	// The holiday is a non-business day in the policy's calendars.
	if p.Calendar("dpdp").IsBusinessDay(clocks.Date{Year: 2026, Month: time.January, Day: 26}) {
		t.Error("2026-01-26 (a Monday) should be a holiday")
	}
}

func TestDefaultsWhenOmitted(t *testing.T) {
	p := mustParse(t, "organization: {name: Tiny}\n")
	sameSet(t, "request types", p.RequestTypes, RequestTypes)
	if len(p.Purposes) != 0 {
		t.Errorf("purposes = %v, want none", p.Purposes)
	}
	if p.DefaultRegime != "default" {
		t.Errorf("default regime = %q", p.DefaultRegime)
	}
	sameSet(t, "offered regimes", p.OfferedRegimes(), []string{"default"})
	if p.Timezone != "UTC" || p.Location() != time.UTC {
		t.Errorf("timezone = %q %v", p.Timezone, p.Location())
	}
	if p.Verification != (Verification{24 * time.Hour, 168 * time.Hour}) {
		t.Errorf("verification = %+v", p.Verification)
	}
	if p.Escalation != (Escalation{168 * time.Hour, 168 * time.Hour}) {
		t.Errorf("escalation = %+v", p.Escalation)
	}
	if p.RateLimits != limits.Defaults() {
		t.Errorf("rate limits = %+v, want the defaults", p.RateLimits)
	}
	if got := p.RegimeFor("FR", ""); got != "default" {
		t.Errorf("RegimeFor(FR) = %q, want default", got)
	}
}

func TestOverridesMerge(t *testing.T) {
	p := mustParse(t, `
organization: {name: X}
regimes:
  dpdp: {respond_days: 20}
  gdpr: {respond_days: 30}
  uk_gdpr: {extension_days: 14}
  lgpd: ~
  ccpa: {}
`)
	// Only the key given changes: grievance clocks keep the contract's values.
	want := clocks.Rules{RespondDays: 20, GrievanceAckHours: 24, GrievanceDays: 30, ChildGrievanceDays: 15}
	if got := p.Rules("dpdp"); got != want {
		t.Errorf("dpdp = %+v, want %+v", got, want)
	}
	// respond_days replaces gdpr's month rather than losing to it.
	if got := p.Rules("gdpr"); got.RespondDays != 30 || got.RespondMonths != 0 || got.ExtensionMonths != 2 {
		t.Errorf("gdpr = %+v, want 30 days, extension 2 months", got)
	}
	if got := p.Rules("uk_gdpr"); got.RespondMonths != 1 || got.ExtensionDays != 14 || got.ExtensionMonths != 0 || !got.PauseWhileAwaiting {
		t.Errorf("uk_gdpr = %+v, want 1 month, extension 14 days, paused", got)
	}
	defaults := clocks.DefaultRules()
	for _, name := range []string{"lgpd", "ccpa"} {
		if got := p.Rules(name); got != defaults[name] {
			t.Errorf("%s with an empty override = %+v, want the defaults", name, got)
		}
	}
	sameSet(t, "offered regimes", p.OfferedRegimes(), []string{"dpdp", "gdpr", "uk_gdpr", "lgpd", "ccpa", "default"})
}

func TestCountryRegimes(t *testing.T) {
	p := mustParse(t, `
organization: {name: X}
default_regime: lgpd
country_regimes:
  no: default   # an explicit country wins over EU, whatever the order
  eu: gdpr
  us-ca: ccpa
`)
	if p.CountryRegimes["NO"] != "default" || p.CountryRegimes["FR"] != "gdpr" || p.CountryRegimes["US-CA"] != "ccpa" {
		t.Errorf("country regimes = %v", p.CountryRegimes)
	}
	if got := p.RegimeFor("", ""); got != "lgpd" {
		t.Errorf("RegimeFor(nowhere) = %q, want the default regime lgpd", got)
	}
	sameSet(t, "offered regimes", p.OfferedRegimes(), []string{"gdpr", "ccpa", "lgpd", "default"})
}

func TestParseErrors(t *testing.T) {
	const org = "organization: {name: X}\n"
	tests := []struct {
		name string
		src  string
		line int
		want []string // each must appear in the message
	}{
		{"empty file", "", 1, []string{"empty"}},
		{"comments only", "# nothing\n", 1, []string{"empty"}},
		{"null document", "~\n", 1, []string{"empty"}},
		// yaml.v3 reports the line where the unclosed construct begins.
		{"syntax: unclosed list", org + "request_types: [access\n", 2, []string{"']'"}},
		{"syntax: bad indent", org + "timezone: UTC\n  bad: [\n", 3, nil},
		{"syntax: tab", org + "holidays:\n\t- 2026-01-01\n", 3, nil},
		{"syntax: stray colon", org + "timezone: a: b\n", 2, nil},
		{"unknown top-level key", org + "timezone: UTC\nfoo: bar\n", 3, []string{`"foo"`, "top level"}},
		{"unknown nested key", "organization:\n  name: X\n  nmae: Y\n", 3, []string{`"nmae"`, "organization"}},
		{"unknown officer key", org + "grievance_officer:\n  phone: 123\n", 3, []string{`"phone"`, "grievance_officer"}},
		{"unknown purpose key", org + "purposes:\n  - key: a\n    default: granted\n    basis: consent\n", 5, []string{`"basis"`}},
		{"unknown regime override key", org + "regimes:\n  dpdp:\n    respond_days: 30\n    respond_dayz: 3\n", 5, []string{`"respond_dayz"`}},
		{"unknown verification key", org + "verification:\n  ttl: 24h\n", 3, []string{`"ttl"`, "verification"}},
		{"duplicate key", org + "timezone: UTC\ntimezone: UTC\n", 3, []string{`"timezone"`, "twice"}},
		{"list expected", org + "request_types: access\n", 2, []string{"list", "access"}},
		{"number expected", org + "regimes:\n  lgpd: {respond_days: soon}\n", 3, []string{"whole number", "soon"}},
		{"second document", org + "---\n" + org, 2, []string{"one YAML document"}},
		{"missing organization", "timezone: UTC\n", 1, []string{"organization.name"}},
		{"empty organization name", "organization:\n  name: ''\n", 2, []string{"organization.name"}},
		{"bad privacy email", "organization:\n  name: X\n  privacy_email: privacy-at-example.com\n", 3, []string{"privacy-at-example.com"}},
		{"bad officer email", org + "grievance_officer:\n  name: O\n  email: 'Officer <o@example.com>'\n", 4, []string{"Officer <o@example.com>"}},
		{"bad policy url", "organization:\n  name: X\n  policy_url: example.com/privacy\n", 3, []string{"example.com/privacy"}},
		{"unknown request type", org + "request_types:\n  - access\n  - acess\n", 4, []string{`"acess"`}},
		{"request type twice", org + "request_types: [access,\n  access]\n", 3, []string{`"access"`, "twice"}},
		{"no request types", org + "request_types: []\n", 2, []string{"empty"}},
		{"unknown default regime", org + "default_regime: hipaa\n", 2, []string{`"hipaa"`}},
		{"unknown regime override", org + "regimes:\n  lgpd: {}\n  gdrp: {respond_days: 30}\n", 4, []string{`"gdrp"`}},
		{"unknown country regime", org + "country_regimes:\n  IN: dpdp\n  US-CA: ccpaa\n", 4, []string{`"ccpaa"`}},
		{"bad country key", org + "country_regimes:\n  France: gdpr\n", 3, []string{`"France"`}},
		{"country twice", org + "country_regimes:\n  FR: gdpr\n  fr: lgpd\n", 4, []string{"FR", "twice"}},
		{"negative clock", org + "regimes:\n  lgpd:\n    respond_days: -1\n", 4, []string{"respond_days", "-1"}},
		{"no answer clock", org + "regimes:\n  lgpd:\n    respond_days: 0\n", 3, []string{"lgpd", "respond_days"}},
		{"days and months", org + "regimes:\n  gdpr: {respond_months: 1,\n    respond_days: 30}\n", 4, []string{"respond_days", "respond_months"}},
		{"bad time zone", org + "timezone: Mars/Olympus_Mons\n", 2, []string{"Mars/Olympus_Mons"}},
		{"local time zone", org + "timezone: Local\n", 2, []string{`"Local"`}},
		{"bad holiday", org + "holidays:\n  - 2026-01-26\n  - 2026-02-30\n", 4, []string{"2026-02-30"}},
		{"bad duration", org + "verification:\n  token_ttl: 1d\n", 3, []string{"token_ttl", `"1d"`}},
		{"zero duration", org + "verification:\n  expire_after: 0s\n", 3, []string{"expire_after"}},
		{"negative duration", org + "escalation:\n  grace: -1h\n", 3, []string{"grace", "-1h", "negative"}},
		{"token outlives request", org + "verification: {token_ttl: 200h}\n", 2, []string{"token_ttl", "expire_after"}},
		{"purpose without key", org + "purposes:\n  - title: Ads\n    default: granted\n", 3, []string{"key"}},
		{"bad purpose key", org + "purposes:\n  - key: Model Training\n    default: granted\n", 3, []string{`"Model Training"`}},
		{"purpose without default", org + "purposes:\n  - key: ads\n", 3, []string{`"ads"`, "default"}},
		{"bad purpose default", org + "purposes:\n  - key: ads\n    default: maybe\n", 4, []string{`"maybe"`}},
		{"duplicate purpose", org + "purposes:\n  - {key: marketing, default: granted}\n  - {key: ads, default: granted}\n  - {key: marketing, default: withdrawn}\n", 5, []string{`"marketing"`, "line 3"}},
		{"opt_out without scope", org + "request_types: [access,\n  opt_out]\npurposes: [{key: newsletter, default: granted}]\n", 3, []string{"opt_out", "model_training"}},
		{"withdrawal without purposes", org + "request_types:\n  - consent_withdrawal\n", 3, []string{"consent_withdrawal"}},
		{"octal-looking clock", org + "regimes:\n  lgpd:\n    respond_days: 030\n", 4, []string{"respond_days", "030", "whole number"}},
		{"hex clock", org + "regimes:\n  lgpd:\n    respond_days: 0x1e\n", 4, []string{"respond_days", "0x1e"}},
		{"bad rate limit", org + "rate_limits:\n  ip: 30/1m\n  email: lots\n", 4, []string{"rate_limits.email", `"lots"`}},
		{"unknown rate limit", org + "rate_limits:\n  burst: 3/1m\n", 3, []string{"burst", "rate_limits"}},
		{"merge key", org + "regimes:\n  lgpd: &r {respond_days: 10}\n  dpdp:\n    <<: *r\n", 5, []string{"<<"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.src), "bad.yaml")
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want an error\n%s", p, tc.src)
			}
			msg := err.Error()
			prefix := fmt.Sprintf("policy file bad.yaml: line %d: ", tc.line)
			if !strings.HasPrefix(msg, prefix) {
				t.Errorf("error %q\nwant prefix %q", msg, prefix)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans lines: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q\nwant it to mention %s", msg, w)
				}
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Line != tc.line || pe.Source != "bad.yaml" {
				t.Errorf("error is %T %+v, want *Error at line %d", err, err, tc.line)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), "policy file "+path+": ") || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("Load(missing) = %v", err)
	}
	good := filepath.Join(t.TempDir(), "ok.yaml")
	if err := os.WriteFile(good, []byte("organization: {name: X}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(good); err != nil {
		t.Errorf("Load(good) = %v", err)
	}
}

// FuzzParse: whatever the bytes, Parse returns a usable policy or an *Error
// in the one-line shape; it never panics. Seeds are the shipped files.
func FuzzParse(f *testing.F) {
	for _, ex := range examples {
		if data, err := os.ReadFile(examplePath(ex.file)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("organization: {name: X}\nregimes: {gdpr: &a {respond_days: 3}, lgpd: *a}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "fuzz.yaml")
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "policy file fuzz.yaml: line ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error not in the policy shape: %q", err)
			}
			return
		}
		if p.Organization.Name == "" || p.Calendar(p.DefaultRegime) == nil || !p.OffersRegime(p.DefaultRegime) {
			t.Fatalf("accepted an unusable policy: %+v", p)
		}
	})
}

func TestRateLimitsOverrideOnlyWhatTheyName(t *testing.T) {
	p := mustParse(t, "organization: {name: Acme}\nrate_limits:\n  ip: 100/1m\n  tokens: off\n")
	want := limits.Defaults()
	want.IP = limits.Rate{N: 100, Per: time.Minute}
	want.Tokens = limits.Rate{}
	if p.RateLimits != want {
		t.Errorf("rate limits = %+v, want %+v", p.RateLimits, want)
	}
}
