package main

// The staff queue and the request detail, measured with ONE client: a Go
// loop that times each request, so p50 and p99 are exact (no coordinated
// omission, no sampling). And the request detail with many connections.
//
// The credential is a bearer: an API key with the requests:read scope,
// made by workflows/staff on the server's store before it starts
//
//	key, _, err := staff.New(store, time.Now).CreateAPIKey(ctx, "queue-bench",
//	        []string{models.ScopeRequestsRead}, "bench")
//
// (as startApp does for consent keys), or the token of POST
// /api/v1/auth/login for a staff user (RIGHTSDESK_ADMIN_EMAIL and
// RIGHTSDESK_ADMIN_PASSWORD make one at start).

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// queueTiming is one measured case: requests timed, exact percentiles.
type queueTiming struct {
	Name          string
	N             int
	P50, P99, Max time.Duration
	Rows          int // items in the last page (detail: events)
}

func (t queueTiming) String() string {
	return fmt.Sprintf("%-44s n=%-5d p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms  rows %d", t.Name, t.N,
		ms(t.P50), ms(t.P99), ms(t.Max), t.Rows)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// queueStop bounds a measurement: it ends after Count requests or after
// Duration, whichever comes first (a zero bound does not bound).
type queueStop struct {
	Count    int
	Duration time.Duration
}

func (s queueStop) done(n int, began time.Time) bool {
	if s.Count > 0 && n >= s.Count {
		return true
	}
	if s.Duration > 0 && time.Since(began) >= s.Duration {
		return true
	}
	return s.Count <= 0 && s.Duration <= 0 && n >= 100
}

// queueClient is one staff client of the API.
type queueClient struct {
	base, bearer string
	http         *http.Client
}

func newQueueClient(base, bearer string) *queueClient {
	return &queueClient{base: strings.TrimSuffix(base, "/"), bearer: bearer,
		http: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 128}}}
}

// queueItem is what the measurement reads of a queue row.
type queueItem struct {
	ID        string  `json:"id"`
	Reference string  `json:"reference"`
	Status    string  `json:"status"`
	Email     string  `json:"email"`
	Name      string  `json:"name"`
	Assignee  *string `json:"assignee"`
}

