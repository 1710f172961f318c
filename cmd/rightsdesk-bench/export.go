package main

// The export measurement: one export request of a given size, driven over
// HTTP against the real server binary as its users drive it (staff, data
// systems, the requester), with the server process's resident memory
// sampled throughout. See measureExport.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// exportServer is a running rightsdesk binary to measure an export on.
//
// The caller starts the binary (startExportServer does it all) with
// RIGHTSDESK_ADMIN_EMAIL and RIGHTSDESK_ADMIN_PASSWORD set, so that an
// admin exists; measureExport logs in as that admin and makes everything
// else itself through the API: the data systems (with their keys), the
// request, the tasks' answers. The requester's download link arrives by
// email: the binary must send through a fake Resend (RESEND_BASE_URL)
// whose received emails Emails returns.
type exportServer struct {
	BaseURL string // http://host:port, as RIGHTSDESK_BASE_URL
	PID     int    // the server process, whose /proc/PID/status is sampled
	// AdminEmail and AdminPassword are the admin the binary was started
	// with (RIGHTSDESK_ADMIN_EMAIL, RIGHTSDESK_ADMIN_PASSWORD).
	AdminEmail, AdminPassword string
	// Emails returns the emails the server has sent so far.
	Emails func() []exportEmail
	// SavePackage, when set, is a file the downloaded package is written
	// to (for checking it); otherwise it is only counted and hashed.
	SavePackage string
	// SystemBytes is the most one data system answers; the size is spread
	// over as many systems as that takes (0: 256 MiB).
	SystemBytes int64
	// Log, when set, gets a line per step.
	Log func(format string, args ...any)
}

// exportEmail is one email as the fake Resend received it.
type exportEmail struct {
	To   []string
	Text string
}

// exportResult is one export measured.
type exportResult struct {
	Bytes            int64         // the package's size, as downloaded
	Answers          int64         // the answers' bytes, all systems together
	Systems          int           // how many data systems answered
	Upload           time.Duration // all systems' answers, one after the other
	Build, Download  time.Duration // the staff complete call (it builds the package); the download
	PeakRSS          int64         // bytes: peak of VmRSS sampled every 20 ms from /proc/PID/status during the export, since VmHWM covers the whole process lifetime
	UploadRSS        int64         // the same peak during the upload only
	BuildRSS         int64         // … during the build only
	DownloadRSS      int64         // … during the download only
	StartRSS         int64         // VmRSS before the export began
	PackageSHA256    string        // as the API reports it, and checked against the download
	BuildMBps        float64       // answers' MB (10^6 bytes) per second of build
	DownloadMBps     float64       // package MB per second of download
	UploadMBps       float64       // answers' MB per second of upload
	RequestID, Token string        // the request made, and its status-page token (for inspection)
	// CompleteCut is the complete call's failure when it got no answer
	// (the connection closed: the server's write timeout) although the
	// request was then found completed; "" when it answered 200.
	CompleteCut string
}

