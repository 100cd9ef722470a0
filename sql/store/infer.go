package store

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Role inference scores every (role, column) pair from independent evidence —
// the column's name (synonyms in several languages), its type, its values
// (ranges, units, whole numbers) and relations between columns (revenue − cost
// = profit, units × price = revenue, profit / revenue = margin) — and then
// assigns roles greedily, best score first, one role per column and one column
// per role. Each assigned role keeps its score as confidence and its evidence
// as reason.

// minConfidence is the score a pair needs to be assigned.
const minConfidence = 0.5

// profile is one column as inference sees it: its type class, unit and a
// sample of its values aligned by row with every other column's sample.
type profile struct {
	Column
	idx      int
	norm     string
	words    []string
	numeric  bool
	temporal bool
	unit     string    // "%" or a currency from the load's conversion
	vals     []float64 // numeric sample, NaN for NULL
	distinct int       // distinct values in the sample (text columns)
	lo, hi   float64
	whole    bool // every sampled value is a whole number
	negative bool // some sampled value is below zero
}

// candidate is the evidence for one role on one column.
type candidate struct {
	role    Role
	col     int
	score   float64
	reasons []string
}

// evidence collects candidates by (role, column).
type evidence map[Role]map[int]*candidate

// add records evidence; a second independent piece raises the score a little.
func (e evidence) add(r Role, col int, score float64, reason string) {
	if e[r] == nil {
		e[r] = map[int]*candidate{}
	}
	c, ok := e[r][col]
	if !ok {
		e[r][col] = &candidate{role: r, col: col, score: score, reasons: []string{reason}}
		return
	}
	c.score = math.Min(0.99, math.Max(c.score, score)+0.05)
	c.reasons = append(c.reasons, reason)
}

// drop removes every candidate of role r on column col.
func (e evidence) drop(r Role, col int) { delete(e[r], col) }

// infer assigns roles to the profiled columns and returns the columns with
// Role, RoleConfidence and RoleReason set, and the role map.
func infer(ps []profile) ([]Column, map[Role]string) {
	ev := evidence{}
	byName(ev, ps)
	byType(ev, ps)
	byRelations(ev, ps)
	guards(ev, ps)
	var all []*candidate
	for _, m := range ev {
		for _, c := range m {
			all = append(all, c)
		}
	}
	slices.SortFunc(all, func(a, b *candidate) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(slices.Index(Roles, a.role), slices.Index(Roles, b.role)),
			cmp.Compare(a.col, b.col))
	})
	cols := make([]Column, len(ps))
	for i, p := range ps {
		cols[i] = p.Column
		cols[i].Role, cols[i].RoleConfidence, cols[i].RoleReason = "", 0, ""
	}
	roles := map[Role]string{}
	for _, c := range all {
		if _, taken := roles[c.role]; taken || cols[c.col].Role != "" || c.score < minConfidence {
			continue
		}
		roles[c.role] = cols[c.col].Name
		cols[c.col].Role, cols[c.col].RoleConfidence = c.role, math.Round(c.score*100)/100
		cols[c.col].RoleReason = strings.Join(c.reasons, "; ")
	}
	return cols, roles
}

// fitsRole reports whether a column's type can hold role r.
func fitsRole(r Role, p profile) bool {
	switch {
	case numericRoles[r]:
		return p.numeric
	case r == RoleDate:
		return p.temporal
	case r == RoleStore || r == RoleCampaign:
		return !p.temporal // ids may be numbers
	}
	return !p.numeric && !p.temporal
}

// byName scores names: an exact synonym 0.9, a word of the name 0.7.
func byName(ev evidence, ps []profile) {
	for _, p := range ps {
		for _, r := range Roles {
			if !fitsRole(r, p) {
				continue
			}
			if slices.Contains(roleNames[r], p.norm) {
				ev.add(r, p.idx, 0.9, fmt.Sprintf("name %q means %s", p.Name, r))
				continue
			}
			for _, w := range roleWords[r] {
				if slices.Contains(p.words, w) && !slices.Contains(p.words, "per") {
					ev.add(r, p.idx, 0.7, fmt.Sprintf("name %q contains %q", p.Name, w))
					break
				}
			}
		}
	}
}

// byType scores the date role: the only date column takes it.
func byType(ev evidence, ps []profile) {
	var dates []profile
	for _, p := range ps {
		if p.temporal {
			dates = append(dates, p)
		}
	}
	switch {
	case len(dates) == 1:
		ev.add(RoleDate, dates[0].idx, 0.95, "the only date column")
	case len(dates) > 1:
		ev.add(RoleDate, dates[0].idx, 0.55, fmt.Sprintf("the first of %d date columns", len(dates)))
	}
}

// moneyWords mark a column as an amount of money.
var moneyWords = []string{"usd", "eur", "gbp", "chf", "jpy", "dollar", "dollars", "euro", "euros", "amount", "value", "eur"}

// percentWords mark a column as a percentage or ratio.
var percentWords = []string{"pct", "percent", "percentage", "rate", "ratio", "prozent", "porcentaje"}

// isMoney reports whether a column is an amount of money by its unit or name.
func (p profile) isMoney() bool {
	if p.unit != "" && p.unit != "%" {
		return true
	}
	for _, w := range p.words {
		if slices.Contains(moneyWords, w) {
			return true
		}
	}
	return false
}

