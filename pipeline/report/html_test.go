package report

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/mrswarm/mrswarm/pipeline/report/chart"
)

// htmlDoc is what a test reads from an HTML document.
type htmlDoc struct {
	svgs, scripts, tables int
	refs                  []string // every src, href and action attribute (the SVGs' namespaces aside)
	text                  string
}

// parseHTML parses doc with the HTML5 parser and walks its tree.
func parseHTML(t *testing.T, doc string) htmlDoc {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("the HTML does not parse: %v", err)
	}
	var d htmlDoc
	var text strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.ElementNode && n.Data == "svg":
			d.svgs++
		case n.Type == html.ElementNode && n.Data == "script":
			d.scripts++
		case n.Type == html.ElementNode && n.Data == "table":
			d.tables++
		case n.Type == html.TextNode:
			text.WriteString(n.Data)
		}
		for _, a := range n.Attr {
			if k := strings.ToLower(a.Key); k == "src" || k == "href" || k == "action" || strings.HasPrefix(k, "on") {
				d.refs = append(d.refs, a.Key+"="+a.Val)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	d.text = text.String()
	return d
}

// charts draws the charts of rs.
func charts(rs []Result) ChartFunc {
	return func(h string, k chart.Kind) ([]byte, error) {
		for _, res := range rs {
			if res.Handle == h {
				_, svg, err := chart.SVG(chart.Input{Tool: toolName(res), Page: res.Page}, k)
				return svg, err
			}
		}
		return nil, chart.ErrNoChart
	}
}

func TestHTMLIsSelfContained(t *testing.T) {
	st := beverage(t)
	share := toolResult(t, st, "market_share", `{"dimension":"brand"}`)
	forecast := toolResult(t, st, "sales_forecast", `{"periods":6}`)
	kpi := toolResult(t, st, "kpi_summary", `{}`)
	hostile := "Read <script>alert(1)</script> and [this](https://evil.example/x) ![pixel](https://evil.example/p.png) " +
		`<img src="https://evil.example/i.png" onerror="alert(2)"> <https://evil.example/auto> [bad](javascript:alert(3))`
	r := Run{Title: "Campaign <review>", RunID: "run_1", Pipeline: "p", Dataset: "beverage", Generated: time.Now(),
		Agents: []Agent{{Step: "a", Name: "analyst", Final: true, Summary: hostile, Handles: []string{share.Handle, forecast.Handle, kpi.Handle},
			Findings: []Finding{{Text: "Tropicana leads " + hostile, Handles: []string{share.Handle}}}}}}
	rs := []Result{share, forecast, kpi}
	var md strings.Builder
	for _, s := range Render(r, rs, Result{Handle: "res_prof", PageErr: errors.New("no profile")}) {
		md.WriteString(s.Markdown)
	}
	links := ChartLinks(md.String())
	if len(links) != 2 {
		t.Fatalf("chart links %q, want one per charted table (market share, forecast; none for the KPI row)", links)
	}
	doc, err := HTML(md.String(), charts(rs))
	if err != nil {
		t.Fatal(err)
	}
	d := parseHTML(t, doc)
	if d.svgs != len(links) {
		t.Errorf("%d <svg> elements, want one per chart link (%d)", d.svgs, len(links))
	}
	if d.tables != 3 || d.scripts != 0 {
		t.Errorf("%d tables and %d scripts, want 3 tables (the results) and no script", d.tables, d.scripts)
	}
	for _, ref := range d.refs {
		if !strings.HasPrefix(ref, "href=#") {
			t.Errorf("attribute %s: a self-contained report links only within itself", ref)
		}
	}
	for _, w := range []string{"Campaign <review>", "<script>alert(1)</script>", "Tropicana", "Forecast with its 95 % interval"} {
		if !strings.Contains(d.text, w) {
			t.Errorf("the document's text lacks %q", w)
		}
	}
	if !strings.Contains(doc, "@media print") {
		t.Error("no print style")
	}
}
