package report

import (
	"fmt"
	"math"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// printer formats numbers for people: English thousands separators.
func printer() *message.Printer { return message.NewPrinter(language.English) }

// Num prints v with thousands separators and two decimals.
func Num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprint(v)
	}
	return printer().Sprintf("%.2f", v)
}

// Int prints v with thousands separators and no decimals.
func Int(v float64) string { return printer().Sprintf("%d", int64(math.Round(v))) }

// Pct prints a percentage with two decimals and a % sign.
func Pct(v float64) string { return Num(v) + " %" }

// isPct tells whether a column holds percentages (by the tools' naming).
func isPct(col string) bool { return strings.HasSuffix(col, "_pct") || col == "hhi_pct" }

// FormatCell prints a value of column col for people: integers and money with
// thousands separators, floats with two decimals, percentages with a % sign.
func FormatCell(col string, v any) string {
	switch x := v.(type) {
	case float64:
		if isPct(col) {
			return Pct(x)
		}
		return Num(x)
	case int64:
		if isPct(col) {
			return Int(float64(x)) + " %"
		}
		if strings.Contains(col, "year") {
			return fmt.Sprint(x)
		}
		return Int(float64(x))
	}
	return FormatValue(v)
}

// FactRows is how many rows of a result the report reads for facts and claim
// checks; tables show MaxRows of them.
const FactRows = 500
