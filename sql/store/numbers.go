package store

import (
	"fmt"
	"slices"
	"strings"
)

// currencies are the symbols and codes a number may carry, longest first so
// that "US$" is removed before "$".
var currencies = []string{"US$", "USD", "EUR", "GBP", "CHF", "JPY", "CAD", "AUD", "SEK", "NOK", "DKK",
	"PLN", "BRL", "MXN", "INR", "CNY", "$", "€", "£", "¥", "₹"}

// numShape is what one text cell looks like as a number.
type numShape struct {
	currency string // symbol or code found, "" for none
	percent  bool
	paren    bool // (12.50) for a negative amount
	dots     int
	commas   int
	afterDot int // digits after the last '.', -1 if none
	afterCom int // digits after the last ',', -1 if none
	lastSep  byte
	spaces   bool // a space, NBSP or apostrophe between digits: thousands grouping
}

// shapeOf reads v as a number written by a person; ok is false for other text.
func shapeOf(v string) (numShape, bool) {
	t := v
	if strings.Contains(t, "\u00a0") || strings.Contains(t, "\u202f") {
		t = strings.ReplaceAll(strings.ReplaceAll(t, "\u00a0", " "), "\u202f", " ")
	}
	t = strings.TrimSpace(t)
	var sh numShape
	if strings.HasPrefix(t, "(") && strings.HasSuffix(t, ")") {
		sh.paren, t = true, strings.TrimSpace(t[1:len(t)-1])
	}
	for changed := true; changed; {
		changed = false
		t = strings.TrimSpace(t)
		if strings.HasSuffix(t, "%") {
			sh.percent, t, changed = true, strings.TrimSuffix(t, "%"), true
		}
		for _, c := range currencies {
			if rest, ok := strings.CutPrefix(t, c); ok {
				sh.currency, t, changed = c, rest, true
			} else if rest, ok := strings.CutSuffix(t, c); ok {
				sh.currency, t, changed = c, rest, true
			}
		}
		if len(t) > 0 && (t[0] == '-' || t[0] == '+') && !changed {
			t, changed = t[1:], true
		}
	}
	return sh, sh.digits(t)
}

// digits checks the core of a number (digits and separators) and records its separators.
func (sh *numShape) digits(t string) bool {
	if t == "" || t[0] < '0' || t[0] > '9' && t[0] != '.' && t[0] != ',' || t[len(t)-1] < '0' || t[len(t)-1] > '9' {
		return false
	}
	sh.afterDot, sh.afterCom = -1, -1
	if !grouped(t) {
		return false
	}
	for i := 0; i < len(t); i++ {
		switch ch := t[i]; {
		case ch >= '0' && ch <= '9':
			continue
		case ch == '.':
			sh.dots++
		case ch == ',':
			sh.commas++
		case ch == ' ' || ch == '\'':
			sh.spaces = true
		default:
			return false
		}
		if i > 0 && (t[i-1] < '0' || t[i-1] > '9') {
			return false // two separators in a row
		}
		sh.lastSep = t[i]
		if ch := t[i]; ch == '.' || ch == ',' {
			sh.afterDot, sh.afterCom = sh.after(ch, t[i+1:])
		}
	}
	return true
}

// grouped checks digit grouping: every separator but a single last one (the
// decimal mark) must be followed by exactly three digits, so "1.234.567" and
// "1,234.50" are numbers and "01.01.2024" is not.
func grouped(t string) bool {
	type sep struct {
		ch    byte
		after int
	}
	var seps []sep
	for i := 0; i < len(t); i++ {
		if ch := t[i]; ch < '0' || ch > '9' {
			seps = append(seps, sep{ch: ch})
		} else if len(seps) > 0 {
			seps[len(seps)-1].after++
		}
	}
	for i, s := range seps {
		last := i == len(seps)-1
		repeated := strings.Count(t, string(s.ch)) > 1
		if (!last || repeated) && s.after != 3 {
			return false
		}
	}
	return true
}

// after returns afterDot and afterCom once separator sep is the last seen.
func (sh *numShape) after(sep byte, rest string) (int, int) {
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if sep == '.' {
		return n, sh.afterCom
	}
	return sh.afterDot, n
}

// decimalVote is the decimal separator a cell proves ('.' or ','), 0 when it
// proves none, and whether it is ambiguous ("1,234" or "1.234").
func (sh numShape) decimalVote() (byte, bool) {
	switch {
	case sh.dots > 0 && sh.commas > 0:
		return sh.lastSep, false
	case sh.commas > 1:
		return '.', false
	case sh.dots > 1:
		return ',', false
	case sh.commas == 1 && sh.afterCom != 3:
		return ',', false
	case sh.dots == 1 && sh.afterDot != 3:
		return '.', false
	}
	return 0, sh.commas == 1 || sh.dots == 1
}

// hint is the decimal separator to use where a column's own values do not tell.
type hint struct {
	sep    byte // '.' or ','
	forced bool // given by the load options
	why    string
}

// decimalHint settles the file-wide default decimal separator: the option, else
// the separator the file's unambiguous numbers vote for, else ',' for a file
// separated by ';' (as European exports are), else '.'.
func decimalHint(o readOptions, delim string, samples map[string][]string) hint {
	if o.decimal != "" {
		return hint{sep: o.decimal[0], forced: true, why: "the decimal option"}
	}
	votes := map[byte]int{}
	for _, vs := range samples {
		for _, v := range vs {
			if sh, ok := shapeOf(v); ok {
				if d, _ := sh.decimalVote(); d != 0 {
					votes[d]++
				}
			}
		}
	}
	switch {
	case votes[','] > votes['.']:
		return hint{sep: ',', why: "the file's other numbers use a decimal comma"}
	case votes['.'] > votes[',']:
		return hint{sep: '.', why: "the file's other numbers use a decimal point"}
	case delim == ";":
		return hint{sep: ',', why: "the file is separated by ';'"}
	}
	return hint{sep: '.', why: "the default"}
}

