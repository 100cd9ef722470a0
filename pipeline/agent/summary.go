package agent

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mrswarm/mrswarm/sql/store"
)

// How a result appears in an agent's prompt. A tiny result is shown whole; a
// larger one as its shape, the range and sum of a few numeric columns and its
// top rows. The store's own Summary.Text (up to 1 KB, for people and clients)
// is more than a small model needs on every turn.
const (
	inlineCells   = 40 // a result of at most this many cells (all in the head) is shown whole
	promptRows    = 3  // top rows of a larger result
	promptColumns = 6  // columns shown per row
	promptStats   = 2  // numeric columns with their range and sum
	promptCell    = 24 // bytes of one text cell
)

// promptSummary renders a result for the prompt: "<handle> (<source>): R rows x C cols",
// then stats (larger results only), then a header line and rows as CSV.
func promptSummary(s store.Summary) string {
	return handleLine(s) + "\n" + summaryBody(s)
}

// summaryKey is promptSummary without the handle: equal for results whose
// summaries read the same.
func summaryKey(s store.Summary) string { return strings.TrimPrefix(promptSummary(s), s.Handle) }

// summaryBody is promptSummary without its first line.
func summaryBody(s store.Summary) string {
	var b strings.Builder
	rows := s.Head
	whole := int64(len(rows)) == s.Rows && int(s.Rows)*len(s.Columns) <= inlineCells
	if !whole {
		if st := statsLine(s); st != "" {
			b.WriteString(st + "\n")
		}
		rows = rows[:min(len(rows), promptRows)]
		if len(rows) > 0 {
			fmt.Fprintf(&b, "top %d rows:\n", len(rows))
		}
	}
	if len(rows) == 0 {
		return b.String()
	}
	names := make([]any, len(s.Columns))
	for i, c := range s.Columns {
		names[i] = c.Name
	}
	b.WriteString(csvRow(names, whole) + "\n")
	for _, r := range rows {
		b.WriteString(csvRow(r, whole) + "\n")
	}
	return b.String()
}

// handleLine names a result and its shape: "res_1a2b3c4d (tool:market_share): 17 rows x 10 cols".
func handleLine(s store.Summary) string {
	return fmt.Sprintf("%s (%s): %s", s.Handle, s.Source, shape(s))
}

func shape(s store.Summary) string { return fmt.Sprintf("%d rows x %d cols", s.Rows, len(s.Columns)) }

// statsLine gives the range of the first promptStats numeric columns that are
// not ranks, and the sum of those that add up (not shares, rates or averages):
// "revenue 92.56..4852.32 sum 254459.38; share_pct 3.01..10.98".
func statsLine(s store.Summary) string {
	var parts []string
	for _, st := range s.Stats {
		if len(parts) == promptStats {
			break
		}
		n := strings.ToLower(st.Column)
		if n == "rank" || strings.HasSuffix(n, "_rank") {
			continue
		}
		part := fmt.Sprintf("%s %s..%s", st.Column, num(st.Min), num(st.Max))
		if additive(n) {
			part += " sum " + num(st.Sum)
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "; ")
}

// additive reports whether a column's sum means something: not a share, rate,
// ratio, margin, average, price or index.
func additive(name string) bool {
	for _, w := range []string{"pct", "share", "rate", "ratio", "margin", "avg", "mean", "price", "index", "hhi", "cv"} {
		if strings.Contains(name, w) {
			return false
		}
	}
	return true
}

// csvRow writes a row's cells comma-separated; unless whole, only the first
// promptColumns cells and "+N" for the rest. Cells with commas are quoted.
func csvRow(r []any, whole bool) string {
	n := len(r)
	if !whole {
		n = min(n, promptColumns)
	}
	parts := make([]string, 0, n+1)
	for _, v := range r[:n] {
		parts = append(parts, cellText(v))
	}
	if n < len(r) {
		parts = append(parts, fmt.Sprintf("+%d", len(r)-n))
	}
	return strings.Join(parts, ",")
}

// cellText is one cell: numbers compact, text clipped and quoted when it holds a comma.
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return num(x)
	case string:
		x = clip(oneLine(x), promptCell)
		if strings.ContainsAny(x, ",\"") {
			return strconv.Quote(x)
		}
		return x
	}
	return fmt.Sprint(v)
}

// num formats a number with at most 2 decimals, none from 1000 up (a claim
// written with fewer decimals is checked with a wider tolerance), and no
// exponent below 1e15.
func num(f float64) string {
	if f >= 1e15 || f <= -1e15 {
		return strconv.FormatFloat(f, 'g', 6, 64)
	}
	decimals := 2
	if f >= 1000 || f <= -1000 {
		decimals = 0
	}
	s := strconv.FormatFloat(f, 'f', decimals, 64)
	if decimals > 0 {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
