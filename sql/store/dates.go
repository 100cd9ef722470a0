package store

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// dateForm is one way people write dates, as a pattern over a cell and the
// DuckDB strptime format that reads it.
type dateForm struct {
	re     *regexp.Regexp
	format string // "" for the day/month forms decided from the values
	sep    string // separator of a day/month form
	time   bool   // the form has a time of day: the column becomes TIMESTAMP
	label  string
}

var dateForms = []dateForm{
	{re: regexp.MustCompile(`^\d{4}-\d{1,2}-\d{1,2}$`), format: "%Y-%m-%d", label: "yyyy-mm-dd"},
	{re: regexp.MustCompile(`^\d{4}/\d{1,2}/\d{1,2}$`), format: "%Y/%m/%d", label: "yyyy/mm/dd"},
	{re: regexp.MustCompile(`^\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2})?$`), format: "", sep: "iso", time: true, label: "timestamps"},
	{re: regexp.MustCompile(`^\d{1,2}/\d{1,2}/\d{4}$`), sep: "/"},
	{re: regexp.MustCompile(`^\d{1,2}-\d{1,2}-\d{4}$`), sep: "-"},
	{re: regexp.MustCompile(`^\d{1,2}\.\d{1,2}\.\d{4}$`), sep: "."},
	{re: regexp.MustCompile(`^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}(:\d{2})?$`), sep: "/", time: true},
	{re: regexp.MustCompile(`^\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}:\d{2}(:\d{2})?$`), sep: ".", time: true},
	{re: regexp.MustCompile(`^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$`), format: "%Y%m%d", label: "yyyymmdd"},
	{re: regexp.MustCompile(`^\d{4}-W\d{2}$`), format: "%G-W%V", label: "ISO weeks (yyyy-Www, read as their Monday)"},
	{re: regexp.MustCompile(`^\d{4}-\d{2}$`), format: "%Y-%m", label: "months (yyyy-mm, read as their first day)"},
	{re: regexp.MustCompile(`^[A-Za-z]{3} \d{4}$`), format: "%b %Y", label: "months (Mon yyyy, read as their first day)"},
	{re: regexp.MustCompile(`^[A-Za-z]{4,9} \d{4}$`), format: "%B %Y", label: "months (Month yyyy, read as their first day)"},
}

// planDate plans the conversion of a text column to DATE (or TIMESTAMP) when
// nearly all sampled cells match one date form. Day/month order comes from
// the values (a first part above 12 is a day), else the dateOrder option, else
// mm/dd for "/" in a file with a decimal point and dd/mm otherwise, and the
// report then says it guessed and how to override.
func planDate(col string, vals []string, dateOrder string, dec byte) (plan, bool) {
	if len(vals) == 0 {
		return plan{}, false
	}
	for _, f := range dateForms {
		if matchesForm(f, vals) {
			return datePlan(col, vals, f, dateOrder, dec)
		}
	}
	return plan{}, false
}

// matchesForm reports whether all but maxTextShare of vals match form f; it
// stops at the first cell over that share.
func matchesForm(f dateForm, vals []string) bool {
	misses, maxMisses := 0, maxTextShare*float64(len(vals))
	for _, v := range vals {
		if !f.re.MatchString(strings.TrimSpace(v)) {
			if misses++; float64(misses) > maxMisses {
				return false
			}
		}
	}
	return true
}

// datePlan builds the plan for a column whose cells match form f.
func datePlan(col string, vals []string, f dateForm, dateOrder string, dec byte) (plan, bool) {
	p := plan{col: col, conv: Conversion{Column: col, From: "VARCHAR", To: "DATE"}}
	if f.time {
		p.conv.To = "TIMESTAMP"
	}
	format, label := f.format, f.label
	switch {
	case f.sep == "iso":
		format = "%Y-%m-%d %H:%M:%S"
	case format == "":
		order, warn, ok := dayOrder(vals, f.sep, dateOrder, dec)
		if !ok {
			return plan{}, false
		}
		format, label = orderFormat(order, f.sep), orderLabel(order, f.sep)
		p.conv.Warning = warn
	}
	q := quoteIdent(col)
	p.expr = dateSQL(q, format, f)
	p.conv.Detail = fmt.Sprintf("text dates like %q read as %s: %s", vals[0], p.conv.To, label)
	return p, true
}

