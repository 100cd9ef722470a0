package tools

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mrswarm/mrswarm/sql/mmm"
	"github.com/mrswarm/mrswarm/sql/store"
)

// Marketing-mix tools: response curves per channel and the budget allocation they imply.
// SQL sums spend and outcome per channel and day; the fitting and the allocation run in
// Go (package mmm).

var mmmRoles = []store.Role{store.RoleDate, store.RoleSpend}

var responseCurvesTool = tool{Spec: Spec{Name: "response_curves", RequiredRoles: mmmRoles,
	Description: "Fits per channel (or campaign) a marketing-mix response curve to daily spend and outcome: geometric adstock (carry-over) + Hill saturation over a baseline with month-of-year seasonality when the data covers a year; reports the parameters with standard errors, current and marginal ROAS at the current spend (mean daily spend of the last 90 days), R² and the MAPE on a held-out tail."},
	params: mmmParams(), run: runResponseCurves}

// mmmParams are the arguments both marketing-mix tools take.
func mmmParams() []param {
	return []param{
		enumParam("by", "Role whose values are the channels.", rolesOf([]store.Role{store.RoleChannel, store.RoleCampaign}), "channel"),
		enumParam("outcome", "Outcome the spend buys.", rolesOf([]store.Role{store.RoleConversions, store.RoleRevenue}), "conversions"),
	}
}

// currentDays is the window (the last days of the data) that defines current spend.
const currentDays = 90

// maxChannels bounds how many channels one fit takes.
const maxChannels = 200

// channelData is one channel's daily series on the data's common calendar.
type channelData struct {
	name     string
	series   mmm.Series
	emptyDay int     // days without any row for the channel (spend and outcome taken as 0)
	current  float64 // mean daily spend over the last currentDays days
	observed float64 // outcome per unit of spend over the last currentDays days (NaN without spend)
}

// channelFit is a channel's data with its fitted curve, or why there is none.
type channelFit struct {
	channelData
	fit    mmm.Fit
	status string // fitted, no_spend_history or insufficient_data
	note   string
}

// dayCell is one channel's spend and outcome on one day.
type dayCell struct {
	k    string
	d    time.Time
	x, y float64
}

// loadChannels sums spend and outcome per channel and day (one SQL pass) and lays each
// channel out on the calendar from the first to the last day of the filtered data.
func loadChannels(ctx context.Context, st *store.Store, e *env, a args) ([]channelData, error) {
	cells, err := channelDays(ctx, st, e, a)
	if err != nil {
		return nil, err
	}
	by := a["by"].(string)
	if len(cells) == 0 {
		return nil, fmt.Errorf("tools: no rows with a date and a %s after the filters: %w", by, store.ErrPrecondition)
	}
	lo, hi := cells[0].d, cells[0].d
	for _, c := range cells {
		lo, hi = minTime(lo, c.d), maxTime(hi, c.d)
	}
	day := func(d time.Time) int { return int(d.Sub(lo).Hours()/24 + 0.5) }
	var out []channelData
	for i := 0; i < len(cells); {
		ch := newChannelData(cells[i].k, lo, day(hi)+1)
		j := i
		for ; j < len(cells) && cells[j].k == cells[i].k; j++ {
			t := day(cells[j].d)
			ch.series.Spend[t], ch.series.Outcome[t] = cells[j].x, cells[j].y
			ch.emptyDay--
		}
		out = append(out, ch.withCurrent())
		i = j
	}
	if len(out) > maxChannels {
		return nil, fmt.Errorf("tools: %d values of %s, more than %d channels; filter or group by channel: %w", len(out), by, maxChannels, store.ErrInvalid)
	}
	return out, nil
}

// channelDays returns spend and outcome summed per channel and day, ordered by both.
func channelDays(ctx context.Context, st *store.Store, e *env, a args) ([]dayCell, error) {
	r := &render{e: e, a: a}
	where, err := r.Where()
	if err != nil {
		return nil, err
	}
	by, d := e.cols[store.Role(a["by"].(string))], e.cols[store.RoleDate]
	q := fmt.Sprintf(`SELECT k, d, sum(x), sum(y) FROM (
  SELECT CAST(%s AS VARCHAR) AS k, %s AS d, %s AS x, %s AS y FROM %s
  WHERE %s AND %s IS NOT NULL AND %s IS NOT NULL) GROUP BY 1, 2 ORDER BY 1, 2`,
		by, d, numCol(e, store.RoleSpend), numCol(e, store.Role(a["outcome"].(string))), e.table, where, d, by)
	rows, err := st.Query(ctx, q, r.params...)
	if err != nil {
		return nil, fmt.Errorf("tools: read channel days: %w", err)
	}
	defer rows.Close()
	var cells []dayCell
	for rows.Next() {
		var c dayCell
		var x, y *float64
		if err := rows.Scan(&c.k, &c.d, &x, &y); err != nil {
			return nil, fmt.Errorf("tools: read channel days: %w", err)
		}
		c.x, c.y = deref(x), deref(y)
		cells = append(cells, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tools: read channel days: %w", err)
	}
	return cells, nil
}

func newChannelData(name string, start time.Time, days int) channelData {
	s := mmm.Series{Spend: make([]float64, days), Outcome: make([]float64, days), Month: make([]int, days)}
	for t := range days {
		s.Month[t] = int(start.AddDate(0, 0, t).Month())
	}
	return channelData{name: name, series: s, emptyDay: days}
}

// withCurrent sets the current spend and observed outcome per spend of the last days.
func (c channelData) withCurrent() channelData {
	n := len(c.series.Spend)
	k := min(currentDays, n)
	x, y := 0.0, 0.0
	for t := n - k; t < n; t++ {
		x, y = x+c.series.Spend[t], y+c.series.Outcome[t]
	}
	c.current, c.observed = x/float64(k), math.NaN()
	if x > 0 {
		c.observed = y / x
	}
	return c
}

// numCol is role r as a DOUBLE expression.
func numCol(e *env, r store.Role) string {
	if isMeasure(r) {
		return e.cols[r]
	}
	col, _ := e.ds.Column(r)
	return "CAST(" + quoteIdent(col) + " AS DOUBLE)"
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// fitChannels fits every channel, in parallel; results keep the channels' order.
func fitChannels(ctx context.Context, chs []channelData) ([]channelFit, error) {
	out := make([]channelFit, len(chs))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, c := range chs {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			out[i] = fitOne(c)
			return nil
		})
	}
	return out, g.Wait()
}

