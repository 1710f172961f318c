package policy

import (
	"slices"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/limits"
	"github.com/rightsdesk/rightsdesk/workflows/clocks"
)

// Default returns the policy the server runs with when no policy file is
// given: everything offered, so a first start shows every feature. mailFrom
// (RIGHTSDESK_MAIL_FROM) is both the organisation's privacy address and the
// grievance officer's, since it is the only address the server is sure of.
func Default(mailFrom string) *Policy {
	p := &Policy{
		Organization:     Organization{Name: "Example Org", PrivacyEmail: mailFrom, PolicyVersion: "1"},
		GrievanceOfficer: Officer{Name: "Grievance Officer", Email: mailFrom},
		DefaultRegime:    clocks.Default,
		RequestTypes:     slices.Clone(RequestTypes),
		Purposes:         defaultPurposes(),
		Regimes:          clocks.DefaultRules(),
		CountryRegimes:   defaultCountryRegimes(),
		Timezone:         "UTC",
		Verification:     Verification{TokenTTL: defaultTokenTTL, ExpireAfter: defaultExpireAfter},
		Escalation:       Escalation{WarnBefore: defaultWarnBefore, Grace: defaultGrace},
		RateLimits:       limits.Defaults(),
	}
	p.finish(time.UTC)
	return p
}

func defaultPurposes() []Purpose {
	purpose := func(key, title, description string) Purpose {
		return Purpose{Key: key, Title: title, Description: description, LegalBasis: "consent", Default: Granted}
	}
	return []Purpose{
		purpose("analytics", "Analytics", "Measuring how the service is used, to improve it."),
		purpose("marketing", "Marketing", "Sending news, offers and other promotional messages."),
		purpose("model_training", "Model training", "Using your content and data to train or improve machine-learning models."),
		purpose("profiling", "Profiling", "Evaluating personal aspects such as preferences or behaviour, including automated decisions."),
		purpose("sale_sharing", "Sale and sharing", "Selling or sharing personal information with third parties."),
		purpose("targeted_ads", "Targeted advertising", "Showing advertising chosen from your activity across services."),
	}
}

func defaultCountryRegimes() map[string]string {
	m := map[string]string{
		"GB":    clocks.UKGDPR,
		"US-CA": clocks.CCPA,
		"US-VA": clocks.USState,
		"US-CO": clocks.USState,
		"US-CT": clocks.USState,
		"IN":    clocks.DPDP,
		"BR":    clocks.LGPD,
	}
	for _, code := range EEA {
		m[code] = clocks.GDPR
	}
	return m
}