// dateSQL is the expression reading quoted column q in format.
func dateSQL(q, format string, f dateForm) string {
	e := "try_strptime(trim(" + q + "), " + quoteLit(format) + ")"
	if f.time {
		alt := strings.Replace(format, ":%S", "", 1)
		if f.sep == "iso" {
			e = "COALESCE(try_strptime(replace(trim(" + q + "), 'T', ' '), '%Y-%m-%d %H:%M:%S'), try_strptime(replace(trim(" + q + "), 'T', ' '), '%Y-%m-%d %H:%M'))"
			return e
		}
		return "COALESCE(" + e + ", try_strptime(trim(" + q + "), " + quoteLit(alt) + "))"
	}
	return "CAST(" + e + " AS DATE)"
}

// dayOrder decides "dmy" or "mdy" for cells like 01/02/2024; ok is false when
// both parts exceed 12 somewhere (not dates). warn is set when it had to guess.
func dayOrder(vals []string, sep, option string, dec byte) (order, warn string, ok bool) {
	firstBig, secondBig := false, false
	for _, v := range vals {
		parts := strings.SplitN(strings.Fields(strings.TrimSpace(v))[0], sep, 3)
		a, _ := strconv.Atoi(parts[0])
		b, _ := strconv.Atoi(parts[1])
		firstBig, secondBig = firstBig || a > 12, secondBig || b > 12
	}
	switch {
	case firstBig && secondBig:
		return "", "", false
	case firstBig:
		return "dmy", "", true
	case secondBig:
		return "mdy", "", true
	case option != "":
		return option, "", true
	}
	order, why := "dmy", "day first is the rule outside the US"
	if sep == "/" && dec == '.' {
		order, why = "mdy", "the file writes numbers the US way"
	}
	other := map[string]string{"dmy": "mdy", "mdy": "dmy"}[order]
	warn = fmt.Sprintf("no day above 12, so %q is ambiguous; read as %s because %s: load with date_order=%s if that is wrong",
		vals[0], orderLabel(order, sep), why, other)
	return order, warn, true
}

func orderFormat(order, sep string) string {
	if order == "mdy" {
		return "%m" + sep + "%d" + sep + "%Y"
	}
	return "%d" + sep + "%m" + sep + "%Y"
}

func orderLabel(order, sep string) string {
	if order == "mdy" {
		return "mm" + sep + "dd" + sep + "yyyy"
	}
	return "dd" + sep + "mm" + sep + "yyyy"
}

// dateWords are name parts that mark a date column (several languages).
var dateWords = []string{"date", "datum", "fecha", "data", "day", "dia", "jour", "tag", "week", "woche",
	"semana", "month", "monat", "mes", "mois", "period", "periode", "timestamp", "time", "dt"}

// dateName reports whether a column's name says it holds dates.
func dateName(name string) bool {
	for _, w := range strings.Split(normName(name), "_") {
		for _, d := range dateWords {
			if w == d {
				return true
			}
		}
	}
	return strings.HasSuffix(normName(name), "date") || strings.HasSuffix(normName(name), "datum")
}

// planNumericDate plans reading a numeric column named like a date as dates:
// yyyymmdd integers, or Excel serial day numbers (days since 1899-12-30).
func planNumericDate(c Column, vals []string) (plan, bool) {
	lo, hi, whole := 0.0, 0.0, true
	for i, v := range vals {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return plan{}, false
		}
		if i == 0 || x < lo {
			lo = x
		}
		if i == 0 || x > hi {
			hi = x
		}
		whole = whole && x == float64(int64(x))
	}
	if len(vals) == 0 {
		return plan{}, false
	}
	q := quoteIdent(c.Name)
	p := plan{col: c.Name, conv: Conversion{Column: c.Name, From: c.Type, To: "DATE"}}
	switch {
	case whole && lo >= 19000101 && hi <= 21001231:
		p.expr = "CAST(try_strptime(CAST(CAST(" + q + " AS BIGINT) AS VARCHAR), '%Y%m%d') AS DATE)"
		p.conv.Detail = fmt.Sprintf("numbers like %.0f read as dates: yyyymmdd", lo)
	case lo >= 20000 && hi <= 80000:
		p.expr = "CAST(DATE '1899-12-30' + CAST(floor(" + q + ") AS INTEGER) AS DATE)"
		p.conv.Detail = fmt.Sprintf("numbers like %.0f read as dates: Excel serial day numbers", lo)
	default:
		return plan{}, false
	}
	return p, true
}