// measureExport makes an export request, has data systems answer it with
// generated JSON totalling size bytes, completes it (which builds the
// package) and downloads the package from the requester's emailed link,
// checking that the download is the package the API describes. It samples
// the server's VmRSS every 20 ms throughout.
func measureExport(ctx context.Context, s exportServer, size int64) (exportResult, error) {
	var res exportResult
	logf := s.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	c := &exportClient{base: strings.TrimRight(s.BaseURL, "/"), http: &http.Client{}}
	if err := c.login(ctx, s.AdminEmail, s.AdminPassword); err != nil {
		return res, err
	}

	per := s.SystemBytes
	if per <= 0 {
		per = 256 << 20
	}
	n := int((size + per - 1) / per)
	if n < 1 {
		n = 1
	}
	run := strings.ToLower(rand.Text()[:8])
	keys := map[string]string{} // system name → key
	for i := range n {
		name := fmt.Sprintf("bench %s system %d", run, i+1)
		var sys struct {
			Key string `json:"key"`
		}
		if err := c.call(ctx, http.MethodPost, "/api/v1/systems", "",
			map[string]any{"name": name, "request_types": []string{"export"}, "manual": true}, http.StatusCreated, &sys); err != nil {
			return res, fmt.Errorf("create system: %w", err)
		}
		keys[name] = sys.Key
	}
	res.Systems = n

	// An agent's request, not the subject's own: the subject's completes
	// itself inside the last system's answer (the build then runs in that
	// POST), while an agent's waits for staff to complete it, which times
	// the build alone. The build is the same either way.
	email := "bench-" + run + "@example.com"
	var req struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, http.MethodPost, "/api/v1/requests/intake", "", map[string]any{
		"type": "export", "email": email, "name": "Bench Requester", "country": "GB", "relationship": "authorized_agent",
		"received_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "verified": true,
	}, http.StatusCreated, &req); err != nil {
		return res, fmt.Errorf("intake: %w", err)
	}
	res.RequestID = req.ID
	if err := c.call(ctx, http.MethodPost, "/api/v1/requests/"+req.ID+"/actions", "", map[string]any{"action": "start"}, http.StatusOK, nil); err != nil {
		return res, fmt.Errorf("start: %w", err)
	}
	var tasks struct {
		Items []struct {
			ID     string `json:"id"`
			System struct {
				Name string `json:"name"`
			} `json:"system"`
		} `json:"items"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/v1/requests/"+req.ID+"/tasks", "", nil, http.StatusOK, &tasks); err != nil {
		return res, fmt.Errorf("tasks: %w", err)
	}
	ours := 0
	for _, t := range tasks.Items {
		if keys[t.System.Name] != "" {
			ours++
		}
	}
	if ours != n {
		return res, fmt.Errorf("the request has %d tasks for the %d systems made (of %d tasks)", ours, n, len(tasks.Items))
	}

	rss := newRSSSampler(s.PID)
	defer rss.stop()
	res.StartRSS = rss.now()

	// The data systems answer, one after the other.
	rss.phase(phaseUpload)
	began := time.Now()
	left := size
	for i, t := range tasks.Items {
		key := keys[t.System.Name]
		if key == "" { // a system registered before the bench: staff tick it
			if err := c.call(ctx, http.MethodPost, "/api/v1/tasks/"+t.ID+"/result", "",
				map[string]any{"status": "done", "note": "not part of the benchmark"}, http.StatusOK, nil); err != nil {
				return res, fmt.Errorf("tick task of %s: %w", t.System.Name, err)
			}
			continue
		}
		part := min(per, left)
		left -= part
		body := newExportAnswer(part, uint64(i+1))
		if err := c.upload(ctx, "/api/v1/tasks/"+t.ID+"/result", key, body, part); err != nil {
			return res, fmt.Errorf("answer of %s: %w", t.System.Name, err)
		}
		res.Answers += part
		logf("  %s answered %d MB", t.System.Name, part>>20)
	}
	res.Upload = time.Since(began)

	rss.phase(phaseBuild)
	began = time.Now()
	if err := c.call(ctx, http.MethodPost, "/api/v1/requests/"+req.ID+"/actions", "", map[string]any{"action": "complete"}, http.StatusOK, nil); err != nil {
		var status *exportStatusError
		if errors.As(err, &status) {
			return res, fmt.Errorf("complete: %w", err)
		}
		// No answer at all: the server's write timeout (60 s) ran out
		// while the package was built, and the connection was closed
		// when the handler wrote its answer. The completion itself may
		// have been recorded: wait for it, and say so.
		res.CompleteCut = err.Error()
		if err := c.waitCompleted(ctx, req.ID); err != nil {
			return res, fmt.Errorf("complete: %v; then: %w", res.CompleteCut, err)
		}
	}
	res.Build = time.Since(began)
	rss.phase(phaseIdle)
	logf("  completed (package built) in %s", res.Build.Round(time.Millisecond))

	var detail struct {
		Package *struct {
			Bytes  int64  `json:"bytes"`
			SHA256 string `json:"sha256"`
		} `json:"package"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/v1/requests/"+req.ID, "", nil, http.StatusOK, &detail); err != nil {
		return res, fmt.Errorf("get request: %w", err)
	}
	if detail.Package == nil {
		return res, errors.New("the completed request has no package")
	}
	res.PackageSHA256 = detail.Package.SHA256

	link, token, err := waitPackageLink(ctx, s, email)
	if err != nil {
		return res, err
	}
	res.Token = token

	rss.phase(phaseDownload)
	began = time.Now()
	got, sum, err := c.download(ctx, link, s.SavePackage)
	res.Download = time.Since(began)
	rss.phase(phaseIdle)
	if err != nil {
		return res, fmt.Errorf("download: %w", err)
	}
	res.Bytes = got
	if got != detail.Package.Bytes || sum != detail.Package.SHA256 {
		return res, fmt.Errorf("downloaded %d bytes with SHA-256 %s; the package is %d bytes with %s", got, sum, detail.Package.Bytes, detail.Package.SHA256)
	}

	peaks := rss.stop()
	res.UploadRSS, res.BuildRSS, res.DownloadRSS = peaks[phaseUpload], peaks[phaseBuild], peaks[phaseDownload]
	res.PeakRSS = max(res.UploadRSS, res.BuildRSS, res.DownloadRSS, peaks[phaseIdle])
	res.UploadMBps = mbps(res.Answers, res.Upload)
	res.BuildMBps = mbps(res.Answers, res.Build)
	res.DownloadMBps = mbps(res.Bytes, res.Download)
	return res, nil
}