func fitOne(c channelData) channelFit {
	f, err := mmm.FitSeries(c.series)
	cf := channelFit{channelData: c, fit: f, status: "fitted"}
	switch {
	case errors.Is(err, mmm.ErrNoSpend):
		cf.status, cf.note = "no_spend_history", "never spent: no curve can be fitted, so none is extrapolated"
	case err != nil:
		cf.status, cf.note = "insufficient_data", reason(err)
	case c.emptyDay > 0:
		cf.note = fmt.Sprintf("%d days without rows taken as zero spend and zero outcome", c.emptyDay)
	}
	return cf
}

// runResponseCurves fits the curves and stores one row per channel.
func runResponseCurves(ctx context.Context, st *store.Store, t *tool, e *env, a args) (store.Summary, error) {
	chs, err := loadChannels(ctx, st, e, a)
	if err != nil {
		return store.Summary{}, err
	}
	fits, err := fitChannels(ctx, chs)
	if err != nil {
		return store.Summary{}, err
	}
	rows := make([][]any, len(fits))
	for i, f := range fits {
		rows[i] = curveRow(f)
	}
	return saveRows(ctx, st, t, e, curveColumns, rows)
}

var curveColumns = columns("channel", "VARCHAR", "status", "VARCHAR", "days", "BIGINT", "seasonality", "BOOLEAN",
	"decay", "DOUBLE", "decay_se", "DOUBLE", "half_saturation", "DOUBLE", "half_saturation_se", "DOUBLE",
	"hill_shape", "DOUBLE", "hill_shape_se", "DOUBLE", "max_effect_per_day", "DOUBLE", "max_effect_se", "DOUBLE",
	"baseline_per_day", "DOUBLE", "current_daily_spend", "DOUBLE", "current_daily_effect", "DOUBLE",
	"observed_outcome_per_spend", "DOUBLE", "current_roas", "DOUBLE", "marginal_roas", "DOUBLE",
	"r2", "DOUBLE", "holdout_days", "BIGINT", "holdout_mape_pct", "DOUBLE", "residual_sd", "DOUBLE", "note", "VARCHAR")

func curveRow(f channelFit) []any {
	row := []any{f.name, f.status, int64(len(f.series.Spend))}
	if f.status != "fitted" {
		row = append(row, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, f.current, nil,
			nullNaN(f.observed), nil, nil, nil, nil, nil, nil)
		return append(row, f.note)
	}
	p, se, x := f.fit.Params, f.fit.SE, f.current
	roas := math.NaN()
	if x > 0 {
		roas = p.Response(x) / x
	}
	row = append(row, f.fit.Seasonal, p.Decay, nullNaN(se.Decay), p.HalfSat, nullNaN(se.HalfSat),
		p.Shape, nullNaN(se.Shape), p.Beta, nullNaN(se.Beta), f.fit.Baseline, x, p.Response(x),
		nullNaN(f.observed), nullNaN(roas), nullNaN(p.Marginal(x)), f.fit.R2, int64(f.fit.HoldoutDays),
		nullNaN(f.fit.HoldoutMAPE), f.fit.Sigma)
	return append(row, nullEmpty(f.note))
}

// columns pairs names and DuckDB types given alternately.
func columns(nameType ...string) []store.Column {
	out := make([]store.Column, 0, len(nameType)/2)
	for i := 0; i+1 < len(nameType); i += 2 {
		out = append(out, store.Column{Name: nameType[i], Type: nameType[i+1]})
	}
	return out
}

func nullNaN(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

func nullEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// saveRows stores rows computed in Go as t's result.
func saveRows(ctx context.Context, st *store.Store, t *tool, e *env, cols []store.Column, rows [][]any) (store.Summary, error) {
	sum, err := st.SaveRows(ctx, "tool:"+t.Name, e.ds.Name, cols, rows)
	if err != nil {
		return store.Summary{}, fmt.Errorf("tools: %s on %q: %w", t.Name, e.ds.Name, err)
	}
	return sum, nil
}