// isPercentLike reports whether a column can be a margin: a percentage unit or
// name, or values within ±100 (a percentage or a fraction) that are not money.
func (p profile) isPercentLike() bool {
	if p.unit == "%" || slices.ContainsFunc(p.words, func(w string) bool { return slices.Contains(percentWords, w) }) {
		return true
	}
	return !p.isMoney() && p.lo >= -100 && p.hi <= 100
}

// guards removes what the values rule out: a margin that is money or beyond
// ±100 (a money "margin" is profit), and, in ad-spend data (impressions or
// clicks present), a cost column is the spend.
func guards(ev evidence, ps []profile) {
	for _, p := range ps {
		if _, ok := ev[RoleMargin][p.idx]; ok && p.numeric && !p.isPercentLike() {
			ev.drop(RoleMargin, p.idx)
			ev.add(RoleProfit, p.idx, 0.75, fmt.Sprintf("%q is an amount of money, not a percentage: margin in money is profit", p.Name))
		}
	}
	if len(ev[RoleImpressions]) == 0 && len(ev[RoleClicks]) == 0 {
		return
	}
	for col, c := range ev[RoleCost] {
		ev.add(RoleSpend, col, c.score+0.05, fmt.Sprintf("%q in data with impressions or clicks is ad spend", ps[col].Name))
		ev.drop(RoleCost, col)
	}
}

// minRelationRows is how many sampled rows a relation needs.
const minRelationRows = 10

// relationShare is the share of sampled rows on which a relation must hold.
const relationShare = 0.95

// byRelations scores the money columns by how they relate row by row.
func byRelations(ev evidence, ps []profile) {
	var nums []profile
	for _, p := range ps {
		if p.numeric && len(p.vals) > 0 && p.lo != p.hi && len(nums) < 25 {
			nums = append(nums, p)
		}
	}
	for _, a := range nums {
		for i, b := range nums {
			for _, c := range nums[i+1:] {
				if a.idx == b.idx || a.idx == c.idx || b.unit == "%" || c.unit == "%" || a.unit == "%" {
					continue
				}
				sumRelation(ev, a, b, c)
				productRelation(ev, a, b, c)
			}
		}
	}
	marginRelation(ev, nums)
}

// holds reports whether f(row) is true on at least relationShare of the rows
// where a, b and c all have values.
func holds(a, b, c profile, f func(x, y, z float64) bool) (bool, float64) {
	n, ok := 0, 0
	for i := range a.vals {
		x, y, z := a.vals[i], b.vals[i], c.vals[i]
		if math.IsNaN(x) || math.IsNaN(y) || math.IsNaN(z) {
			continue
		}
		n++
		if f(x, y, z) {
			ok++
		}
	}
	share := float64(ok) / float64(max(n, 1))
	return n >= minRelationRows && share >= relationShare, share
}

func near(x, y, rel float64) bool { return math.Abs(x-y) <= rel*math.Abs(x)+0.011 }

// sumRelation: a = b + c makes a the revenue and b, c its cost and profit; the
// one that goes negative, else the smaller, is the profit.
func sumRelation(ev evidence, a, b, c profile) {
	ok, share := holds(a, b, c, func(x, y, z float64) bool { return near(x, y+z, 0.005) })
	if !ok {
		return
	}
	cost, profit := b, c
	if b.negative && !c.negative || !c.negative == !b.negative && mean(b.vals) < mean(c.vals) {
		cost, profit = c, b
	}
	why := fmt.Sprintf("%s − %s = %s on %.0f%% of sampled rows", a.Name, cost.Name, profit.Name, 100*share)
	ev.add(RoleRevenue, a.idx, 0.8, why)
	ev.add(RoleCost, cost.idx, 0.7, why)
	ev.add(RoleProfit, profit.idx, 0.7, why)
}

// productRelation: a = b × c makes a the revenue, the whole-numbered factor the
// units and the other the price.
func productRelation(ev evidence, a, b, c profile) {
	ok, share := holds(a, b, c, func(x, y, z float64) bool { return near(x, y*z, 0.01) })
	if !ok {
		return
	}
	units, price := b, c
	if c.whole && !b.whole {
		units, price = c, b
	}
	score := 0.8
	if units.whole == price.whole {
		score = 0.6
	}
	why := fmt.Sprintf("%s × %s = %s on %.0f%% of sampled rows", units.Name, price.Name, a.Name, 100*share)
	ev.add(RoleRevenue, a.idx, 0.8, why)
	ev.add(RoleUnits, units.idx, score, why)
	ev.add(RolePrice, price.idx, score, why)
}

// marginRelation: m = profit / revenue (× 100 or not) makes m the margin.
func marginRelation(ev evidence, nums []profile) {
	for _, m := range nums {
		if !m.isPercentLike() {
			continue
		}
		for _, p := range nums {
			for _, r := range nums {
				if m.idx == p.idx || m.idx == r.idx || p.idx == r.idx || p.unit == "%" || r.unit == "%" {
					continue
				}
				ok, share := holds(m, p, r, func(x, y, z float64) bool {
					return z != 0 && (near(x, 100*y/z, 0.002) || near(x, y/z, 0.002))
				})
				if ok {
					why := fmt.Sprintf("%s = %s / %s on %.0f%% of sampled rows", m.Name, p.Name, r.Name, 100*share)
					ev.add(RoleMargin, m.idx, 0.8, why)
					return
				}
			}
		}
	}
}

func mean(xs []float64) float64 {
	s, n := 0.0, 0
	for _, x := range xs {
		if !math.IsNaN(x) {
			s, n = s+x, n+1
		}
	}
	return s / float64(max(n, 1))
}
