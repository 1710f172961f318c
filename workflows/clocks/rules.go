// Package clocks holds the legal deadlines of each privacy regime as pure
// functions of dates. It knows nothing of HTTP or storage: callers pass the
// moment of receipt, the regime's Rules and a Calendar, and get instants back.
package clocks

// Regime names, as they appear in the API, the policy file and the database.
const (
	GDPR    = "gdpr"
	UKGDPR  = "uk_gdpr"
	CCPA    = "ccpa"
	USState = "us_state"
	DPDP    = "dpdp"
	LGPD    = "lgpd"
	Default = "default"
)

// Regimes lists every regime rightsdesk knows, in a stable order.
var Regimes = []string{GDPR, UKGDPR, CCPA, USState, DPDP, LGPD, Default}

// Rules are the clock parameters of one regime. A policy file may override any
// of them per regime; the yaml names are the keys accepted there.
type Rules struct {
	// The answer is due RespondMonths calendar months after receipt when set
	// (GDPR), else RespondDays calendar days after receipt.
	RespondMonths int `yaml:"respond_months"`
	RespondDays   int `yaml:"respond_days"`
	// An extension may move the due date at most this far past the first due
	// date. Both zero: the regime allows no extension.
	ExtensionMonths int `yaml:"extension_months"`
	ExtensionDays   int `yaml:"extension_days"`
	// CCPA: acknowledge within N business days; answer an opt-out of sale or
	// sharing / targeted ads within M business days. Zero: no such clock.
	AckBusinessDays    int `yaml:"ack_business_days"`
	OptOutBusinessDays int `yaml:"opt_out_business_days"`
	// us_state: an appeal is decided within N calendar days. Zero: the
	// generic 30 days for appeals applies.
	AppealDays int `yaml:"appeal_days"`
	// DPDP grievances: acknowledge within N hours, resolve within D days, or
	// C days when the grievance concerns a child. Zero hours: no such clock.
	GrievanceAckHours  int `yaml:"grievance_ack_hours"`
	GrievanceDays      int `yaml:"grievance_days"`
	ChildGrievanceDays int `yaml:"child_grievance_days"`
	// The clock stops while the request awaits the requester's answer.
	PauseWhileAwaiting bool `yaml:"pause_while_awaiting"`
	// Business days also skip US federal holidays.
	USFederalHolidays bool `yaml:"us_federal_holidays"`
}

// MaxRuleValue bounds every number in Rules, as the policy file parser
// enforces: no law counts in decades, and far larger values would overflow
// the date arithmetic (a due date wrapping to before receipt) or make the
// business-day count run for ever.
const MaxRuleValue = 3650

// DefaultRules returns the contract's clock table, one entry per regime.
func DefaultRules() map[string]Rules {
	return map[string]Rules{
		GDPR:    {RespondMonths: 1, ExtensionMonths: 2},
		UKGDPR:  {RespondMonths: 1, ExtensionMonths: 2, PauseWhileAwaiting: true},
		CCPA:    {RespondDays: 45, ExtensionDays: 45, AckBusinessDays: 10, OptOutBusinessDays: 15, USFederalHolidays: true},
		USState: {RespondDays: 45, ExtensionDays: 45, AppealDays: 60, USFederalHolidays: true},
		DPDP:    {RespondDays: 30, GrievanceAckHours: 24, GrievanceDays: 30, ChildGrievanceDays: 15},
		LGPD:    {RespondDays: 15},
		Default: {RespondDays: 30, ExtensionDays: 30},
	}
}

// HasExtension reports whether the regime allows any extension at all.
func (r Rules) HasExtension() bool { return r.ExtensionMonths > 0 || r.ExtensionDays > 0 }
