package main

import (
	"context"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mrswarm/mrswarm/internal/browsertest"
	"github.com/mrswarm/mrswarm/internal/ollamatest"
	"github.com/mrswarm/mrswarm/server/servertest"
)

func TestMain(m *testing.M) { ollamatest.Main(m) }

// TestTerminalScreenshot runs campaign_optimization on the real Ollama with
// the tiny model on a pseudo-terminal and saves the terminal's last screen as
// <MRSWARM_SCREENSHOTS>/terminal-run.png, drawn by headless Chromium (make
// screenshots). Without MRSWARM_SCREENSHOTS it is skipped.
func TestTerminalScreenshot(t *testing.T) {
	dir := os.Getenv("MRSWARM_SCREENSHOTS")
	if dir == "" {
		t.Skip("set MRSWARM_SCREENSHOTS=<folder> to write the terminal screenshot (make screenshots)")
	}
	llm := ollamatest.Shared(t)
	srv := servertest.Start(t, servertest.Options{Beverage: true, OllamaHost: llm.Host, Model: llm.Model})
	mustCLI(t, srv.GRPCAddr, "load", "beverage_sales", servertest.BeverageFile)
	code, out := onTerminal(t, "--addr", srv.GRPCAddr, "run", "--dataset", "beverage_sales", "--preset", "campaign_optimization",
		"--audience", "health-conscious millennials", "--budget", "250000")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, ansi.ReplaceAllString(out, ""))
	}
	if err := terminalPNG(t, out, filepath.Join(dir, "terminal-run.png")); err != nil {
		t.Fatal(err)
	}
}

// terminalPNG draws the terminal's last screen (the final frame of the live
// view and what follows it) with headless Chromium and saves it as a PNG. The
// raw capture is kept beside the test artifacts.
func terminalPNG(t *testing.T, out, path string) error {
	t.Helper()
	if art, err := browsertest.ArtifactDir(); err == nil {
		os.WriteFile(filepath.Join(art, "terminal-run.ans"), []byte(out), 0o644)
	}
	redraws := regexp.MustCompile(`\x1b\[\d+F`).FindAllStringIndex(out, -1)
	if len(redraws) == 0 {
		return fmt.Errorf("no redrawn frame in the output:\n%q", out)
	}
	page := filepath.Join(t.TempDir(), "terminal.html")
	if err := os.WriteFile(page, []byte(terminalHTML(out[redraws[len(redraws)-1][1]:])), 0o644); err != nil {
		return err
	}
	tab := browsertest.New(t, 1100, 540)
	ctx, cancel := context.WithTimeout(tab, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.CSS("pre"))); err != nil {
		return err
	}
	if err := browsertest.Screenshot(ctx, path); err != nil {
		return err
	}
	t.Logf("wrote %s", path)
	return nil
}

// sgr are the terminal colours the live view uses, as CSS.
var sgr = map[string]string{"1": "font-weight:bold", "2": "opacity:.55", "31": "color:#f87171", "32": "color:#4ade80",
	"33": "color:#fbbf24", "36": "color:#22d3ee", "36;1": "color:#22d3ee;font-weight:bold"}

// terminalHTML renders terminal output with SGR colours as a dark page.
func terminalHTML(screen string) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0;background:#0f1320"><pre style="margin:0;padding:16px 20px;color:#e6e9f2;` +
		`font:14px/1.35 'DejaVu Sans Mono',monospace">`)
	b.WriteString(`<span style="color:#818cf8">$</span> mrswarm run --dataset beverage_sales --preset campaign_optimization` + "\n")
	open := false
	seqs := regexp.MustCompile(`\x1b\[([0-9;?]*)([A-Za-z])`)
	last := 0
	for _, m := range seqs.FindAllStringSubmatchIndex(screen, -1) {
		b.WriteString(html.EscapeString(screen[last:m[0]]))
		last = m[1]
		if screen[m[4]:m[5]] != "m" {
			continue
		}
		if open {
			b.WriteString("</span>")
			open = false
		}
		if style, ok := sgr[screen[m[2]:m[3]]]; ok {
			fmt.Fprintf(&b, `<span style="%s">`, style)
			open = true
		}
	}
	b.WriteString(html.EscapeString(screen[last:]))
	b.WriteString("</pre></body></html>")
	return b.String()
}
