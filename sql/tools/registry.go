package tools

import (
	"context"
	"fmt"

	"github.com/mrswarm/mrswarm/sql/store"
)

// tool is a Spec plus its arguments and checks.
type tool struct {
	Spec
	params []param // tool-specific arguments; filters are added to every tool
	// check returns semantic problems with normalized args beyond the schema.
	check func(e *env, a args) []string
	// run, when set, runs the tool in place of saveSQL (checks or numerics in Go).
	run func(ctx context.Context, st *store.Store, t *tool, e *env, a args) (store.Summary, error)
}

var (
	revenueOnly   = []store.Role{store.RoleRevenue}
	flowMeasures  = []store.Role{store.RoleRevenue, store.RoleUnits, store.RoleProfit}
	profitDims    = []store.Role{store.RoleBrand, store.RoleCategory, store.RoleRegion, store.RoleCountry, store.RoleStore}
	channelValues = []string{"digital", "social", "search", "tv", "radio", "print", "outdoor",
		"email", "influencer", "in_store", "events"}
)

// registry lists every tool in the stable order Specs reports.
var registry = []tool{
	{Spec: Spec{Name: "market_overview", RequiredRoles: revenueOnly,
		Description: "Market totals (revenue, units, profit, margin, transactions, number of brands/categories/regions) and the top brands, categories and regions by revenue with their shares."},
		params: []param{topN("How many top brands, categories and regions to list.", 50, 5)}},
	{Spec: Spec{Name: "brand_performance", RequiredRoles: []store.Role{store.RoleBrand, store.RoleRevenue},
		Description: "Per-brand revenue, units, profit, margin, average price, revenue share and rank, sorted by the chosen metric."},
		params: []param{
			enumParam("sort_by", "Metric that ranks the brands.", sortValues, "revenue"),
			topN("How many brands to return.", 200, 50)}},
	{Spec: Spec{Name: "profitability", RequiredRoles: []store.Role{store.RoleRevenue, store.RoleCost},
		Description: "Revenue, cost, profit, revenue-weighted margin (profit/revenue) and ROI on cost (profit/cost) by brand, category, region, country or overall, ranked by profit."},
		params: []param{
			enumParam("dimension", "Column role to group by, or overall.", rolesOf(profitDims, "overall"), "brand"),
			topN("How many groups to return.", 500, 100)}},
	{Spec: Spec{Name: "cross_sectional",
		Description: "Compares groups of any column role on any measure (sum, mean, count or stddev): rank, share, gap to leader and to mean, coefficient of variation; returns the top and bottom N."},
		params: []param{
			dimensionParam(), measureParam(measureRoles...),
			enumParam("agg", "Aggregate of the measure per group.", fixed("sum", "mean", "count", "stddev"), "sum"),
			topN("How many top and how many bottom groups to return.", 100, 5)}},
	{Spec: Spec{Name: "time_series", RequiredRoles: []store.Role{store.RoleDate},
		Description: "A measure per day/week/month/quarter with growth vs the previous bucket, linear trend slope per bucket and volatility (stddev of growth); partial first/last buckets are flagged and left out of trend and volatility."},
		params: []param{
			enumParam("bucket", "Time bucket.", fixed("day", "week", "month", "quarter"), "month"),
			measureParam(measureRoles...),
			enumParam("agg", "Aggregate of the measure per bucket.", fixed("sum", "mean", "count"), "sum")}},
	{Spec: Spec{Name: "sales_forecast", RequiredRoles: []store.Role{store.RoleDate},
		Description: "Forecasts a measure for the next months or quarters with a linear trend plus month-of-year seasonality fitted by least squares on complete months (partial first/last months are dropped), with Student-t prediction intervals that include the parameter uncertainty; needs at least 3 complete months."},
		params: []param{
			measureParam(flowMeasures...),
			intParam("periods", "Number of future periods to forecast.", 1, 24, 6),
			enumParam("granularity", "Forecast period length.", fixed("month", "quarter"), "month"),
			{name: "confidence", kind: kInt, desc: "Prediction interval level in percent.",
				schema: func(*env) map[string]any { return map[string]any{"enum": []int{80, 90, 95, 99}} },
				def:    static(int64(95))}},
		run: runForecast},
	{Spec: Spec{Name: "roi", RequiredRoles: []store.Role{store.RoleRevenue, store.RoleCost},
		Description: "Return on investment (profit/cost) by dimension; with an investment amount, the profit and revenue it would return at each group's historical ROI."},
		params: []param{
			enumParam("dimension", "Column role to group by, or overall.", rolesOf(profitDims, "overall"), "brand"),
			numParam("investment", "Amount to invest, to project returns at historical ROI.", 1, 1e12, nil),
			topN("How many groups to return.", 500, 50)}},
	{Spec: Spec{Name: "kpi_summary", RequiredRoles: revenueOnly,
		Description: "Headline KPIs in one row: revenue, profit, margin, units, average price, revenue per transaction, and revenue growth of the last complete period vs the previous one."},
		params: []param{periodParam("Period for last-vs-previous growth.")}},
	{Spec: Spec{Name: "budget_plan", RequiredRoles: revenueOnly,
		Description: "Splits a marketing budget across channels × segments (brands, regions…): channel shares from channel_weights, segment shares from each segment's share of profit (or revenue/units) times its priority tier weight."},
		params: budgetParams(), check: checkBudget},
	{Spec: Spec{Name: "market_share", RequiredRoles: revenueOnly,
		Description: "Share of a measure by brand (or another role): share, cumulative share, rank, position (leader, challenger, follower, niche), HHI and top-3/top-5 concentration."},
		params: []param{dimensionParam(), measureParam(flowMeasures...),
			topN("How many groups to return.", 200, 50)}},
	{Spec: Spec{Name: "brand_churn", RequiredRoles: []store.Role{store.RoleBrand, store.RoleDate},
		Description: "Brands declining or growing between two periods (default: last complete period vs the one before): change and change % with status declining, growing, stable, new or lost; periods cut by the data's edges or date filters are compared like for like (same days of both periods)."},
		params: churnParams(), check: checkChurn},
	{Spec: Spec{Name: "regional_performance", RequiredRoles: []store.Role{store.RoleRegion, store.RoleRevenue},
		Description: "Per region: revenue, share, profit, margin, growth of the last complete period vs the previous one, and the leading brand with its share of the region."},
		params: []param{periodParam("Period for last-vs-previous growth.")}},
	{Spec: Spec{Name: "seasonality", RequiredRoles: []store.Role{store.RoleDate},
		Description: "Month-of-year index (average monthly value / average over months × 100) with peak and low months, overall or per brand, region or category; incomplete months are left out."},
		params: []param{measureParam(flowMeasures...),
			enumParam("by", "Compute one index per group of this role, or none.",
				rolesOf([]store.Role{store.RoleBrand, store.RoleRegion, store.RoleCategory}, "none"), "none")}},
	{Spec: Spec{Name: "dataset_profile",
		Description: "Profile of every column (the first 128 of wider datasets): type, role, nulls, distinct values, min/max, numeric mean, plus the number of duplicate rows."},
		run: runProfile},
	responseCurvesTool, optimizeBudgetTool,
	channelPerformance, funnel, // channel.go
}

