package models_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/testutil/testdb"
	"github.com/rightsdesk/rightsdesk/models"
)

// The queue's filters, its search and its cursor give the same rows as
// filtering every row in Go, whichever index or merge answers them.
func TestListRequestsFiltersMatchAFullScan(t *testing.T) {
	s := testdb.Open(t)
	statuses := []string{"open", "in_progress", "denied", "completed"}
	types := []string{"access", "deletion", "nomination"}
	regimes := []string{"gdpr", "dpdp", "ccpa"}
	names := []string{"Wei Chen", "Ana Bélanger", "Chenoa Smith", "Bob O'Brien", ""}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var all []*models.Request
	for i := range 240 {
		r := newRequest(fmt.Sprintf("id%03d", i), fmt.Sprintf("DSR-AAAA-%04d", i), base.Add(time.Duration(i%37)*24*time.Hour))
		r.Status, r.Type, r.Regime = statuses[i%4], types[(i/4)%3], regimes[(i/12)%3]
		r.Name = names[i%5]
		r.EmailNorm = fmt.Sprintf("p%d@example.com", i%7)
		r.EscalationLevel = i % 3
		if err := s.CreateRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		all = append(all, r)
	}
	// A redacted name leaves the search.
	red := all[0]
	red.Name = ""
	if err := s.UpdateRequest(ctx, red); err != nil {
		t.Fatal(err)
	}
	lvl := 1
	cases := []struct {
		name string
		f    models.RequestFilter
		keep func(r *models.Request) bool
	}{
		{"status+type", models.RequestFilter{Status: "denied", Type: "nomination"}, func(r *models.Request) bool { return r.Status == "denied" && r.Type == "nomination" }},
		{"status+regime", models.RequestFilter{Status: "open", Regime: "dpdp"}, func(r *models.Request) bool { return r.Status == "open" && r.Regime == "dpdp" }},
		{"type+regime+level", models.RequestFilter{Type: "access", Regime: "ccpa", EscalationLevel: &lvl}, func(r *models.Request) bool {
			return r.Type == "access" && r.Regime == "ccpa" && r.EscalationLevel == 1
		}},
		{"all three", models.RequestFilter{Status: "denied", Type: "nomination", Regime: "dpdp"}, func(r *models.Request) bool {
			return r.Status == "denied" && r.Type == "nomination" && r.Regime == "dpdp"
		}},
		{"name word prefix", models.RequestFilter{Query: "CHEN"}, func(r *models.Request) bool { return r.Name == "Wei Chen" || r.Name == "Chenoa Smith" }},
		{"two words", models.RequestFilter{Query: "chen wei"}, func(r *models.Request) bool { return r.Name == "Wei Chen" }},
		{"accents and apostrophes", models.RequestFilter{Query: "o'bri"}, func(r *models.Request) bool { return r.Name == "Bob O'Brien" }},
		{"not inside a word", models.RequestFilter{Query: "hen"}, func(r *models.Request) bool { return false }},
		{"email", models.RequestFilter{Query: " P3@Example.com"}, func(r *models.Request) bool { return r.EmailNorm == "p3@example.com" }},
		{"reference", models.RequestFilter{Query: "dsr-aaaa-0042"}, func(r *models.Request) bool { return r.Reference == "DSR-AAAA-0042" }},
		{"operators are words", models.RequestFilter{Query: `"OR" * NEAR & | !`}, func(r *models.Request) bool { return false }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want []string
			for _, r := range all {
				if c.keep(r) {
					want = append(want, r.ID)
				}
			}
			slices.SortFunc(want, func(a, b string) int { return order(all, a, b) })
			f := c.f
			f.Limit = 4
			f.Statuses, f.Types, f.Regimes = statuses, types, regimes
			var got []string
			for range 200 {
				page, err := s.ListRequests(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range page {
					got = append(got, r.ID)
				}
				if len(page) < f.Limit {
					break
				}
				last := page[len(page)-1]
				f.AfterDeadline, f.AfterID = &last.DeadlineAt, last.ID
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %v\nwant %v", got, want)
			}
		})
	}
}

func order(all []*models.Request, a, b string) int {
	var ra, rb *models.Request
	for _, r := range all {
		if r.ID == a {
			ra = r
		}
		if r.ID == b {
			rb = r
		}
	}
	if c := ra.DeadlineAt.Compare(rb.DeadlineAt); c != 0 {
		return c
	}
	if a < b {
		return -1
	}
	return 1
}
