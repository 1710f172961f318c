package handlers

import (
	"cmp"
	"slices"
	"strings"

	"github.com/rightsdesk/rightsdesk/internal/policy"
)

// countryNames are the countries the request form lists by name (ISO 3166-1
// alpha-2): the EEA, the other places whose laws rightsdesk runs clocks
// for, and the largest other countries. A code the policy's country_regimes
// names that is not here is listed too, by its code.
var countryNames = map[string]string{
	"AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "HR": "Croatia", "CY": "Cyprus", "CZ": "Czechia",
	"DK": "Denmark", "EE": "Estonia", "FI": "Finland", "FR": "France", "DE": "Germany", "GR": "Greece",
	"HU": "Hungary", "IE": "Ireland", "IT": "Italy", "LV": "Latvia", "LT": "Lithuania", "LU": "Luxembourg",
	"MT": "Malta", "NL": "Netherlands", "PL": "Poland", "PT": "Portugal", "RO": "Romania", "SK": "Slovakia",
	"SI": "Slovenia", "ES": "Spain", "SE": "Sweden", "IS": "Iceland", "LI": "Liechtenstein", "NO": "Norway",
	"GB": "United Kingdom", "US": "United States", "IN": "India", "BR": "Brazil", "CA": "Canada",
	"CH": "Switzerland", "AU": "Australia", "NZ": "New Zealand", "JP": "Japan", "KR": "South Korea",
	"CN": "China", "HK": "Hong Kong", "SG": "Singapore", "MY": "Malaysia", "ID": "Indonesia",
	"PH": "Philippines", "TH": "Thailand", "VN": "Vietnam", "PK": "Pakistan", "BD": "Bangladesh",
	"LK": "Sri Lanka", "NP": "Nepal", "AE": "United Arab Emirates", "SA": "Saudi Arabia", "IL": "Israel",
	"TR": "Türkiye", "EG": "Egypt", "NG": "Nigeria", "KE": "Kenya", "ZA": "South Africa", "MX": "Mexico",
	"AR": "Argentina", "CL": "Chile", "CO": "Colombia", "PE": "Peru", "UA": "Ukraine", "RS": "Serbia",
}

// countryOptions lists the countries of the form, sorted by name, with
// "Other" (no country: the policy's default regime) first.
func countryOptions(p *policy.Policy, selected string) []formOption {
	codes := map[string]bool{}
	for code := range countryNames {
		codes[code] = true
	}
	for code := range p.CountryRegimes {
		country, _, _ := strings.Cut(code, "-") // US-CA lists US
		if len(country) == 2 {
			codes[country] = true
		}
	}
	opts := make([]formOption, 0, len(codes)+1)
	for code := range codes {
		name := countryNames[code]
		if name == "" {
			name = code
		}
		opts = append(opts, formOption{Value: code, Label: name, Selected: code == selected})
	}
	slices.SortFunc(opts, func(a, b formOption) int { return cmp.Compare(a.Label, b.Label) })
	other := formOption{Value: "", Label: "Other, or I prefer not to say", Selected: selected == ""}
	if selected != "" && !codes[selected] {
		// Typed by hand (not from this list): keep it so the error shows
		// next to what was sent.
		opts = append(opts, formOption{Value: selected, Label: selected, Selected: true})
	}
	return append([]formOption{other}, opts...)
}
