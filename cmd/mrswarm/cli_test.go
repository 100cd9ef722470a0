package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mrswarm/mrswarm/server/servertest"
)

// cli runs one mrswarm command line against addr and returns its exit code
// and output.
func cli(t *testing.T, addr string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), append(args, "--addr", addr), &out, &errOut)
	return code, out.String(), errOut.String()
}

// mustCLI runs a command line that must succeed.
func mustCLI(t *testing.T, addr string, args ...string) string {
	t.Helper()
	code, out, errOut := cli(t, addr, args...)
	if code != 0 {
		t.Fatalf("mrswarm %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// localRegionCounts counts the beverage CSV's rows per region, independently
// of the server.
func localRegionCounts(t *testing.T) (map[string]int, int) {
	t.Helper()
	path, err := servertest.BeverageCSV()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, name := range recs[0] {
		if name == "region" {
			col = i
		}
	}
	counts := map[string]int{}
	for _, r := range recs[1:] {
		counts[r[col]]++
	}
	return counts, len(recs) - 1
}

var handleRE = regexp.MustCompile(`result (res_\w+):`)

func TestCLIData(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{Beverage: true})
	addr := srv.GRPCAddr
	regions, total := localRegionCounts(t)

	out := mustCLI(t, addr, "load", "beverage", servertest.BeverageFile)
	if !strings.Contains(out, "dataset beverage: "+strconv.Itoa(total)+" rows") || !strings.Contains(out, "brand") {
		t.Errorf("load output:\n%s", out)
	}
	if out := mustCLI(t, addr, "load", "beverage", servertest.BeverageFile); !strings.Contains(out, "cache hit") {
		t.Errorf("second load is no cache hit:\n%s", out)
	}
	out = mustCLI(t, addr, "upload", "uploaded", filepath.Join(srv.DataRoot, servertest.BeverageFile), "--role", "store=store_id")
	if !strings.Contains(out, strconv.Itoa(total)+" rows") {
		t.Errorf("upload output:\n%s", out)
	}
	if out := mustCLI(t, addr, "datasets"); !strings.Contains(out, "beverage") || !strings.Contains(out, "uploaded") {
		t.Errorf("datasets output:\n%s", out)
	}
	if out := mustCLI(t, addr, "tools", "beverage"); !strings.Contains(out, "kpi_summary") || !strings.Contains(out, "brand_performance") {
		t.Errorf("tools output:\n%s", out)
	}
	out = mustCLI(t, addr, "call", "beverage", "brand_performance", `{"top_n": 2}`)
	if !strings.Contains(out, ": 2 rows") {
		t.Errorf("call output:\n%s", out)
	}

	out = mustCLI(t, addr, "sql", "SELECT region, count(*) AS n FROM beverage GROUP BY region ORDER BY region", "--limit", "0")
	m := handleRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no handle in sql output:\n%s", out)
	}
	recs, err := csv.NewReader(strings.NewReader(mustCLI(t, addr, "show", m[1], "--csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range recs[1:] {
		got[r[0]], _ = strconv.Atoi(r[1])
	}
	if recs[0][0] != "region" || len(got) != len(regions) {
		t.Fatalf("show --csv: %v", recs)
	}
	for region, n := range regions {
		if got[region] != n {
			t.Errorf("region %s: show says %d, the file has %d", region, got[region], n)
		}
	}
	table := mustCLI(t, addr, "show", m[1], "--limit", "2")
	if lines := strings.Split(strings.TrimSpace(table), "\n"); len(lines) != 3 || !strings.Contains(lines[1], "Africa") {
		t.Errorf("show --limit 2 table:\n%s", table)
	}
}

func TestCLIShowPagesCSV(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{Beverage: true})
	_, total := localRegionCounts(t)
	mustCLI(t, srv.GRPCAddr, "load", "beverage", servertest.BeverageFile)
	out := mustCLI(t, srv.GRPCAddr, "sql", "SELECT * FROM beverage", "--limit", "0")
	h := handleRE.FindStringSubmatch(out)[1]
	tests := []struct {
		name  string
		args  []string
		wantN int
	}{
		{"all rows over several pages", nil, total},
		{"limit inside the first page", []string{"--limit", "7"}, 7},
		{"limit across pages", []string{"--limit", strconv.Itoa(csvPage + 3)}, csvPage + 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := mustCLI(t, srv.GRPCAddr, append([]string{"show", h, "--csv"}, tt.args...)...)
			recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if recs[0][0] != "sale_date" || len(recs)-1 != tt.wantN {
				t.Errorf("header %v and %d rows, want sale_date... and %d rows", recs[0][:2], len(recs)-1, tt.wantN)
			}
		})
	}
}

func TestCLIRun(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{Beverage: true, OllamaHost: "http://127.0.0.1:1", Model: "none"})
	addr := srv.GRPCAddr
	mustCLI(t, addr, "load", "beverage", servertest.BeverageFile)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	writeTestFile(t, good, `{"name": "cli_test", "steps": [
		{"id": "kpis", "tool": {"tool": "kpi_summary"}},
		{"id": "top", "depends_on": ["kpis"], "sql": {"sql": "SELECT brand, sum(total_revenue) AS revenue FROM beverage GROUP BY brand ORDER BY revenue DESC LIMIT 3"}},
		{"id": "report", "depends_on": ["kpis", "top"], "report": {"title": "CLI test report"}}]}`)
	out := mustCLI(t, addr, "run", "--dataset", "beverage", "--file", good, "--force")
	for _, want := range []string{"run_started", "step_started", "step_finished", "run_finished", "run run_", "succeeded", "report  res_"} {
		if !strings.Contains(out, want) {
			t.Errorf("run output lacks %q:\n%s", want, out)
		}
	}
	runID := regexp.MustCompile(`mrswarm report (\S+)`).FindStringSubmatch(out)
	if runID == nil {
		t.Fatalf("run output names no report:\n%s", out)
	}
	if md := mustCLI(t, addr, "report", runID[1]); !strings.Contains(md, "CLI test report") {
		t.Errorf("report:\n%s", md)
	}
	if doc := mustCLI(t, addr, "report", "--html", runID[1]); !strings.HasPrefix(doc, "<!DOCTYPE html>") ||
		!strings.Contains(doc, "<title>CLI test report</title>") || strings.Count(doc, "<svg") != 1 {
		t.Errorf("report --html is not the HTML document with the SQL step's chart:\n%.2000s", doc)
	}
	if out := mustCLI(t, addr, "run", "--dataset", "beverage", "--file", good); !strings.Contains(out, "(3 cached)") {
		t.Errorf("unchanged re-run is not cached:\n%s", out)
	}
	if out := mustCLI(t, addr, "runs"); !strings.Contains(out, runID[1]) {
		t.Errorf("runs lacks %s:\n%s", runID[1], out)
	}

	bad := filepath.Join(dir, "bad.json")
	writeTestFile(t, bad, `{"name": "needs_llm", "steps": [{"id": "analyst", "agent": {"agent": "market_research_analyst"}}]}`)
	code, out, errOut := cli(t, addr, "run", "--dataset", "beverage", "--file", bad)
	if code != 1 || !strings.Contains(out, "step_failed") || !strings.Contains(errOut, "did not succeed") {
		t.Errorf("failing run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

func TestCLIUsageAndErrors(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	tests := []struct {
		name     string
		addr     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"run without dataset", srv.GRPCAddr, []string{"run", "--preset", "campaign_optimization"}, 2, "--dataset"},
		{"run with preset and file", srv.GRPCAddr, []string{"run", "--dataset", "d", "--preset", "p", "--file", "f"}, 2, "exactly one"},
		{"load with one argument", srv.GRPCAddr, []string{"load", "beverage"}, 2, "NAME PATH"},
		{"bad format", srv.GRPCAddr, []string{"load", "a", "b", "--format", "xls"}, 2, "xls"},
		{"unknown dataset", srv.GRPCAddr, []string{"tools", "nope"}, 1, "NotFound"},
		{"unknown handle", srv.GRPCAddr, []string{"show", "res_00000000"}, 1, "NotFound"},
		{"no server", "127.0.0.1:1", []string{"datasets"}, 1,
			"mrswarm datasets: server not reachable at 127.0.0.1:1 — start it with `make demo` or `mrswarm serve`\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := cli(t, tt.addr, tt.args...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, tt.wantCode, tt.wantErr)
			}
			if strings.Contains(errOut, "rpc error") || strings.Contains(errOut, "desc =") {
				t.Errorf("stderr %q carries grpc-go's framing", errOut)
			}
		})
	}
}

func writeTestFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
