package server

import (
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/mrswarm/mrswarm/pipeline/report"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// htmlCounts parses doc with the HTML5 parser and counts its svg and script
// elements; refs are its src, href and on* attributes.
func htmlCounts(t *testing.T, doc []byte) (svgs, scripts int, refs []string) {
	t.Helper()
	root, err := html.Parse(strings.NewReader(string(doc)))
	if err != nil {
		t.Fatalf("the HTML does not parse: %v", err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "svg" {
			svgs++
		}
		if n.Type == html.ElementNode && n.Data == "script" {
			scripts++
		}
		for _, a := range n.Attr {
			if k := strings.ToLower(a.Key); k == "src" || k == "href" || strings.HasPrefix(k, "on") {
				refs = append(refs, a.Key+"="+a.Val)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return svgs, scripts, refs
}

func TestReportHTMLOverREST(t *testing.T) {
	ts := startWithSales(t, &scriptLLM{})
	ctx := t.Context()
	started, err := ts.pipes.StartRun(ctx, &mrswarmv1.StartRunRequest{Dataset: "sales",
		Source: &mrswarmv1.StartRunRequest_Preset{Preset: "campaign_optimization"}, Inputs: &mrswarmv1.RunInputs{Budget: 250000}})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := ts.pipes.WatchRun(ctx, &mrswarmv1.WatchRunRequest{RunId: started.GetRunId()})
	if err != nil {
		t.Fatal(err)
	}
	collect(t, stream.Recv)
	md, err := ts.pipes.GetRunReport(ctx, &mrswarmv1.GetRunReportRequest{RunId: started.GetRunId()})
	if err != nil {
		t.Fatal(err)
	}
	links := report.ChartLinks(md.GetMarkdown())
	if len(links) < 3 { // market share, ROI, budget plan at least
		t.Fatalf("the markdown links %d charts (%q), want the tool results' charts", len(links), links)
	}
	for _, l := range links {
		if code, hdr, body := ts.get(t, l); code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "image/svg+xml") {
			t.Errorf("GET %s (linked from the markdown) = %d %.200s", l, code, body)
		}
	}

	for _, format := range []string{"html", "HTML", "REPORT_FORMAT_HTML"} {
		t.Run("format="+format, func(t *testing.T) {
			code, hdr, body := ts.get(t, "/v1/runs/"+started.GetRunId()+"/report?format="+format)
			if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
				t.Fatalf("= %d %q %.300s, want 200 text/html", code, hdr.Get("Content-Type"), body)
			}
			svgs, scripts, refs := htmlCounts(t, body)
			if svgs != len(links) || scripts != 0 {
				t.Errorf("%d <svg> and %d <script>, want one svg per chart link (%d) and no script", svgs, scripts, len(links))
			}
			for _, ref := range refs {
				if !strings.HasPrefix(ref, "href=#") {
					t.Errorf("attribute %s: the HTML report must not load or link anything outside itself", ref)
				}
			}
		})
	}
	t.Run("markdown stays the default", func(t *testing.T) {
		code, rep := ts.doJSON(t, "GET", "/v1/runs/"+started.GetRunId()+"/report", nil)
		if code != http.StatusOK || rep["markdown"] != md.GetMarkdown() || rep["html"] != "" {
			t.Errorf("GET report = %d, markdown equal: %v, html %.40q", code, rep["markdown"] == md.GetMarkdown(), rep["html"])
		}
	})
	t.Run("gRPC", func(t *testing.T) {
		rep, err := ts.pipes.GetRunReport(ctx, &mrswarmv1.GetRunReportRequest{RunId: started.GetRunId(), Format: mrswarmv1.ReportFormat_REPORT_FORMAT_HTML})
		if err != nil || !strings.HasPrefix(rep.GetHtml(), "<!DOCTYPE html>") {
			t.Errorf("GetRunReport(HTML) = %.60q, %v", rep.GetHtml(), err)
		}
	})
	for _, tc := range []struct {
		name, path string
		code       int
	}{
		{"unknown format", "/v1/runs/" + started.GetRunId() + "/report?format=pdf", 400},
		{"unknown run", "/v1/runs/run_nope/report?format=html", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, body := ts.get(t, tc.path); code != tc.code || !strings.Contains(string(body), `"message"`) {
				t.Errorf("= %d %s, want %d with a message", code, body, tc.code)
			}
		})
	}
}
