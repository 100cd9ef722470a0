package chart

import (
	"fmt"
	"image/color"
	"slices"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// barMeasures is the measure a ranking tool's bars show.
var barMeasures = map[string]string{
	"market_share": "share_pct", "market_overview": "share_pct", "brand_performance": "revenue",
	"profitability": "profit", "roi": "roi_pct", "regional_performance": "revenue",
	"cross_sectional": "value", "brand_churn": "change", "channel_performance": "spend",
}

// noBars are tools whose rows are no ranking.
var noBars = []string{"dataset_profile", "kpi_summary", "sales_forecast", "time_series"}

func fitsForecast(in Input) bool {
	return newTable(in.Page).Has("period_start", "forecast", "lower", "upper")
}

func drawForecast(p *plot.Plot, in Input) error {
	t := newTable(in.Page)
	var mid, band plotter.XYs
	var labels []string
	for r := range t.Rows() {
		f, _ := t.Num(r, "forecast")
		mid = append(mid, plotter.XY{X: float64(r), Y: f})
		labels = append(labels, t.text(r, "period_start"))
	}
	for r := range t.Rows() {
		lo, _ := t.Num(r, "lower")
		band = append(band, plotter.XY{X: float64(r), Y: lo})
	}
	for r := t.Rows() - 1; r >= 0; r-- {
		hi, _ := t.Num(r, "upper")
		band = append(band, plotter.XY{X: float64(r), Y: hi})
	}
	poly, err := plotter.NewPolygon(band)
	if err != nil {
		return err
	}
	poly.Color = color.RGBA{R: 31, G: 119, B: 180, A: 60}
	poly.LineStyle.Width = 0
	line, pts, err := plotter.NewLinePoints(mid)
	if err != nil {
		return err
	}
	line.Color = plotutil.Color(0)
	pts.Color = plotutil.Color(0)
	p.Add(poly, line, pts)
	conf, _ := t.Num(0, "confidence_pct")
	p.Title.Text = fmt.Sprintf("Forecast with its %g %% interval", conf)
	p.Legend.Add("forecast", line)
	p.Legend.Add(fmt.Sprintf("%g %% interval", conf), poly)
	p.Legend.Top = true
	p.Y.Max += (p.Y.Max - p.Y.Min) * 0.15 // room for the legend
	p.Y.Label.Text = "forecast"
	p.X.Tick.Marker = ticks(tickLabels(labels, 8))
	return nil
}

func fitsSeasonality(in Input) bool {
	return newTable(in.Page).Has("month", "season_index")
}

// drawSeasonality draws the index by month, one line per group (at most six),
// with the average month at 100.
func drawSeasonality(p *plot.Plot, in Input) error {
	t := newTable(in.Page)
	series := map[string]plotter.XYs{}
	var groups []string
	for r := range t.Rows() {
		g := t.text(r, "group_name")
		m, ok1 := t.Num(r, "month")
		v, ok2 := t.Num(r, "season_index")
		if !ok1 || !ok2 {
			continue
		}
		if _, ok := series[g]; !ok {
			if len(groups) == 6 {
				continue
			}
			groups = append(groups, g)
		}
		series[g] = append(series[g], plotter.XY{X: m, Y: v})
	}
	for i, g := range groups {
		xys := series[g]
		sort.Slice(xys, func(a, b int) bool { return xys[a].X < xys[b].X })
		line, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		line.Color, pts.Color = plotutil.Color(i), plotutil.Color(i)
		p.Add(line, pts)
		if len(groups) > 1 || g != "all" {
			p.Legend.Add(g, line)
		}
	}
	avg, err := plotter.NewLine(plotter.XYs{{X: 1, Y: 100}, {X: 12, Y: 100}})
	if err != nil {
		return err
	}
	avg.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	avg.Color = color.Gray{Y: 120}
	p.Add(avg)
	p.Title.Text = "Seasonality index by month (100 = average month)"
	p.Y.Label.Text = "season index"
	months := []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	var ts []tickAt
	for i, m := range months {
		ts = append(ts, tickAt{float64(i + 1), m})
	}
	p.X.Tick.Marker = ticks(ts)
	p.Legend.Top = true
	return nil
}

func fitsBudget(in Input) bool {
	t := newTable(in.Page)
	return t.Has("channel", "allocation") && t.isNumeric("allocation")
}

// drawBudget draws the allocation per channel, stacked by segment when the
// plan splits channels by segment.
func drawBudget(p *plot.Plot, in Input) error {
	t := newTable(in.Page)
	var channels, segments []string
	alloc := map[[2]string]float64{}
	for r := range t.Rows() {
		c, s := t.text(r, "channel"), t.text(r, "segment")
		v, _ := t.Num(r, "allocation")
		if !slices.Contains(channels, c) {
			channels = append(channels, c)
		}
		if !slices.Contains(segments, s) {
			segments = append(segments, s)
		}
		alloc[[2]string{c, s}] += v
	}
	var below *plotter.BarChart
	w := vg.Points(min(40, 300/float64(len(channels))))
	for i, s := range segments {
		vs := make(plotter.Values, len(channels))
		for j, c := range channels {
			vs[j] = alloc[[2]string{c, s}]
		}
		bars, err := plotter.NewBarChart(vs, w)
		if err != nil {
			return err
		}
		bars.Color = plotutil.Color(i)
		bars.LineStyle.Width = 0
		if below != nil {
			bars.StackOn(below)
		}
		below = bars
		p.Add(bars)
		if s != "" {
			p.Legend.Add(s, bars)
		}
	}
	p.Y.Max *= 1 + 0.06*float64(len(segments)) // room for the legend
	p.Title.Text = "Budget allocation by channel"
	p.Y.Label.Text = "allocation"
	p.NominalX(channels...)
	p.Legend.Top = true
	return nil
}

func fitsLine(in Input) bool {
	t := newTable(in.Page)
	return t.Rows() >= 2 && t.dateColumn() != "" && t.measure("value") != ""
}

func drawLine(p *plot.Plot, in Input) error {
	t := newTable(in.Page)
	date, m := t.dateColumn(), t.measure("value")
	type point struct {
		at string
		v  float64
	}
	var pts []point
	for r := range t.Rows() {
		if v, ok := t.Num(r, m); ok {
			pts = append(pts, point{t.text(r, date), v})
		}
	}
	sort.SliceStable(pts, func(a, b int) bool { return pts[a].at < pts[b].at })
	xys := make(plotter.XYs, len(pts))
	labels := make([]string, len(pts))
	for i, pt := range pts {
		xys[i], labels[i] = plotter.XY{X: float64(i), Y: pt.v}, pt.at
	}
	line, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	line.Color = plotutil.Color(0)
	p.Add(line)
	p.Title.Text = fmt.Sprintf("%s by %s", m, date)
	p.Y.Label.Text = m
	p.X.Tick.Marker = ticks(tickLabels(labels, 8))
	return nil
}

func fitsBar(in Input) bool {
	t := newTable(in.Page)
	m := barMeasure(in)
	return !slices.Contains(noBars, in.Tool) && t.labelColumn() != "" && m != "" && len(barRows(t, m)) >= 2
}

func barMeasure(in Input) string {
	t := newTable(in.Page)
	if m, ok := barMeasures[in.Tool]; ok && t.isNumeric(m) {
		return m
	}
	return t.measure("share_pct", "value", "revenue", "profit", "allocation")
}

// drawBar draws one horizontal bar per row, first row on top, at most maxBars;
// a result with a section column shows its largest section.
func drawBar(p *plot.Plot, in Input) error {
	t := newTable(in.Page)
	label, m := t.labelColumn(), barMeasure(in)
	rows := barRows(t, m)
	shown := rows[:min(len(rows), maxBars)]
	vs := make(plotter.Values, len(shown))
	names := make([]string, len(shown))
	for i, r := range shown { // reversed: the first row is drawn at the top
		v, _ := t.Num(r, m)
		vs[len(shown)-1-i], names[len(shown)-1-i] = v, t.text(r, label)
	}
	bars, err := plotter.NewBarChart(vs, vg.Points(min(18, 180/float64(len(shown)))))
	if err != nil {
		return err
	}
	bars.Horizontal = true
	bars.Color = plotutil.Color(0)
	bars.LineStyle.Width = 0
	p.Add(bars)
	p.NominalY(names...)
	p.X.Label.Text = m
	p.Title.Text = fmt.Sprintf("%s by %s", m, label)
	if len(rows) > len(shown) {
		p.Title.Text += fmt.Sprintf(" (top %d of %d)", len(shown), len(rows))
	}
	return nil
}

// barRows are the rows a bar chart shows: those with a value of measure m,
// and of a result with a section column only those of the section with the
// most such rows.
func barRows(t table, m string) []int {
	var rows []int
	count := map[string]int{}
	best := ""
	for r := range t.Rows() {
		if _, ok := t.Num(r, m); !ok {
			continue
		}
		rows = append(rows, r)
		s := t.text(r, "section")
		if count[s]++; count[s] > count[best] {
			best = s
		}
	}
	return slices.DeleteFunc(rows, func(r int) bool { return t.text(r, "section") != best })
}

// ticks places labelled ticks at fixed positions.
func ticks(ts []tickAt) plot.ConstantTicks {
	out := make(plot.ConstantTicks, len(ts))
	for i, t := range ts {
		out[i] = plot.Tick{Value: t.x, Label: t.label}
	}
	return out
}
