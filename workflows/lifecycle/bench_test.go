package lifecycle

import "testing"

// BenchmarkNext walks every staff action from every status: the state
// machine's check on each action and sweep step.
func BenchmarkNext(b *testing.B) {
	for b.Loop() {
		for _, s := range Statuses {
			for _, a := range StaffActions {
				_, _ = Next(s, a)
			}
		}
	}
}
