package tools

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/mrswarm/mrswarm/sql/mmm"
	"github.com/mrswarm/mrswarm/sql/store"
)

var optimizeBudgetTool = tool{Spec: Spec{Name: "optimize_budget", RequiredRoles: mmmRoles,
	Description: "Allocates a budget spent evenly over horizon_days across channels to maximise the outcome predicted by the fitted response curves (marginal returns equalised within bounds relative to each channel's current spend, the mean daily spend of the last 90 days); per channel the allocation, the predicted incremental outcome with a 95% interval, and the same for the current mix and for budget_plan's equal split. Channels without spend history are flagged and not extrapolated."},
	params: append(mmmParams(),
		numParam("total_budget", "Budget to allocate over the horizon (default: current spend over the horizon).", 1, 1e12, nil),
		intParam("horizon_days", "Days over which the budget is spent evenly.", 1, 365, 30),
		numParam("min_change_pct", "Lowest allocation relative to current spend, in percent (-75 allows a cut to a quarter).", -100, 0, -75.0),
		numParam("max_change_pct", "Highest allocation relative to current spend, in percent (200 allows up to triple).", 0, 10000, 200.0),
		boundsParam("channel_min", "Per channel, the least it may get over the horizon (overrides min_change_pct)."),
		boundsParam("channel_max", "Per channel, the most it may get over the horizon (overrides max_change_pct).")),
	run: runOptimizeBudget}

func boundsParam(name, desc string) param {
	return param{name: name, kind: kObject, desc: desc,
		schema: func(*env) map[string]any {
			return map[string]any{"additionalProperties": map[string]any{"type": "number", "minimum": 0, "maximum": 1e12},
				"maxProperties": maxChannels}
		}}
}

// plan is the allocation problem over the horizon: every amount is a horizon total.
type plan struct {
	fits    []channelFit
	chs     []mmm.Channel // curves in horizon totals and bounds
	current []float64     // current spend over the horizon
	budget  float64
	horizon float64
}

// runOptimizeBudget fits the curves, allocates the budget and stores one row per channel
// plus a TOTAL row.
func runOptimizeBudget(ctx context.Context, st *store.Store, t *tool, e *env, a args) (store.Summary, error) {
	data, err := loadChannels(ctx, st, e, a)
	if err != nil {
		return store.Summary{}, err
	}
	fits, err := fitChannels(ctx, data)
	if err != nil {
		return store.Summary{}, err
	}
	p, err := newPlan(fits, a)
	if err != nil {
		return store.Summary{}, fmt.Errorf("tools: %s: %w", t.Name, err)
	}
	x, err := mmm.Allocate(p.chs, p.budget)
	if errors.Is(err, mmm.ErrInfeasible) {
		lo, hi := p.range_()
		return store.Summary{}, fmt.Errorf("tools: %s: total_budget %.2f cannot be spent within the bounds, which allow %.2f to %.2f over %g days; change total_budget, min_change_pct/max_change_pct or channel_min/channel_max: %w",
			t.Name, p.budget, lo, hi, p.horizon, store.ErrInvalid)
	}
	if err != nil {
		return store.Summary{}, fmt.Errorf("tools: %s: %w", t.Name, err)
	}
	return saveRows(ctx, st, t, e, allocationColumns, p.rows(x))
}

// newPlan turns the fits and arguments into curves and bounds in horizon totals.
func newPlan(fits []channelFit, a args) (plan, error) {
	h := float64(a["horizon_days"].(int64))
	p := plan{fits: fits, horizon: h, chs: make([]mmm.Channel, len(fits)), current: make([]float64, len(fits))}
	lowPct, highPct := a["min_change_pct"].(float64), a["max_change_pct"].(float64)
	mins, _ := a["channel_min"].(map[string]any)
	maxs, _ := a["channel_max"].(map[string]any)
	if err := knownChannels(fits, mins, maxs); err != nil {
		return plan{}, err
	}
	for i, f := range fits {
		cur := f.current * h
		c := mmm.Channel{Params: mmm.Params{HalfSat: 1, Shape: 1}, Lo: cur, Hi: cur}
		if f.status == "fitted" {
			q := f.fit.Params
			c.Params = mmm.Params{Decay: q.Decay, HalfSat: q.HalfSat * h, Shape: q.Shape, Beta: q.Beta * h}
			c.Lo, c.Hi = cur*(1+lowPct/100), cur*(1+highPct/100)
		}
		lo, hasLo := mins[f.name].(float64)
		hi, hasHi := maxs[f.name].(float64)
		switch {
		case hasLo && hasHi:
			c.Lo, c.Hi = lo, hi
		case hasLo: // an explicit bound wins over the relative one it contradicts
			c.Lo, c.Hi = lo, math.Max(c.Hi, lo)
		case hasHi:
			c.Lo, c.Hi = math.Min(c.Lo, hi), hi
		}
		if c.Hi < c.Lo {
			return plan{}, fmt.Errorf("channel %q: lower bound %.2f above upper bound %.2f: %w", f.name, c.Lo, c.Hi, store.ErrInvalid)
		}
		p.chs[i], p.current[i] = c, cur
	}
	p.budget = sumOf(p.current)
	if b, ok := a["total_budget"].(float64); ok {
		p.budget = b
	}
	return p, nil
}

