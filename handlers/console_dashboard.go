package handlers

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/workflows/escalation"
	"github.com/rightsdesk/rightsdesk/workflows/lifecycle"
	"github.com/rightsdesk/rightsdesk/workflows/reports"
)

// The dashboard: counts by status, what is due this week and overdue, a
// chart of open requests by due date, and the year's metrics per type.
// Weeks run Monday to Sunday in the policy's time zone, where due dates end.

type consoleStatusCount struct {
	Status string
	N      int
}

type consoleDashboard struct {
	Counts                                       []consoleStatusCount
	Total, Open, DueThisWeek, Overdue, Escalated int
	WeekEnd                                      time.Time // the last day of this week
	Chart                                        consoleChart
	Year                                         int
	Metrics                                      []reports.TypeMetrics
}

// consoleChart is a bar chart drawn as SVG on the server.
type consoleChart struct {
	Width, Height, Base int
	Bars                []consoleBar
	Summary             string
}

type consoleBar struct {
	Key, Label, Long, Class          string
	N                                int
	X, Y, W, H, MidX, CountY, LabelY int
}

// consoleChartWeeks is how many weeks the chart shows one by one, this
// week included; later due dates share the last bar.
const consoleChartWeeks = 8

func (cn *console) dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	pol := cn.Requests.Policy()
	loc := pol.Location()
	counts, err := cn.Store.CountRequestsByStatus(ctx)
	if err != nil {
		return err
	}
	d := consoleDashboard{}
	for _, st := range lifecycle.Statuses {
		d.Counts = append(d.Counts, consoleStatusCount{st, counts[st]})
		d.Total += counts[st]
	}
	for _, st := range consoleOpenStatuses {
		d.Open += counts[st]
	}
	if d.Escalated, err = cn.Store.CountEscalated(ctx, escalation.Overdue, consoleLiveStatuses); err != nil {
		return err
	}
	deadlines, err := cn.Store.Deadlines(ctx, consoleOpenStatuses)
	if err != nil {
		return err
	}

	now := cn.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	nextMonday := monday.AddDate(0, 0, 7)
	d.WeekEnd = nextMonday.AddDate(0, 0, -1)

	// Buckets: overdue, this week, the next weeks one by one, later.
	bars := []consoleBar{{Key: "overdue", Label: "Overdue", Long: "Overdue", Class: "bar-overdue"},
		{Key: "week-0", Label: "This week", Long: "Due this week (to " + d.WeekEnd.Format("Mon 2 Jan") + ")", Class: "bar-week"}}
	for w := 1; w < consoleChartWeeks; w++ {
		start := nextMonday.AddDate(0, 0, 7*(w-1))
		bars = append(bars, consoleBar{Key: fmt.Sprintf("week-%d", w), Label: start.Format("2 Jan"),
			Long: "Due in the week from Mon " + start.Format("2 Jan")})
	}
	laterFrom := nextMonday.AddDate(0, 0, 7*(consoleChartWeeks-1))
	bars = append(bars, consoleBar{Key: "later", Label: "Later", Long: "Due from " + laterFrom.Format("Mon 2 Jan") + " on", Class: "bar-later"})
	for _, dl := range deadlines {
		switch {
		case now.After(dl):
			bars[0].N++
		case dl.Before(nextMonday):
			bars[1].N++
		case !dl.Before(laterFrom):
			bars[len(bars)-1].N++
		default:
			// Whole days from next Monday, counted on dates in the zone.
			local := dl.In(loc)
			day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
			days := int(day.Sub(nextMonday).Hours()+12) / 24
			bars[2+days/7].N++
		}
	}
	d.Overdue, d.DueThisWeek = bars[0].N, bars[1].N
	d.Chart = consoleDrawChart(bars)

	d.Year = now.Year()
	rep, err := reports.Metrics(ctx, cn.Store, pol, d.Year)
	if err != nil {
		return err
	}
	for _, m := range rep.Types {
		if m.Received > 0 {
			d.Metrics = append(d.Metrics, m)
		}
	}
	return cn.render(c, http.StatusOK, "dashboard", "Dashboard", d)
}

// consoleDrawChart lays the bars out in a 720×260 view box: counts above
// the bars, labels below the axis.
func consoleDrawChart(bars []consoleBar) consoleChart {
	const width, height, base, top, barW = 720, 260, 220, 24, 44
	ch := consoleChart{Width: width, Height: height, Base: base}
	most := 1
	for _, b := range bars {
		most = max(most, b.N)
	}
	slot := width / len(bars)
	var parts []string
	for i, b := range bars {
		b.W = barW
		b.X = i*slot + (slot-barW)/2
		b.MidX = i*slot + slot/2
		b.H = b.N * (base - top) / most
		b.Y = base - b.H
		b.CountY = b.Y - 6
		b.LabelY = base + 18
		if b.Class == "" {
			b.Class = "bar-next"
		}
		ch.Bars = append(ch.Bars, b)
		parts = append(parts, fmt.Sprintf("%s: %d", b.Long, b.N))
	}
	ch.Summary = strings.Join(parts, ". ") + "."
	return ch
}
