// Package reports computes the yearly request metrics that the California
// Consumer Privacy Act regulations ask a large business to publish
// (Cal. Code Regs. tit. 11, §7102(a)): for each kind of request, how many
// were received, complied with in whole or in part, and denied, and the
// median or mean number of days taken to respond. rightsdesk reports both
// the median and the mean, for every request type the policy offers, and a
// few more counts so that every request received is accounted for.
//
// What each figure counts, for the requests *received* in the year:
//
//   - The year is a calendar year in the policy's time zone (the zone the
//     legal clocks count dates in): from 1 January 00:00 to the next
//     1 January 00:00 there. A request belongs to the year it was received
//     in (its receipt, not its verification or closing), so a year's report
//     does not change once the year is over except as its late requests
//     close.
//   - Received: every request received in the year, whatever its status,
//     verified or not (CCPA counts requests received, not requests verified).
//   - Complied: closed with outcome "complied" — the completion of a request,
//     which §7102 counts as "complied with in whole or in part".
//   - Denied: closed with outcome "denied" (including a request denied
//     because it could not be verified; an unverified request that merely
//     lapsed is Expired instead).
//   - Withdrawn: withdrawn by the requester (outcome or status "withdrawn").
//   - Expired: never verified within the verification window.
//   - Open: not closed yet (no closing time and not expired).
//
// Each request is counted in at most one of Complied, Denied, Withdrawn,
// Expired and Open (in that order of precedence), so in normal operation
// they add up to Received; only a request closed in some other way would
// be counted in Received alone.
//
// Days to respond are counted for complied and denied requests only — the
// substantive responses; a withdrawal or an expiry is not a response by the
// business. They are whole calendar days from the date of receipt to the
// date of closing, both dates taken in the policy's time zone (closed on the
// day received = 0 days), as the legal clocks count. The median (the mean of
// the two middle values for an even count) and the mean are rounded to one
// decimal place, and are absent when no request of the type was responded to.
package reports

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/clocks"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// Years a report may be asked for: no request predates 2000, and a
// four-digit year keeps dates and file names well-formed.
const (
	MinYear = 2000
	MaxYear = 9999
)

// Report is one calendar year's metrics, one entry per request type.
type Report struct {
	Year     int
	Timezone string // the IANA zone the year and the days were counted in
	Types    []TypeMetrics
}

// TypeMetrics are the figures of one request type. MedianDays and MeanDays
// are nil when no request of the type was complied with or denied.
type TypeMetrics struct {
	Type       string
	Received   int
	Complied   int
	Denied     int
	Withdrawn  int
	Expired    int
	Open       int
	MedianDays *float64
	MeanDays   *float64
}

// Outcomes and statuses the report tells apart (as the request workflow
// writes them).
const (
	outcomeComplied  = "complied"
	outcomeDenied    = "denied"
	outcomeWithdrawn = "withdrawn"
	statusWithdrawn  = "withdrawn"
	statusExpired    = "expired"
)

// Metrics computes the report of a calendar year in the policy's time zone.
// A year outside MinYear..MaxYear is a *requests.FieldError on "year".
func Metrics(ctx context.Context, store *models.Store, pol *policy.Policy, year int) (*Report, error) {
	if year < MinYear || year > MaxYear {
		return nil, &requests.FieldError{Field: "year", Message: fmt.Sprintf("must be a year from %d to %d", MinYear, MaxYear)}
	}
	loc := pol.Location()
	from := time.Date(year, time.January, 1, 0, 0, 0, 0, loc)
	to := time.Date(year+1, time.January, 1, 0, 0, 0, 0, loc)
	rows, err := store.ReportRows(ctx, from, to)
	if err != nil {
		return nil, err
	}

	byType := map[string]*TypeMetrics{}
	days := map[string][]int{}
	for _, r := range rows {
		m := byType[r.Type]
		if m == nil {
			m = &TypeMetrics{Type: r.Type}
			byType[r.Type] = m
		}
		m.Received++
		switch {
		case r.Outcome == outcomeComplied:
			m.Complied++
		case r.Outcome == outcomeDenied:
			m.Denied++
		case r.Outcome == outcomeWithdrawn || r.Status == statusWithdrawn:
			m.Withdrawn++
		case r.Status == statusExpired:
			m.Expired++
		case r.ClosedAt == nil:
			m.Open++
		}
		if (r.Outcome == outcomeComplied || r.Outcome == outcomeDenied) && r.ClosedAt != nil {
			days[r.Type] = append(days[r.Type], calendarDays(r.ReceivedAt, *r.ClosedAt, loc))
		}
	}

	rep := &Report{Year: year, Timezone: loc.String()}
	// Every offered type, in the policy's order, even with nothing received;
	// then any type received but no longer offered, so nothing is hidden.
	types := slices.Clone(pol.RequestTypes)
	var dropped []string
	for t := range byType {
		if !slices.Contains(types, t) {
			dropped = append(dropped, t)
		}
	}
	slices.Sort(dropped)
	types = append(types, dropped...)
	for _, t := range types {
		m := byType[t]
		if m == nil {
			m = &TypeMetrics{Type: t}
		}
		m.MedianDays, m.MeanDays = median(days[t]), mean(days[t])
		rep.Types = append(rep.Types, *m)
	}
	if rep.Types == nil {
		rep.Types = []TypeMetrics{}
	}
	return rep, nil
}

// calendarDays is the number of calendar days from the date of a to the date
// of b in loc: 0 on the same date, never negative.
func calendarDays(a, b time.Time, loc *time.Location) int {
	da, db := clocks.DateOf(a, loc), clocks.DateOf(b, loc)
	// Noon UTC of each date: no DST, so the difference is whole days.
	na := time.Date(da.Year, da.Month, da.Day, 12, 0, 0, 0, time.UTC)
	nb := time.Date(db.Year, db.Month, db.Day, 12, 0, 0, 0, time.UTC)
	return max(0, int(nb.Sub(na)/(24*time.Hour)))
}

func median(v []int) *float64 {
	if len(v) == 0 {
		return nil
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	m := float64(s[n/2])
	if n%2 == 0 {
		m = float64(s[n/2-1]+s[n/2]) / 2
	}
	return round1(m)
}

func mean(v []int) *float64 {
	if len(v) == 0 {
		return nil
	}
	sum := 0
	for _, x := range v {
		sum += x
	}
	return round1(float64(sum) / float64(len(v)))
}

// round1 rounds to one decimal place, halves away from zero.
func round1(x float64) *float64 {
	r := math.Round(x*10) / 10
	return &r
}
