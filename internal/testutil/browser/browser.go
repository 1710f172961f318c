// Package browser runs a real headless chromium for page tests, through
// chromedp. A machine without chromium skips those tests with a message
// saying how to install it, unless RIGHTSDESK_BROWSER_REQUIRED=1 (set by
// .ci/run), where a missing browser is a failure.
package browser

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser is one headless chromium with one tab, closed when the test ends.
type Browser struct {
	ctx context.Context
	t   *testing.T
	dir string
}

// step bounds one call: a page that never shows what the test waits for
// fails the test instead of hanging it.
const step = 20 * time.Second

// execPath finds a chromium binary.
func execPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New starts the browser, or skips the test when there is none.
func New(t *testing.T) *Browser {
	t.Helper()
	path := execPath()
	if path == "" {
		msg := "no chromium found: install it (Debian: apt-get install chromium) to run the browser tests"
		if os.Getenv("RIGHTSDESK_BROWSER_REQUIRED") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root, where chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// The first call starts the browser; its context must have no timeout,
	// or the timeout would end the browser (chromedp.Run's rule).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browser: start %s: %v", path, err)
	}
	dir := os.Getenv("RIGHTSDESK_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "rightsdesk-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &Browser{ctx: ctx, t: t, dir: dir}
}

// Do runs steps in the tab, in order, and fails the test on the first error.
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// run runs one action that returns a value.
func run[T any](b *Browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// Open navigates to url and waits until sel is visible.
func (b *Browser) Open(url, sel string) {
	b.t.Helper()
	b.Do(chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// Text returns the visible text of the first element matching sel.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, chromedp.Text(chromedp.CSS(sel))))
}

// Submit clicks sel (a submit button or a link) and waits until the next
// page has loaded and shows waitFor. The old page is marked first, so an
// element it also had cannot be mistaken for the new page's.
func (b *Browser) Submit(sel, waitFor string) {
	b.t.Helper()
	run(b, chromedp.Evaluate[bool](`window.__rdOld = true`))
	b.Do(chromedp.Click(chromedp.CSS(sel)))
	probe := `!window.__rdOld && document.readyState === 'complete' && document.querySelector(` + quote(waitFor) + `) !== null`
	deadline := time.Now().Add(step)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](probe))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("browser: after clicking %s, no page with %s (at %s)", sel, waitFor, b.Location())
}

// Value returns the current value of the input matching sel.
func (b *Browser) Value(sel string) string {
	b.t.Helper()
	return run(b, chromedp.Evaluate[string](`document.querySelector(`+quote(sel)+`).value`))
}

// Count returns how many elements match sel right now (no waiting).
func (b *Browser) Count(sel string) int {
	b.t.Helper()
	return run(b, chromedp.Evaluate[int](`document.querySelectorAll(`+quote(sel)+`).length`))
}

// Location returns the tab's current URL.
func (b *Browser) Location() string {
	b.t.Helper()
	return run(b, chromedp.Location())
}

// Screenshot saves the whole page as NAME.png (quality 100 is PNG) in the screenshot directory
// (RIGHTSDESK_SCREENSHOTS, else rightsdesk-screenshots under the temp dir).
func (b *Browser) Screenshot(name string) {
	b.t.Helper()
	png := run(b, chromedp.FullScreenshot(100))
	path := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", path)
}

func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