func mbps(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / 1e6 / d.Seconds()
}

// packageLinkPattern finds the package link in the completion email.
var packageLinkPattern = regexp.MustCompile(`https?://\S+/r/([A-Za-z0-9_-]+)/package`)

// waitPackageLink waits (up to a minute) for the completion email to the
// requester and returns its package link and status token.
func waitPackageLink(ctx context.Context, s exportServer, to string) (string, string, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		for _, e := range s.Emails() {
			if len(e.To) == 0 || !strings.EqualFold(e.To[0], to) {
				continue
			}
			if m := packageLinkPattern.FindStringSubmatch(e.Text); m != nil {
				return m[0], m[1], nil
			}
		}
		if time.Now().After(deadline) {
			return "", "", fmt.Errorf("no email with a package link to %s within a minute", to)
		}
		select {
		case <-ctx.Done():
			return "", "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// exportClient calls the API as the admin (or a system, by its key).
type exportClient struct {
	base  string
	http  *http.Client
	token string // the admin's JWT
}

func (c *exportClient) login(ctx context.Context, email, password string) error {
	var out struct {
		Token string `json:"token"`
	}
	if err := c.call(ctx, http.MethodPost, "/api/v1/auth/login", "-", map[string]string{"email": email, "password": password}, http.StatusOK, &out); err != nil {
		return fmt.Errorf("login as %s: %w", email, err)
	}
	c.token = out.Token
	return nil
}

// call sends a JSON request (bearer: "" for the admin's token, "-" for
// none) and decodes a JSON answer of status want into out (when not nil).
func (c *exportClient) call(ctx context.Context, method, path, bearer string, body any, want int, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch bearer {
	case "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	case "-":
	default:
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
		return &exportStatusError{fmt.Sprintf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(msg))}
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// exportStatusError is an API call answered with another status than
// the one wanted.
type exportStatusError struct{ msg string }

func (e *exportStatusError) Error() string { return e.msg }

// waitCompleted polls the request (up to an hour) until it is completed.
func (c *exportClient) waitCompleted(ctx context.Context, id string) error {
	deadline := time.Now().Add(time.Hour)
	for {
		var r struct {
			Status string `json:"status"`
		}
		if err := c.call(ctx, http.MethodGet, "/api/v1/requests/"+id, "", nil, http.StatusOK, &r); err != nil {
			return err
		}
		if r.Status == "completed" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the request is still %s after an hour", r.Status)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// upload posts a task's answer of n bytes, streamed from body.
func (c *exportClient) upload(ctx context.Context, path, key string, body io.Reader, n int64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, body)
	if err != nil {
		return err
	}
	req.ContentLength = n
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, bytes.TrimSpace(msg))
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// download fetches link (no credentials: the token is in it), counting
// and hashing it, and writing it to save when set.
func (c *exportClient) download(ctx context.Context, link, save string) (int64, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, "", fmt.Errorf("GET %s: %s", strings.SplitN(link, "/r/", 2)[0]+"/r/…/package", resp.Status)
	}
	sum := sha256.New()
	var w io.Writer = sum
	if save != "" {
		f, err := os.Create(save)
		if err != nil {
			return 0, "", err
		}
		defer f.Close()
		w = io.MultiWriter(sum, f)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, "", err
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, "", fmt.Errorf("got %d bytes of a Content-Length of %d", n, resp.ContentLength)
	}
	return n, hex.EncodeToString(sum.Sum(nil)), nil
}

// The phases of an export, for the RSS peaks.
const (
	phaseIdle = iota
	phaseUpload
	phaseBuild
	phaseDownload
	phases
)

// rssSampler reads a process's VmRSS every 20 ms and keeps the peak of
// each phase.
type rssSampler struct {
	pid     int
	current atomic.Int32
	done    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	peaks   [phases]int64
	stopped bool
}

func newRSSSampler(pid int) *rssSampler {
	s := &rssSampler{pid: pid, done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			s.sample()
			select {
			case <-s.done:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) sample() {
	v := s.now()
	s.mu.Lock()
	p := s.current.Load()
	s.peaks[p] = max(s.peaks[p], v)
	s.mu.Unlock()
}

// phase starts a phase, sampling once at the switch so that a short phase
// still has a figure.
func (s *rssSampler) phase(p int32) {
	s.sample()
	s.current.Store(p)
	s.sample()
}

// now is the process's VmRSS in bytes (0 if it cannot be read).
func (s *rssSampler) now() int64 {
	n, _ := vmRSS(s.pid)
	return n
}

// stop ends the sampling and returns each phase's peak.
func (s *rssSampler) stop() [phases]int64 {
	s.mu.Lock()
	if !s.stopped {
		s.stopped = true
		close(s.done)
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peaks
}

// vmRSS reads VmRSS from /proc/PID/status, in bytes.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest) // "123456 kB"
			if len(f) != 2 || f[1] != "kB" {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// exportAnswer generates, as it is read, a task's answer of exactly size
// bytes: {"status":"done","data":{"profile":[…],"events":[…rows…]}}
// padded with trailing white space. Rows look like an event log (ids,
// times, URLs, user agents, amounts, free text) from a seeded generator, so
// they compress as real data does rather than as repeated bytes. Nothing
// but the row being written is held.
type exportAnswer struct {
	left  int64
	buf   []byte // generated, not yet read
	state int    // 0 head, 1 rows, 2 tail done
	rows  int
	rng   uint64
}

func newExportAnswer(size int64, seed uint64) *exportAnswer {
	return &exportAnswer{left: size, rng: seed*0x9E3779B97F4A7C15 + 1}
}

const (
	answerHead = `{"status":"done","data":{"profile":[{"id":"cus_8f3a2c","email":"bench.requester@example.com","name":"Bench Requester","country":"GB","created_at":"2019-04-02T10:11:12Z","marketing_opt_in":false}],"events":[`
	answerTail = "\n]}}\n"
	// maxRow bounds one generated row (the free text is bounded too).
	maxRow = 1024
)

func (a *exportAnswer) Read(p []byte) (int, error) {
	if len(a.buf) == 0 {
		if a.left == 0 {
			return 0, io.EOF
		}
		a.fill()
	}
	n := copy(p, a.buf)
	a.buf = a.buf[n:]
	return n, nil
}

// fill generates the next chunk: the head, some rows, or the tail and
// padding, never more than left.
func (a *exportAnswer) fill() {
	out := a.buf[:0]
	if cap(out) < 64<<10 {
		out = make([]byte, 0, 64<<10)
	}
	if a.state == 0 {
		a.state = 1
		if a.left < int64(len(answerHead)+len(answerTail)) {
			// Too small for any data: a bare answer, padded.
			out = append(out, `{"status":"done"}`...)
			a.state = 2
		} else {
			out = append(out, answerHead...)
		}
	}
	for a.state == 1 && len(out) < 60<<10 {
		// Keep room for the tail after one more row.
		if a.left-int64(len(out)) < int64(maxRow+len(answerTail)+2) {
			out = append(out, answerTail...)
			a.state = 2
			break
		}
		if a.rows > 0 {
			out = append(out, ',')
		}
		out = a.row(append(out, '\n'))
		a.rows++
	}
	if a.state == 2 {
		// White space up to the exact size.
		for int64(len(out)) < a.left && len(out) < cap(out) {
			out = append(out, ' ')
		}
	}
	if int64(len(out)) > a.left { // a bare answer bigger than asked: cut (only for absurdly small sizes)
		out = out[:a.left]
	}
	a.left -= int64(len(out))
	a.buf = out
}

var (
	exportEventTypes = []string{"page_view", "add_to_cart", "checkout", "login", "search", "email_open", "support_message", "refund"}
	exportPaths      = []string{"/products/", "/cart", "/account/orders/", "/search?q=", "/help/articles/", "/checkout/step-"}
	exportAgents     = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
	}
	exportWords = strings.Fields("the order arrived late and the box was damaged please send a replacement or refund thanks for the quick answer my account shows a wrong address can you change it delivery tracking number invoice size colour blue green")
)

func (a *exportAnswer) next() uint64 {
	a.rng ^= a.rng << 13
	a.rng ^= a.rng >> 7
	a.rng ^= a.rng << 17
	return a.rng
}

// row appends one event row.
func (a *exportAnswer) row(b []byte) []byte {
	r := a.next()
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(a.rows)*37*time.Second + time.Duration(r%30)*time.Second)
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(a.rows+1), 10)
	b = append(b, `,"at":"`...)
	b = at.AppendFormat(b, time.RFC3339)
	b = append(b, `","type":"`...)
	b = append(b, exportEventTypes[r%uint64(len(exportEventTypes))]...)
	b = append(b, `","url":"https://shop.example.com`...)
	b = append(b, exportPaths[(r>>8)%uint64(len(exportPaths))]...)
	b = strconv.AppendUint(b, (r>>16)%100000, 10)
	b = append(b, `","ip":"`...)
	b = strconv.AppendUint(b, 10+(r>>20)%200, 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, (r>>28)%256, 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, (r>>36)%256, 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, (r>>44)%256, 10)
	b = append(b, `","user_agent":"`...)
	b = append(b, exportAgents[(r>>52)%uint64(len(exportAgents))]...)
	b = append(b, `","amount":`...)
	b = strconv.AppendFloat(b, float64(a.next()%100000)/100, 'f', 2, 64)
	b = append(b, `,"session":"`...)
	b = strconv.AppendUint(b, a.next(), 36)
	b = append(b, `","note":"`...)
	words := int(a.next() % 24)
	for i := range words {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, exportWords[a.next()%uint64(len(exportWords))]...)
	}
	b = append(b, `","tags":["`...)
	b = append(b, exportWords[a.next()%uint64(len(exportWords))]...)
	b = append(b, `","`...)
	b = append(b, exportWords[a.next()%uint64(len(exportWords))]...)
	return append(b, `"]}`...)
}
