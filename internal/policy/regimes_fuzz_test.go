package policy

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/workflows/clocks"
)

// ruleKeys are the numeric keys of a regime's overrides.
var ruleKeys = []string{"respond_days", "respond_months", "extension_days", "extension_months", "ack_business_days",
	"opt_out_business_days", "appeal_days", "grievance_ack_hours", "grievance_days", "child_grievance_days"}

// FuzzRegimeOverrides: whatever number a regime's override gives, a policy
// the parser accepts runs clocks that end after receipt, with an extension
// limit no earlier than the due date. value is written into the YAML as is,
// so it may be any scalar (the parser must refuse what is not a number).
func FuzzRegimeOverrides(f *testing.F) {
	for _, v := range []string{"30", "0", "1", "3650", "3651", "-1", "9223372036854775807", "9223372036854775808",
		"1e3", "0x10", "30.5", "'30'", "null", "[]", "~"} {
		f.Add(uint8(0), uint8(0), v, int64(0))
	}
	f.Add(uint8(3), uint8(5), "123456789012", int64(1_000_000))
	f.Fuzz(func(t *testing.T, regime, key uint8, value string, receivedSec int64) {
		name := clocks.Regimes[int(regime)%len(clocks.Regimes)]
		k := ruleKeys[int(key)%len(ruleKeys)]
		src := fmt.Sprintf("organization: {name: X}\ndefault_regime: %s\nregimes:\n  %s:\n    %s: %s\n", name, name, k, value)
		p, err := Parse([]byte(src), "fuzz.yaml")
		if err != nil {
			return
		}
		if n, err := strconv.Atoi(value); err == nil && (n < 0 || n > clocks.MaxRuleValue) {
			t.Fatalf("%s: %s accepted", k, value)
		}
		received := time.Unix(631152000+int64(uint64(receivedSec)%(110*365*86400)), 0).UTC() // 1990..2100
		r, cal := p.Rules(name), p.Calendar(name)
		for _, typ := range []string{"access", clocks.TypeOptOut, clocks.TypeGrievance, clocks.TypeAppeal} {
			due := clocks.DueAt(received, r, typ, true, cal)
			if !due.After(received) {
				t.Fatalf("%s %s=%s: %s received %s is due %s", name, k, value, typ, received, due)
			}
			if ack, ok := clocks.AckDueAt(received, r, typ, cal); ok && !ack.After(received) {
				t.Fatalf("%s %s=%s: %s received %s is acknowledged by %s", name, k, value, typ, received, ack)
			}
			if limit, ok := clocks.MaxExtendedDue(due, r, cal); ok && limit.Before(due) {
				t.Fatalf("%s %s=%s: extension limit %s before due %s", name, k, value, limit, due)
			}
		}
	})
}