type queuePage struct {
	Items      []queueItem `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

// get GETs path and returns its body, failing on any status but 200.
func (c *queueClient) get(path string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.bearer)
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %.200s", path, res.StatusCode, body)
	}
	return body, nil
}

// page reads one queue page for the query (url-encoded, without "?").
func (c *queueClient) page(query string) (*queuePage, error) {
	body, err := c.get("/api/v1/requests?" + query)
	if err != nil {
		return nil, err
	}
	var p queuePage
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("queue page: %v", err)
	}
	return &p, nil
}

// walkCursor follows next_cursor from the first page of query, pages
// times, with pages of limit rows (200 walks fastest), and returns the
// cursor of the page after (empty if the queue ended first) and every id
// seen on the way. The cursor is the server's own: nothing of its format is
// assumed here.
func (c *queueClient) walkCursor(query string, pages, limit int) (cursor string, ids []string, err error) {
	for i := 0; i < pages; i++ {
		q := withParam(withParam(query, "limit", fmt.Sprint(limit)), "cursor", cursor)
		p, err := c.page(q)
		if err != nil {
			return "", nil, err
		}
		for _, it := range p.Items {
			ids = append(ids, it.ID)
		}
		if p.NextCursor == nil {
			return "", ids, nil
		}
		cursor = *p.NextCursor
	}
	return cursor, ids, nil
}

// withParam sets (or, for an empty value, removes) one parameter.
func withParam(query, key, value string) string {
	v, _ := url.ParseQuery(query)
	if value == "" {
		v.Del(key)
	} else {
		v.Set(key, value)
	}
	return v.Encode()
}

// timeLoop calls fn until stop, timing each call, and returns the exact
// percentiles; rows is what fn reports of its last call.
func timeLoop(name string, stop queueStop, fn func(i int) (rows int, err error)) (queueTiming, error) {
	var lat []time.Duration
	rows := 0
	for began := time.Now(); !stop.done(len(lat), began); {
		t0 := time.Now()
		n, err := fn(len(lat))
		if err != nil {
			return queueTiming{}, fmt.Errorf("%s: %w", name, err)
		}
		lat = append(lat, time.Since(t0))
		rows = n
	}
	return percentiles(name, lat, rows), nil
}

// percentiles are exact: the nearest-rank value of the sorted latencies.
func percentiles(name string, lat []time.Duration, rows int) queueTiming {
	t := queueTiming{Name: name, N: len(lat), Rows: rows}
	if len(lat) == 0 {
		return t
	}
	slices.Sort(lat)
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(lat))+0.999999) - 1
		return lat[min(max(i, 0), len(lat)-1)]
	}
	t.P50, t.P99, t.Max = rank(0.50), rank(0.99), lat[len(lat)-1]
	return t
}

// timePage times one queue query.
func (c *queueClient) timePage(name, query string, stop queueStop) (queueTiming, error) {
	return timeLoop(name, stop, func(int) (int, error) {
		p, err := c.page(query)
		if err != nil {
			return 0, err
		}
		return len(p.Items), nil
	})
}

// queueCase is one queue query to time.
type queueCase struct{ Name, Query string }

// queueCases are the first pages to time: unfiltered, each filter, the
// combinations staff use, a rare combination, and the search by reference,
// exact email, a whole name and part of one. The search terms come from a
// real row (sample): a request whose personal data is still kept.
func queueCases(sample queueItem, assignee string, now time.Time) []queueCase {
	cases := []queueCase{
		{"first page, unfiltered", ""},
		{"status=completed", "status=completed"},
		{"status=in_progress", "status=in_progress"},
		{"type=nomination", "type=nomination"},
		{"regime=dpdp", "regime=dpdp"},
		{"regime=default (no row)", "regime=default"},
		{"escalation_level=0", "escalation_level=0"},
		{"escalation_level=3", "escalation_level=3"},
		{"due_before=now", "due_before=" + url.QueryEscape(now.UTC().Format(time.RFC3339))},
		{"status=open&due_before=now", "status=open&due_before=" + url.QueryEscape(now.UTC().Format(time.RFC3339))},
		{"status=completed&type=access", "status=completed&type=access"},
		{"regime=gdpr&status=open", "regime=gdpr&status=open"},
		{"type=nomination&regime=dpdp", "type=nomination&regime=dpdp"},
		{"type=nomination&regime=dpdp&status=denied", "type=nomination&regime=dpdp&status=denied"},
		{"type=appeal&regime=default&status=denied (none)", "type=appeal&regime=default&status=denied"},
		{"status=in_progress&escalation_level=3", "status=in_progress&escalation_level=3"},
	}
	if assignee != "" {
		cases = append(cases,
			queueCase{"assignee", "assignee=" + url.QueryEscape(assignee)},
			queueCase{"assignee&status=in_progress", "assignee=" + url.QueryEscape(assignee) + "&status=in_progress"})
	}
	if sample.ID != "" {
		cases = append(cases,
			queueCase{"q=reference", "q=" + url.QueryEscape(sample.Reference)},
			queueCase{"q=exact email", "q=" + url.QueryEscape(strings.ToUpper(sample.Email))},
			queueCase{"q=whole name", "q=" + url.QueryEscape(sample.Name)})
		words := strings.Fields(sample.Name)
		last := words[len(words)-1]
		cases = append(cases,
			queueCase{"q=part of a name (" + last[:max(1, len(last)-1)] + ")", "q=" + url.QueryEscape(last[:max(1, len(last)-1)])},
			queueCase{"q=a word of every name (" + words[0] + ")", "q=" + url.QueryEscape(words[0])},
			queueCase{"q=no match", "q=zzqxw"})
	}
	return cases
}

// queueSample finds a request whose personal data is kept (for the search
// cases) and an assignee of an active one.
func (c *queueClient) queueSample() (sample queueItem, assignee string, err error) {
	p, err := c.page("status=completed&limit=200")
	if err != nil {
		return sample, "", err
	}
	for _, it := range p.Items {
		if it.Name != "" && it.Email != "" {
			sample = it
		}
	}
	p, err = c.page("status=in_progress&limit=200")
	if err != nil {
		return sample, "", err
	}
	for _, it := range p.Items {
		if it.Assignee != nil && *it.Assignee != "" {
			assignee = *it.Assignee
			break
		}
	}
	return sample, assignee, nil
}

// queueOptions are how much of the queue to measure.
type queueOptions struct {
	Stop queueStop // per case
	// DeepPages is how many pages of 200 are followed before the deep
	// cases (2,000 pages of 50 = 500 of 200; the middle of 1,000,000
	// requests is 2,500 of 200). Zero skips the deep cases.
	DeepPages int
	Now       time.Time // due_before of the due cases (the seed's now)
}

// queueResult is every case measured, and ids seen on the way (for the
// detail measurement).
type queueResult struct {
	Timings []queueTiming
	IDs     []string
}

// measureQueue times the first page of every case, then (DeepPages > 0) a
// deep page of the unfiltered queue and of some filters, each from a
// cursor reached by following the server's cursors.
func measureQueue(base, bearer string, o queueOptions) (*queueResult, error) {
	c := newQueueClient(base, bearer)
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	sample, assignee, err := c.queueSample()
	if err != nil {
		return nil, err
	}
	res := &queueResult{}
	for _, qc := range queueCases(sample, assignee, o.Now) {
		t, err := c.timePage(qc.Name, qc.Query, o.Stop)
		if err != nil {
			return nil, err
		}
		res.Timings = append(res.Timings, t)
	}
	if o.DeepPages <= 0 {
		return res, nil
	}
	for _, qc := range []queueCase{
		{"unfiltered", ""}, {"status=completed", "status=completed"}, {"type=access", "type=access"},
		{"escalation_level=0", "escalation_level=0"}, {"status=completed&type=access", "status=completed&type=access"},
		{"type=access&regime=gdpr", "type=access&regime=gdpr"},
	} {
		cursor, ids, err := c.walkCursor(qc.Query, o.DeepPages, 200)
		if err != nil {
			return nil, err
		}
		res.IDs = append(res.IDs, ids...)
		if cursor == "" {
			continue // the queue ended before: no deep page
		}
		name := fmt.Sprintf("deep (%d rows in) %s", len(ids), qc.Name)
		t, err := c.timePage(name, withParam(qc.Query, "cursor", cursor), o.Stop)
		if err != nil {
			return nil, err
		}
		res.Timings = append(res.Timings, t)
	}
	return res, nil
}

// measureRequestDetail times GET /api/v1/requests/{id} of ids picked at
// random, with conns clients at once (1: the exact one-client loop).
func measureRequestDetail(base, bearer string, ids []string, conns int, stop queueStop) (queueTiming, error) {
	if len(ids) == 0 {
		return queueTiming{}, fmt.Errorf("request detail: no ids")
	}
	c := newQueueClient(base, bearer)
	one := func(rng *rand.Rand) (int, error) {
		body, err := c.get("/api/v1/requests/" + url.PathEscape(ids[rng.IntN(len(ids))]))
		if err != nil {
			return 0, err
		}
		var d struct {
			Events []json.RawMessage `json:"events"`
		}
		if err := json.Unmarshal(body, &d); err != nil {
			return 0, err
		}
		return len(d.Events), nil
	}
	name := fmt.Sprintf("request detail, %d client(s)", conns)
	if conns <= 1 {
		rng := rand.New(rand.NewPCG(7, 8))
		return timeLoop(name, stop, func(int) (int, error) { return one(rng) })
	}
	// Each client runs its own loop; Count is shared out between them.
	per := stop
	if per.Count > 0 {
		per.Count = max(1, stop.Count/conns)
	}
	var (
		mu   sync.Mutex
		all  []time.Duration
		rows int
		fail error
		wg   sync.WaitGroup
	)
	for k := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(k), 9))
			var lat []time.Duration
			n := 0
			for began := time.Now(); !per.done(len(lat), began); {
				t0 := time.Now()
				r, err := one(rng)
				if err != nil {
					mu.Lock()
					fail = err
					mu.Unlock()
					return
				}
				lat = append(lat, time.Since(t0))
				n = r
			}
			mu.Lock()
			all, rows = append(all, lat...), n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if fail != nil {
		return queueTiming{}, fmt.Errorf("%s: %w", name, fail)
	}
	return percentiles(name, all, rows), nil
}
