package pipeline

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/mrswarm/mrswarm/pipeline/report"
)

// tableRE is a rendered table's heading: "#### label (`res_…`)" before its rows.
var tableRE = regexp.MustCompile("(?m)^#### .*\\(`(res_[0-9a-f]+)`\\)\n\n\\|")

// checkDistinctTables fails unless the report renders at least one table and
// every table from a handle of its own.
func checkDistinctTables(t *testing.T, md string) {
	t.Helper()
	var hs []string
	for _, m := range tableRE.FindAllStringSubmatch(md, -1) {
		hs = append(hs, m[1])
	}
	if len(hs) == 0 {
		t.Fatal("the report renders no table")
	}
	if u := uniq(hs); len(u) != len(hs) {
		t.Errorf("tables %v: some handle is rendered twice", hs)
	}
}

// checkHTML fails unless doc parses as HTML, has one <svg> per chart link of
// md and no script, and refers to nothing outside itself.
func checkHTML(t *testing.T, md, doc string) {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("the HTML report does not parse: %v", err)
	}
	svgs, scripts := 0, 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			svgs += b2i(n.Data == "svg")
			scripts += b2i(n.Data == "script")
		}
		for _, a := range n.Attr {
			if k := strings.ToLower(a.Key); (k == "src" || k == "href") && !strings.HasPrefix(a.Val, "#") || strings.HasPrefix(k, "on") {
				t.Errorf("the HTML report refers outside itself: %s=%q", a.Key, a.Val)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	if links := report.ChartLinks(md); svgs != len(links) || len(links) == 0 || scripts != 0 {
		t.Errorf("%d <svg> and %d <script> in the HTML; want one svg per chart link (%d) and no script", svgs, scripts, len(links))
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// csvSums reads data/beverage_sales.csv straight from the file (not through
// DuckDB) and sums the columns cols per value of key.
func csvSums(t *testing.T, key string, cols ...string) (keys []string, sums map[string][]float64) {
	t.Helper()
	f, err := os.Open(filepath.Join(dataRoot(t), "beverage_sales.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	k := slices.Index(recs[0], key)
	sums = map[string][]float64{}
	for _, rec := range recs[1:] {
		if _, ok := sums[rec[k]]; !ok {
			keys = append(keys, rec[k])
			sums[rec[k]] = make([]float64, len(cols))
		}
		for i, c := range cols {
			v, err := strconv.ParseFloat(rec[slices.Index(recs[0], c)], 64)
			if err != nil {
				t.Fatal(err)
			}
			sums[rec[k]][i] += v
		}
	}
	return keys, sums
}

// roiFact is the ROI fact of campaign_optimization's roi step (by brand),
// computed from the CSV file: the brand with the highest profit / cost.
func roiFact(t *testing.T) string {
	t.Helper()
	brands, sums := csvSums(t, "brand", "profit", "total_cost")
	roi := func(b string) float64 { return sums[b][0] / sums[b][1] * 100 }
	best := slices.MaxFunc(brands, func(a, b string) int { return cmpFloat(roi(a), roi(b)) })
	return fmt.Sprintf("%s has the highest ROI: %s (profit %s on cost %s)", best, report.Pct(roi(best)),
		report.Num(sums[best][0]), report.Num(sums[best][1]))
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