// knownChannels fails with ErrInvalid for a bound on a channel not in the data.
func knownChannels(fits []channelFit, bounds ...map[string]any) error {
	names := make([]string, len(fits))
	for i, f := range fits {
		names[i] = f.name
	}
	var bad []string
	for _, b := range bounds {
		for _, k := range sortedKeys(b) {
			if !slices.Contains(names, k) {
				bad = append(bad, fmt.Sprintf("%q", k))
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("bounds name channels not in the data: %s (channels: %s): %w", strings.Join(bad, ", "), strings.Join(names, ", "), store.ErrInvalid)
	}
	return nil
}

// range_ is the least and most the bounds let the plan spend.
func (p plan) range_() (lo, hi float64) {
	for _, c := range p.chs {
		lo, hi = lo+c.Lo, hi+c.Hi
	}
	return lo, hi
}

var allocationColumns = columns("channel", "VARCHAR", "status", "VARCHAR", "current_spend", "DOUBLE",
	"lower_bound", "DOUBLE", "upper_bound", "DOUBLE", "allocation", "DOUBLE", "allocation_pct", "DOUBLE",
	"change_pct", "DOUBLE", "predicted_outcome", "DOUBLE", "predicted_lower", "DOUBLE", "predicted_upper", "DOUBLE",
	"marginal_roas", "DOUBLE", "current_mix_allocation", "DOUBLE", "current_mix_outcome", "DOUBLE",
	"budget_plan_allocation", "DOUBLE", "budget_plan_outcome", "DOUBLE", "note", "VARCHAR")

// rows are the per-channel rows of allocation x and a TOTAL row.
func (p plan) rows(x []float64) [][]any {
	mix, equal := p.currentMix(), make([]float64, len(x))
	for i := range equal {
		equal[i] = p.budget / float64(len(x))
	}
	z := p.quantile()
	var out [][]any
	tot := struct{ cur, lo, hi, out, v, mixOut, eqOut float64 }{}
	for i, f := range p.fits {
		c := p.chs[i]
		pred, se := p.outcome(i, x[i])
		mo, _ := p.outcome(i, mix[i])
		eo, _ := p.outcome(i, equal[i])
		out = append(out, []any{f.name, f.status, p.current[i], c.Lo, c.Hi, x[i], 100 * x[i] / p.budget,
			nullNaN(100 * (x[i] - p.current[i]) / p.current[i]), nullNaN(pred), nullNaN(pred - z*se), nullNaN(pred + z*se),
			nullNaN(c.Params.Marginal(x[i])), mix[i], nullNaN(mo), equal[i], nullNaN(eo), nullEmpty(p.note(i, x[i]))})
		tot.cur, tot.lo, tot.hi = tot.cur+p.current[i], tot.lo+c.Lo, tot.hi+c.Hi
		tot.out, tot.v = tot.out+zeroNaN(pred), tot.v+zeroNaN(se*se)
		tot.mixOut, tot.eqOut = tot.mixOut+zeroNaN(mo), tot.eqOut+zeroNaN(eo)
	}
	se := math.Sqrt(tot.v)
	note := fmt.Sprintf("predicted incremental outcome over %g days %.1f (95%% %.1f to %.1f) vs %.1f with the current mix (%+.1f%%) and %.1f with budget_plan's equal split (%+.1f%%)",
		p.horizon, tot.out, tot.out-z*se, tot.out+z*se, tot.mixOut, 100*(tot.out-tot.mixOut)/tot.mixOut, tot.eqOut, 100*(tot.out-tot.eqOut)/tot.eqOut)
	return append(out, []any{"TOTAL", "total", tot.cur, tot.lo, tot.hi, sumOf(x), 100.0,
		nullNaN(100 * (sumOf(x) - tot.cur) / tot.cur), tot.out, tot.out - z*se, tot.out + z*se, nil,
		sumOf(mix), tot.mixOut, sumOf(equal), tot.eqOut, note})
}

// outcome is channel i's predicted incremental outcome over the horizon at allocation x
// and its standard error; NaN when the channel has no curve and x is not zero.
func (p plan) outcome(i int, x float64) (pred, se float64) {
	f := p.fits[i]
	if f.status != "fitted" {
		if x == 0 {
			return 0, 0
		}
		return math.NaN(), math.NaN()
	}
	return p.chs[i].Params.Response(x), p.horizon * f.fit.ResponseSE(x/p.horizon)
}

// currentMix splits the budget in proportion to current spend.
func (p plan) currentMix() []float64 {
	out := make([]float64, len(p.current))
	if s := sumOf(p.current); s > 0 {
		for i, c := range p.current {
			out[i] = p.budget * c / s
		}
	}
	return out
}

// quantile is the two-sided 95% Student-t quantile at the smallest residual degrees of
// freedom among the fitted channels.
func (p plan) quantile() float64 {
	df := math.Inf(1)
	for _, f := range p.fits {
		if f.status == "fitted" {
			df = math.Min(df, float64(max(1, f.fit.DF)))
		}
	}
	if math.IsInf(df, 1) {
		return 1.959963984540054
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(0.975)
}

func (p plan) note(i int, x float64) string {
	f := p.fits[i]
	switch {
	case f.status == "no_spend_history" && x > 0:
		return "no spend history: funded only to its channel_min; outcome not predicted"
	case f.status == "no_spend_history":
		return "no spend history: not funded, since no curve can be fitted (budget_plan's equal split would fund it blindly)"
	case f.status != "fitted":
		return "not fitted (" + f.note + "): kept at current spend unless bounded"
	}
	return f.note
}

func sumOf(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

func zeroNaN(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}
