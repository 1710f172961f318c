package policy

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rightsdesk/rightsdesk/internal/limits"
)

// The expectations below are written by hand from reading each privacy
// policy in shared/policies, never derived from the files under test: a
// request type, purpose or regime the text does not promise must not be
// offered.
var examples = []struct {
	file      string
	org       string
	version   string
	types     []string
	purposes  []string
	regimes   []string
	countries map[string]string // a sample of RegimeFor answers: "CC" or "CC/REGION"
	timezone  string
}{
	{
		file: "contentmonetiz.yaml", org: "ContentMonetiz", version: "2026-01-17",
		types:     []string{"access", "export", "deletion", "correction", "restriction", "objection"},
		purposes:  nil,
		regimes:   []string{"gdpr", "default"},
		countries: map[string]string{"FR": "gdpr", "NO": "gdpr", "GB": "default", "US/CA": "default", "IN": "default"},
		timezone:  "UTC",
	},
	{
		file: "imagescv.yaml", org: "images.cv", version: "2025-01-01",
		types:     []string{"access", "export", "deletion", "correction", "restriction", "objection"},
		purposes:  nil,
		regimes:   []string{"default"},
		countries: map[string]string{"FR": "default", "US/CA": "default"},
		timezone:  "UTC",
	},
	{
		file: "bgremove.yaml", org: "bgremove", version: "2024-12",
		types:     []string{"access", "export", "deletion", "correction"},
		purposes:  nil,
		regimes:   []string{"default"},
		countries: map[string]string{"DE": "default", "IN": "default"},
		timezone:  "UTC",
	},
	{
		file: "adstudio.yaml", org: "adstudio", version: "2026-05-21",
		types:     []string{"access", "export", "deletion", "correction", "consent_withdrawal"},
		purposes:  []string{"downstream_ai_processing"},
		regimes:   []string{"gdpr", "ccpa", "default"},
		countries: map[string]string{"IT": "gdpr", "US/CA": "ccpa", "US/VA": "default", "GB": "default"},
		timezone:  "UTC",
	},
	{
		file: "imagegen.yaml", org: "ImageGen By ArtisticMonk", version: "2026-01-31",
		types: []string{"access", "export", "deletion", "correction", "opt_out", "consent_withdrawal",
			"restriction", "objection", "nomination", "grievance"},
		purposes:  []string{"model_training"},
		regimes:   []string{"dpdp", "default"},
		countries: map[string]string{"IN": "dpdp", "FR": "default", "US/CA": "default"},
		timezone:  "Asia/Kolkata",
	},
}

func examplePath(name string) string { return filepath.Join("..", "..", "examples", "policies", name) }

func TestExamplePolicies(t *testing.T) {
	for _, ex := range examples {
		t.Run(ex.file, func(t *testing.T) {
			p, err := Load(examplePath(ex.file))
			if err != nil {
				t.Fatal(err)
			}
			if p.Organization.Name != ex.org || p.Organization.PolicyVersion != ex.version {
				t.Errorf("organization = %q version %q, want %q version %q",
					p.Organization.Name, p.Organization.PolicyVersion, ex.org, ex.version)
			}
			sameSet(t, "request types", p.RequestTypes, ex.types)
			var keys []string
			for _, pu := range p.Purposes {
				keys = append(keys, pu.Key)
			}
			sameSet(t, "purposes", keys, ex.purposes)
			sameSet(t, "offered regimes", p.OfferedRegimes(), ex.regimes)
			for where, want := range ex.countries {
				country, region, _ := strings.Cut(where, "/")
				if got := p.RegimeFor(country, region); got != want {
					t.Errorf("RegimeFor(%q, %q) = %q, want %q", country, region, got, want)
				}
			}
			if p.Timezone != ex.timezone || p.Location().String() != ex.timezone {
				t.Errorf("timezone = %q (%v), want %q", p.Timezone, p.Location(), ex.timezone)
			}
		})
	}
}

// The example-specific clocks: each is a promise quoted in its file.
func TestExampleClocks(t *testing.T) {
	bg, err := Load(examplePath("bgremove.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// "We will respond to privacy requests within 30 days." — no extension.
	if r := bg.Rules("default"); r.RespondDays != 30 || r.HasExtension() {
		t.Errorf("bgremove default rules = %+v, want 30 days and no extension", r)
	}

	ig, err := Load(examplePath("imagegen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// §14's grievance times hold in every regime; §7 keeps an extension.
	for _, regime := range []string{"default", "dpdp"} {
		r := ig.Rules(regime)
		if r.RespondDays != 30 || r.GrievanceAckHours != 24 || r.GrievanceDays != 30 || r.ChildGrievanceDays != 15 {
			t.Errorf("imagegen %s rules = %+v, want 30 days, grievance 24h/30d/15d", regime, r)
		}
	}
	if r := ig.Rules("default"); r.ExtensionDays != 30 {
		t.Errorf("imagegen default extension = %d days, want 30 (\"we will notify you if additional time is needed\")", r.ExtensionDays)
	}
	if ig.GrievanceOfficer.Name != "Rajan (ArtisticMonk)" {
		t.Errorf("imagegen officer = %+v", ig.GrievanceOfficer)
	}
	if mt, ok := ig.Purpose("model_training"); !ok || !mt.DefaultGranted() {
		t.Errorf("imagegen model_training = %+v, %v; want granted by default", mt, ok)
	}
}

func TestReferencePolicyParses(t *testing.T) {
	p, err := Load(examplePath("reference.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The reference shows every key, so it offers every type.
	sameSet(t, "request types", p.RequestTypes, RequestTypes)
	if p.RateLimits != limits.Defaults() {
		t.Errorf("the reference's rate_limits %+v should spell out the defaults %+v", p.RateLimits, limits.Defaults())
	}
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