func sortValues(e *env) []string {
	vs := []string{"revenue"}
	if e.has(store.RoleUnits) {
		vs = append(vs, "units")
	}
	if e.has(store.RoleProfit) {
		vs = append(vs, "profit", "margin")
	}
	return vs
}

func budgetParams() []param {
	return []param{
		numParam("total_budget", "Total budget to allocate.", 1, 1e12, 100000.0),
		{name: "channels", kind: kStrings, desc: "Marketing channels to fund.",
			schema: func(*env) map[string]any {
				return map[string]any{"items": map[string]any{"type": "string", "enum": channelValues},
					"minItems": 1, "maxItems": len(channelValues), "uniqueItems": true}
			},
			def: static([]string{"digital", "social", "search", "tv"})},
		{name: "channel_weights", kind: kNumbers, desc: "Relative weight of each channel, same order and length as channels (default equal).",
			schema: func(*env) map[string]any {
				return map[string]any{"items": map[string]any{"type": "number", "minimum": 0, "maximum": 1000},
					"minItems": 1, "maxItems": len(channelValues)}
			}},
		enumParam("allocate_by", "Segments that receive budget.", rolesOf(profitDims[:4]), "brand"),
		enumParam("weight_by", "Measure that sets each segment's share.", rolesOf(flowMeasures), "profit"),
		{name: "priority_weights", kind: kObject, desc: "Multiplier per priority tier; segments are ranked by weight_by and split in thirds into high, medium and low.",
			schema: func(*env) map[string]any {
				w := map[string]any{"type": "number", "minimum": 0, "maximum": 10}
				return map[string]any{"properties": map[string]any{"high": w, "medium": w, "low": w},
					"additionalProperties": false}
			},
			def: static(map[string]any{"high": 1.5, "medium": 1.0, "low": 0.5})},
		topN("How many segments (by weight_by) to fund.", 50, 5),
	}
}

