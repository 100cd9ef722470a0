// Package browsertest drives a real headless Chromium from Go tests through
// the DevTools protocol (chromedp): it finds the browser, starts it with a
// fresh profile and flags that work in containers, and saves screenshots of
// failed tests as artifacts.
//
// A missing browser skips the test, or fails it when MRSWARM_REQUIRE_BROWSER=1
// (as `make test` sets after `make browser-deps` installed Debian's chromium).
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/mrswarm/mrswarm/internal/repo"
)

// ErrNoBrowser reports that no Chromium was found.
var ErrNoBrowser = errors.New("browsertest: no chromium found (install it with `make browser-deps`, or set MRSWARM_CHROMIUM)")

// candidates are the browser binaries looked up on PATH, in order.
var candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// Find returns the browser to use: MRSWARM_CHROMIUM, else the first of
// chromium, chromium-browser, google-chrome on PATH.
func Find() (string, error) {
	if p := os.Getenv("MRSWARM_CHROMIUM"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoBrowser
}

// New starts a headless Chromium for tb and returns the context of its first
// tab; the browser stops at tb's cleanup (after the screenshots of
// [ScreenshotOnFailure], which is why it does not hang off tb.Context). A
// missing browser skips tb, or fails it under MRSWARM_REQUIRE_BROWSER=1.
func New(tb testing.TB, width, height int) context.Context {
	tb.Helper()
	bin, err := Find()
	if err != nil {
		if os.Getenv("MRSWARM_REQUIRE_BROWSER") == "1" {
			tb.Fatalf("%v (MRSWARM_REQUIRE_BROWSER=1)", err)
		}
		tb.Skip(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(tb.Logf))
	if err := chromedp.Do(bctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		tb.Fatalf("browsertest: start %s: %v", bin, err)
	}
	tb.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	return bctx
}

// ArtifactDir is where screenshots of failed tests go: MRSWARM_ARTIFACTS, else
// <module root>/.cache/test-artifacts.
func ArtifactDir() (string, error) {
	if d := os.Getenv("MRSWARM_ARTIFACTS"); d != "" {
		return d, os.MkdirAll(d, 0o755)
	}
	root, err := repo.Root()
	if err != nil {
		return "", err
	}
	d := filepath.Join(root, ".cache", "test-artifacts")
	return d, os.MkdirAll(d, 0o755)
}

// ScreenshotOnFailure saves a screenshot of the tab ctx as
// <ArtifactDir>/<test>-<name>.png when tb has failed by its cleanup.
func ScreenshotOnFailure(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	tb.Cleanup(func() {
		if !tb.Failed() {
			return
		}
		dir, err := ArtifactDir()
		if err != nil {
			tb.Logf("browsertest: no artifact folder: %v", err)
			return
		}
		path := filepath.Join(dir, fmt.Sprintf("%s-%s.png", unsafeChars.ReplaceAllString(tb.Name(), "_"), name))
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
		defer cancel()
		if err := Screenshot(sctx, path); err != nil {
			tb.Logf("browsertest: screenshot: %v", err)
			return
		}
		tb.Logf("screenshot of the failed page: %s", path)
	})
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// Screenshot brings the tab ctx to the front (a background tab does not
// paint) and writes a PNG of its viewport to path.
func Screenshot(ctx context.Context, path string) error {
	front := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.BringToFront, cdp.Empty{})
		return err
	})
	if err := chromedp.Do(ctx, front); err != nil {
		return err
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}
