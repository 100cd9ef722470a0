// Package chart draws a result's rows as an SVG chart with gonum/plot: bars for
// rankings and shares, a line for a time series, a forecast with its interval
// band, a seasonality index by month, and a budget allocation. Which charts fit
// a result follows from the tool that made it and its columns; a result of no
// tool (SQL) gets a line when it has a date column and bars when it has a text
// and a number column. The package is pure: it reads a page of rows and writes
// bytes.
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/mrswarm/mrswarm/sql/store"
)

// Errors of [SVG]; the server maps them to InvalidArgument and FailedPrecondition.
var (
	ErrKind    = errors.New("chart: kind does not fit the result")
	ErrNoChart = errors.New("chart: no chart fits the result")
)

// Kind names a chart.
type Kind string

// The kinds of chart.
const (
	Bar         Kind = "bar"         // one bar per row: a ranking or shares
	Line        Kind = "line"        // a measure over time
	Forecast    Kind = "forecast"    // the forecast with its interval band
	Seasonality Kind = "seasonality" // the month-of-year index (100 = average month)
	Budget      Kind = "budget"      // the allocation per channel (× segment)
)

// Size of a chart.
const (
	Width  = 16 * vg.Centimeter
	Height = 9 * vg.Centimeter
)

// maxBars bounds the bars of a bar chart; the rest are left out (the title says so).
const maxBars = 15

// Input is what a chart is drawn from: the tool that made the result ("" for
// SQL or an agent) and a page of its rows.
type Input struct {
	Tool string
	Page store.Page
}

// drawer draws one kind; fits says whether it can draw in.
type drawer struct {
	kind Kind
	fits func(in Input) bool
	draw func(p *plot.Plot, in Input) error
}

// drawers lists the kinds, most specific first.
func drawers() []drawer {
	return []drawer{
		{Forecast, fitsForecast, drawForecast},
		{Seasonality, fitsSeasonality, drawSeasonality},
		{Budget, fitsBudget, drawBudget},
		{Line, fitsLine, drawLine},
		{Bar, fitsBar, drawBar},
	}
}

// AllKinds lists every kind of chart.
func AllKinds() []Kind {
	var out []Kind
	for _, d := range drawers() {
		out = append(out, d.kind)
	}
	return out
}

// Kinds lists the kinds of chart that fit in, best first; none when no chart fits.
func Kinds(in Input) []Kind {
	var out []Kind
	for _, d := range drawers() {
		if len(in.Page.Rows) > 0 && d.fits(in) {
			out = append(out, d.kind)
		}
	}
	return out
}

// SVG draws in as kind (the best fitting kind when kind is "") and returns the
// kind drawn and the SVG document. A kind that does not fit wraps ErrKind and
// names the kinds that fit; a result no chart fits wraps ErrNoChart.
func SVG(in Input, kind Kind) (Kind, []byte, error) {
	fit := Kinds(in)
	if len(fit) == 0 {
		return "", nil, fmt.Errorf("%w: %s", ErrNoChart, noChartReason(in))
	}
	if kind == "" {
		kind = fit[0]
	}
	if !slices.Contains(fit, kind) {
		return "", nil, fmt.Errorf("%w: kind %q does not fit %s; kinds that fit: %s", ErrKind, kind, describe(in), kindList(fit))
	}
	i := slices.IndexFunc(drawers(), func(d drawer) bool { return d.kind == kind })
	p := plot.New()
	if err := drawers()[i].draw(p, in); err != nil {
		return "", nil, fmt.Errorf("chart %s of %s: %w", kind, describe(in), err)
	}
	wt, err := p.WriterTo(Width, Height, "svg")
	if err != nil {
		return "", nil, fmt.Errorf("chart %s: %w", kind, err)
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return "", nil, fmt.Errorf("chart %s: %w", kind, err)
	}
	return kind, b.Bytes(), nil
}

// Inline returns an SVG document without its XML prologue and comments, to
// embed it in HTML.
func Inline(svg []byte) []byte {
	if i := bytes.Index(svg, []byte("<svg")); i >= 0 {
		svg = svg[i:]
	}
	return bytes.TrimSpace(svg)
}

func noChartReason(in Input) string {
	if len(in.Page.Rows) == 0 {
		return describe(in) + " has no rows"
	}
	return describe(in) + " has no text or date column with a numeric column to plot"
}

func describe(in Input) string {
	h := in.Page.Handle
	if h == "" {
		h = "the result"
	}
	if in.Tool != "" {
		return fmt.Sprintf("%s (tool %s)", h, in.Tool)
	}
	return h
}

func kindList(ks []Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