func checkBudget(_ *env, a args) []string {
	var probs []string
	if pw, _ := a["priority_weights"].(map[string]any); pw["high"] == 0.0 && pw["medium"] == 0.0 && pw["low"] == 0.0 {
		probs = append(probs, "/priority_weights: high, medium and low must not all be 0; give the tiers you fund a positive weight")
	}
	w, ok := a["channel_weights"].([]float64)
	if !ok {
		return probs
	}
	if n := len(a["channels"].([]string)); len(w) != n {
		probs = append(probs, fmt.Sprintf("/channel_weights: has %d weights for %d channels; give one weight per channel", len(w), n))
	}
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	if sum <= 0 {
		probs = append(probs, "/channel_weights: weights must not all be 0")
	}
	return probs
}

// periodLabelPattern matches "2024", "2024-03" and "2024-Q1".
const periodLabelPattern = `^[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$`

func churnParams() []param {
	label := func(name, desc string) param {
		return param{name: name, kind: kString, desc: desc,
			schema: func(e *env) map[string]any {
				if e.labels == nil {
					return map[string]any{"pattern": periodLabelPattern, "maxLength": 7}
				}
				return map[string]any{"enum": e.labels}
			}}
	}
	return []param{
		periodParam("Period granularity; labels look like 2024 (year), 2024-Q1 (quarter) or 2024-03 (month)."),
		label("current", "Period to compare (default: last complete period)."),
		label("previous", "Period to compare against (default: the period before current)."),
		numParam("threshold_pct", "Change in percent beyond which a brand counts as declining or growing.", 0, 100, 5.0),
		measureParam(flowMeasures...),
	}
}

// labelKind returns the granularity of a period label.
func labelKind(l string) string {
	switch {
	case len(l) == 4:
		return "year"
	case len(l) == 7 && l[5] == 'Q':
		return "quarter"
	default:
		return "month"
	}
}

func checkChurn(_ *env, a args) []string {
	var probs []string
	p := a["period"].(string)
	for _, k := range []string{"current", "previous"} {
		if l, ok := a[k].(string); ok && labelKind(l) != p {
			probs = append(probs, fmt.Sprintf("/%s: %q is a %s label but period is %q; use a %s label", k, l, labelKind(l), p, p))
		}
	}
	cur, ok1 := a["current"].(string)
	prev, ok2 := a["previous"].(string)
	if ok1 && ok2 && len(probs) == 0 && prev >= cur {
		probs = append(probs, fmt.Sprintf("/previous: %q must come before current %q", prev, cur))
	}
	return probs
}