// maxTextShare is the share of sampled cells that may be non-numbers (or
// non-dates) for a column to be planned as numbers (or dates).
const maxTextShare = 0.02

// planNumber plans the conversion of a text column to DOUBLE when nearly all of
// its sampled cells are numbers as people write them.
func planNumber(col string, vals []string, h hint, forced bool) (plan, bool) {
	if len(vals) == 0 {
		return plan{}, false
	}
	var shapes []numShape
	text, maxText := 0, maxTextShare*float64(len(vals))
	for _, v := range vals {
		sh, ok := shapeOf(v)
		if !ok {
			if text++; float64(text) > maxText {
				return plan{}, false // too much text already: stop reading the sample
			}
			continue
		}
		shapes = append(shapes, sh)
	}
	if len(shapes) == 0 {
		return plan{}, false
	}
	dec, ambiguous, why := columnDecimal(shapes, h, forced)
	q := quoteIdent(col)
	p := plan{col: col, expr: numberSQL(q, dec, shapes),
		conv: Conversion{Column: col, From: "VARCHAR", To: "DOUBLE", Unit: unitOf(shapes)}}
	p.conv.Detail = numberDetail(vals[0], dec, shapes, why)
	if ambiguous && (h.why == "the default" || h.why == "the file is separated by ';'") {
		other := map[byte]string{'.': ",", ',': "."}[dec]
		p.conv.Warning = fmt.Sprintf("numbers like %q are ambiguous; read %q as the decimal separator (%s): load with decimal=%q if that is wrong",
			firstAmbiguous(vals), string(dec), why, other)
	}
	return p, true
}

// columnDecimal decides a column's decimal separator from its own cells' votes,
// else from the hint; ambiguous says the hint decided between readings that differ.
func columnDecimal(shapes []numShape, h hint, forced bool) (dec byte, ambiguous bool, why string) {
	if forced {
		return h.sep, false, h.why
	}
	votes := map[byte]int{}
	amb := false
	for _, sh := range shapes {
		d, a := sh.decimalVote()
		votes[d]++
		amb = amb || a
	}
	switch {
	case votes[','] > votes['.']:
		return ',', false, "its values use a decimal comma"
	case votes['.'] > votes[',']:
		return '.', false, "its values use a decimal point"
	}
	return h.sep, amb, h.why
}

// numberSQL is the DuckDB expression that reads quoted column q as DOUBLE:
// decorations removed with replace() (cheap, no regular expressions), the
// thousands separator dropped, a decimal comma turned into a point, and
// (12.50) negated. Text it cannot read becomes NULL (and is counted).
func numberSQL(q string, dec byte, shapes []numShape) string {
	drop := []string{" ", "\u00a0", "\u202f", "'", "(", ")", "%"}
	for _, sh := range shapes {
		if sh.currency != "" && !slices.Contains(drop, sh.currency) {
			drop = append(drop, sh.currency)
		}
	}
	slices.SortStableFunc(drop, func(a, b string) int { return len(b) - len(a) })
	thousands := map[byte]string{'.': ",", ',': "."}[dec]
	e := "trim(" + q + ")"
	for _, d := range append(drop, thousands) {
		e = "replace(" + e + ", " + quoteLit(d) + ", '')"
	}
	if dec == ',' {
		e = "replace(" + e + ", ',', '.')"
	}
	return fmt.Sprintf("(CASE WHEN starts_with(trim(%s), '(') THEN -1 ELSE 1 END) * TRY_CAST(%s AS DOUBLE)", q, e)
}

// unitOf is "%" when most cells are percentages, else the most common currency.
func unitOf(shapes []numShape) string {
	pct, cur := 0, map[string]int{}
	for _, sh := range shapes {
		if sh.percent {
			pct++
		}
		if sh.currency != "" {
			cur[sh.currency]++
		}
	}
	if 2*pct >= len(shapes) {
		return "%"
	}
	best, n := "", 0
	for c, k := range cur {
		if k > n || k == n && c < best {
			best, n = c, k
		}
	}
	return best
}

// numberDetail says in words what reading the column as numbers did.
func numberDetail(example string, dec byte, shapes []numShape, why string) string {
	var did []string
	if u := unitOf(shapes); u == "%" {
		did = append(did, `"%" removed (unit kept)`)
	} else if u != "" {
		did = append(did, fmt.Sprintf("currency %q removed (unit kept)", u))
	}
	for _, sh := range shapes {
		if sh.paren {
			did = append(did, "(x) read as -x")
			break
		}
	}
	did = append(did, fmt.Sprintf("decimal %q (%s)", string(dec), why))
	return fmt.Sprintf("text numbers like %q read as DOUBLE: %s", example, strings.Join(did, "; "))
}

// firstAmbiguous returns the first cell whose decimal separator cannot be told.
func firstAmbiguous(vals []string) string {
	for _, v := range vals {
		if sh, ok := shapeOf(v); ok {
			if _, a := sh.decimalVote(); a {
				return v
			}
		}
	}
	return vals[0]
}
