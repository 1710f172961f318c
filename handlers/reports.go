package handlers

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/workflows/reports"
)

// metricsView is one request type's row of the yearly report.
type metricsView struct {
	Type       string   `json:"type"`
	Received   int      `json:"received"`
	Complied   int      `json:"complied_whole_or_part"`
	Denied     int      `json:"denied"`
	Withdrawn  int      `json:"withdrawn"`
	Expired    int      `json:"expired"`
	Open       int      `json:"open"`
	MedianDays *float64 `json:"median_days"`
	MeanDays   *float64 `json:"mean_days"`
}

type reportView struct {
	Year     int           `json:"year"`
	Timezone string        `json:"timezone"`
	Types    []metricsView `json:"types"`
}

// metricsCSVHeader is the CSV's first line; the columns follow the JSON.
var metricsCSVHeader = []string{"type", "received", "complied_whole_or_part", "denied", "withdrawn", "expired", "open", "median_days", "mean_days"}

// reportMetrics is the yearly metrics report (CCPA regulations §7102), as
// JSON, or as CSV with ?format=csv or an Accept header preferring text/csv.
func (s *Server) reportMetrics(c echo.Context) error {
	asCSV, err := wantsCSV(c)
	if err != nil {
		return err
	}
	pol := s.Requests.Policy()
	year := s.Now().In(pol.Location()).Year()
	if v := c.QueryParam("year"); v != "" {
		// The range is checked by the workflow, with the same message.
		y, err := strconv.Atoi(v)
		if err != nil {
			return fieldError(http.StatusBadRequest, "invalid", "year",
				fmt.Sprintf("year must be a year from %d to %d", reports.MinYear, reports.MaxYear))
		}
		year = y
	}
	rep, err := reports.Metrics(c.Request().Context(), s.Store, pol, year)
	if err != nil {
		return err
	}
	view := reportView{Year: rep.Year, Timezone: rep.Timezone, Types: make([]metricsView, len(rep.Types))}
	for i, m := range rep.Types {
		view.Types[i] = metricsView{Type: m.Type, Received: m.Received, Complied: m.Complied, Denied: m.Denied,
			Withdrawn: m.Withdrawn, Expired: m.Expired, Open: m.Open, MedianDays: m.MedianDays, MeanDays: m.MeanDays}
	}
	c.Response().Header().Add(echo.HeaderVary, echo.HeaderAccept)
	if !asCSV {
		return c.JSON(http.StatusOK, view)
	}
	return metricsCSV(c, view)
}

func metricsCSV(c echo.Context, v reportView) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(metricsCSVHeader)
	for _, m := range v.Types {
		_ = w.Write([]string{m.Type, strconv.Itoa(m.Received), strconv.Itoa(m.Complied), strconv.Itoa(m.Denied),
			strconv.Itoa(m.Withdrawn), strconv.Itoa(m.Expired), strconv.Itoa(m.Open), csvDays(m.MedianDays), csvDays(m.MeanDays)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="rightsdesk-metrics-%d.csv"`, v.Year))
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// csvDays is a day figure as a CSV cell: empty when there is none.
func csvDays(d *float64) string {
	if d == nil {
		return ""
	}
	return strconv.FormatFloat(*d, 'f', -1, 64)
}

// wantsCSV decides the report's format: ?format= (csv or json) when given,
// else the Accept header — CSV only when it ranks text/csv above
// application/json, or equal but named explicitly while JSON is matched
// only by a wildcard ("text/csv, */*"). Anything else gets JSON.
func wantsCSV(c echo.Context) (bool, error) {
	switch f := c.QueryParam("format"); f {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
	default:
		return false, fieldError(http.StatusBadRequest, "invalid", "format", "format must be csv or json")
	}
	accept := strings.Join(c.Request().Header.Values(echo.HeaderAccept), ",")
	if strings.TrimSpace(accept) == "" {
		return false, nil
	}
	csvQ, csvExact := acceptQuality(accept, "text", "csv")
	jsonQ, jsonExact := acceptQuality(accept, "application", "json")
	return csvQ > jsonQ || csvQ > 0 && csvQ == jsonQ && csvExact && !jsonExact, nil
}

// acceptQuality is the quality an Accept header gives to type/sub (the q
// of its most specific matching range, 0 when none matches) and whether
// that range names the type exactly.
func acceptQuality(accept, typ, sub string) (q float64, exact bool) {
	best := -1 // specificity of the range that set q: 0 */*, 1 type/*, 2 type/sub
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		t, s, _ := strings.Cut(mt, "/")
		spec := -1
		switch {
		case t == typ && s == sub:
			spec = 2
		case t == typ && s == "*":
			spec = 1
		case t == "*" && s == "*":
			spec = 0
		}
		if spec <= best {
			continue
		}
		pq := 1.0
		if v, ok := params["q"]; ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			pq = f
		}
		best, q, exact = spec, pq, spec == 2
	}
	return q, exact
}
