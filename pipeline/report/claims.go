package report

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Mark is a claim check's verdict on one text.
type Mark string

// Marks of a checked text.
const (
	Verified   Mark = "verified"
	Partly     Mark = "partly verified"
	Unverified Mark = "unverified"
	NoNumbers  Mark = "no numbers"
)

// Claim is one number written in a text and whether a cited handle holds it.
type Claim struct {
	Text  string // as written, e.g. "1.01M" or "10.98 %"
	Value float64
	OK    bool
}

// Check is the claim check of one text.
type Check struct {
	Claims []Claim
}

// Mark is verified when every number was found, partly verified when some
// were, unverified when none were.
func (c Check) Mark() Mark {
	ok := 0
	for _, cl := range c.Claims {
		if cl.OK {
			ok++
		}
	}
	switch {
	case len(c.Claims) == 0:
		return NoNumbers
	case ok == len(c.Claims):
		return Verified
	case ok == 0:
		return Unverified
	}
	return Partly
}

// Marked returns text with each unverified number flagged "⚠unverified".
func (c Check) Marked(text string) string {
	for _, cl := range c.Claims {
		if !cl.OK {
			text = strings.Replace(text, cl.Text, "**"+cl.Text+"** ⚠unverified", 1)
		}
	}
	return text
}

// Counts counts findings by mark.
type Counts struct {
	Verified, Partly, Unverified, NoNumbers int
}

func (n Counts) String() string {
	return fmt.Sprintf("%d findings verified, %d partly verified, %d unverified against the handles they cite (%d without numbers)",
		n.Verified, n.Partly, n.Unverified, n.NoNumbers)
}

func (n *Counts) add(m Mark) {
	switch m {
	case Verified:
		n.Verified++
	case Partly:
		n.Partly++
	case Unverified:
		n.Unverified++
	default:
		n.NoNumbers++
	}
}

// AgentCheck is the check of one agent's summary and findings.
type AgentCheck struct {
	Summary  Check
	Findings []Check
}

// Checks is the claim check of a report.
type Checks struct {
	Agents []AgentCheck // as Run.Agents
	Counts Counts       // findings by mark
}

// CheckRun checks every agent's findings against the rows of the handles each
// cites, and its summary against every handle of its section.
func CheckRun(r Run, tables []Result) Checks {
	by := map[string]Result{}
	for _, t := range tables {
		by[t.Handle] = t
	}
	pick := func(hs []string) []Result {
		var out []Result
		for _, h := range hs {
			if res, ok := by[h]; ok {
				out = append(out, res)
			}
		}
		return out
	}
	var c Checks
	for _, a := range r.Agents {
		ac := AgentCheck{Summary: CheckText(a.Summary, pick(agentTables(a)))}
		for _, f := range a.Findings {
			fc := CheckText(f.Text, pick(f.Handles))
			ac.Findings = append(ac.Findings, fc)
			c.Counts.add(fc.Mark())
		}
		c.Agents = append(c.Agents, ac)
	}
	return c
}

// numberRE finds numbers as people write them: optional currency, thousands
// separators, decimals, a K/M/B suffix or a percent sign. A number glued to a
// letter, underscore or hyphenated word (Q4, top-3, res_1a2b) is no claim.
var numberRE = regexp.MustCompile(`(?i)(?:^|[^\p{L}\p{N}_.\-])([-−+]?[$€£]?\s?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-−+]?[$€£]?\s?\d+(?:\.\d+)?)(\s?%|\s?(?:k|m|bn|b)\b|\s?(?:thousand|million|billion)\b)?`)

// CheckText finds the numbers in text and looks each up in the rows and
// column statistics of rs. Bare years (1900–2100) are not claims.
func CheckText(text string, rs []Result) Check {
	var c Check
	for _, m := range numberRE.FindAllStringSubmatch(text, -1) {
		num, suffix := m[1], strings.ToLower(strings.TrimSpace(m[2]))
		v, decimals, err := parseNumber(num)
		if err != nil || (suffix == "" && decimals == 0 && v >= 1900 && v <= 2100) {
			continue
		}
		scale := map[string]float64{"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9}[suffix]
		if scale == 0 {
			scale = 1
		}
		tol := 0.5 * math.Pow(10, -float64(decimals)) * scale * 1.0001
		c.Claims = append(c.Claims, Claim{Text: strings.TrimSpace(m[0][strings.Index(m[0], m[1]):]),
			Value: v * scale, OK: found(v*scale, tol, rs)})
	}
	return c
}

// parseNumber reads "1,013,685.43", "$ 12.5" or "−3" and counts its decimals.
func parseNumber(s string) (v float64, decimals int, err error) {
	s = strings.NewReplacer(",", "", "$", "", "€", "", "£", "", " ", "", "−", "-").Replace(s)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		decimals = len(s) - i - 1
	}
	v, err = strconv.ParseFloat(s, 64)
	return v, decimals, err
}

// found tells whether a number within tol of v (or of -v: "fell 5 %") is a cell
// of a row or a column statistic of one of rs.
func found(v, tol float64, rs []Result) bool {
	near := func(x float64) bool { return math.Abs(x-v) <= tol || math.Abs(x+v) <= tol }
	for _, res := range rs {
		for _, row := range res.Page.Rows {
			for _, cell := range row {
				if x, ok := number(cell); ok && near(x) {
					return true
				}
			}
		}
		if res.Summary == nil {
			continue
		}
		for _, s := range res.Summary.Stats {
			if near(s.Sum) || near(s.Mean) || near(s.Min) || near(s.Max) {
				return true
			}
		}
		if near(float64(res.Summary.Rows)) {
			return true
		}
	}
	return false
}

// number reads a cell as a number (numeric strings count).
func number(cell any) (float64, bool) {
	switch x := cell.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

// unverified lists the numbers of a check that were not found, as written.
func (c Check) unverified() []string {
	var out []string
	for _, cl := range c.Claims {
		if !cl.OK {
			out = append(out, cl.Text)
		}
	}
	return out
}

// Discrepancies lists, one line each, the numbers in agent a's summary and
// findings that the handles they cite do not hold, as [CheckRun] checks them;
// tables holds the results of [Tables] of a run of a alone. None means every
// number was found (or there were none).
func Discrepancies(a Agent, tables []Result) []string {
	c := CheckRun(Run{Agents: []Agent{a}}, tables).Agents[0]
	var out []string
	if bad := c.Summary.unverified(); len(bad) > 0 {
		out = append(out, fmt.Sprintf("summary: %s not in %s", strings.Join(bad, ", "), citeList(agentTables(a))))
	}
	for i, f := range c.Findings {
		if bad := f.unverified(); len(bad) > 0 {
			out = append(out, fmt.Sprintf("finding %d %q: %s not in %s", i+1, clipText(oneLine(a.Findings[i].Text), 120),
				strings.Join(bad, ", "), citeList(a.Findings[i].Handles)))
		}
	}
	return out
}

func citeList(hs []string) string {
	if len(hs) == 0 {
		return "any cited result (it cites none)"
	}
	return strings.Join(hs, ", ")
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
