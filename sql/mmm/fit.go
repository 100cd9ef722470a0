package mmm

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// Series is one channel's data on consecutive days.
type Series struct {
	Spend   []float64
	Outcome []float64
	Month   []int // month of year (1–12) of each day
}

// Fit is a channel's fitted curve with its uncertainty and quality.
type Fit struct {
	Params Params
	// SE are the standard errors of Params from the fit's covariance.
	SE Params
	// Cov is the covariance of (Beta, Decay, HalfSat, Shape): σ² (JᵀJ)⁻¹ with J the
	// Jacobian of the fitted values, the baseline projected out. Nil when singular.
	Cov         *mat.SymDense
	Seasonal    bool    // the baseline has one level per month of year
	Baseline    float64 // the mean baseline outcome per day
	Sigma       float64 // residual standard deviation
	DF          int     // residual degrees of freedom
	Days        int
	R2          float64 // in-sample, over the whole series
	HoldoutDays int
	HoldoutMAPE float64 // percent, of the model fitted without the held-out tail
}

// The smallest data FitSeries accepts.
const (
	minDays      = 60
	minSpendDays = 10
)

// HoldoutDays is the held-out tail used for the MAPE of n days: a tenth, 14 to 90 days.
func HoldoutDays(n int) int { return max(14, min(90, n/10)) }

// FitSeries fits s's curve: a grid over (Decay, HalfSat, Shape) with the linear parts
// solved exactly, refined by Nelder–Mead — first on all but the held-out tail (scored by
// its MAPE on the tail), then on every day from that optimum. Deterministic.
func FitSeries(s Series) (Fit, error) {
	n := len(s.Spend)
	if len(s.Outcome) != n || len(s.Month) != n {
		return Fit{}, fmt.Errorf("mmm: spend, outcome and month lengths differ: %w", ErrTooShort)
	}
	spendDays := 0
	for _, x := range s.Spend {
		if x > 0 {
			spendDays++
		}
	}
	switch {
	case spendDays == 0:
		return Fit{}, ErrNoSpend
	case n < minDays || spendDays < minSpendDays:
		return Fit{}, fmt.Errorf("mmm: %d days, %d with spend (need %d and %d): %w", n, spendDays, minDays, minSpendDays, ErrTooShort)
	}
	h := HoldoutDays(n)
	train := newProblem(s.Spend[:n-h], s.Outcome[:n-h], s.Month[:n-h])
	u := train.refine(train.grid(), 0.1)
	mape := train.holdoutMAPE(u, s)
	full := newProblem(s.Spend, s.Outcome, s.Month)
	u = full.refine(u, 0.05)
	f := full.result(u)
	f.HoldoutDays, f.HoldoutMAPE = h, mape
	return f, nil
}

// problem is one least-squares fit: y on group means (the baseline) plus Beta × Hill of
// the adstock of x. Groups are months of year when the series covers all twelve and at
// least a year, else one. The linear parts are projected out (Frisch–Waugh–Lovell), so
// the search runs over the three nonlinear parameters only.
type problem struct {
	x, y   []float64
	grp    []int
	cnt    []float64 // days per group
	yt     []float64 // y minus its group mean
	yy     float64   // Σ yt²
	scale  float64   // mean spend on days with spend, the scale of HalfSat
	ad, r  []float64 // scratch
	groups int
}

func newProblem(x, y []float64, month []int) *problem {
	p := &problem{x: x, y: y, grp: make([]int, len(x)), ad: make([]float64, len(x)), r: make([]float64, len(x))}
	seen := map[int]bool{}
	for _, m := range month {
		seen[m] = true
	}
	p.groups = 1
	if len(x) >= 365 && len(seen) == 12 {
		p.groups = 12
		for i, m := range month {
			p.grp[i] = m - 1
		}
	}
	p.cnt = make([]float64, p.groups)
	for _, g := range p.grp {
		p.cnt[g]++
	}
	p.yt = append([]float64(nil), y...)
	p.demean(p.yt)
	p.yy = dot(p.yt, p.yt)
	sum, k := 0.0, 0
	for _, v := range x {
		if v > 0 {
			sum, k = sum+v, k+1
		}
	}
	p.scale = sum / float64(k)
	return p
}

// demean subtracts from v its mean within each group.
func (p *problem) demean(v []float64) {
	s := make([]float64, p.groups)
	for i, g := range p.grp {
		s[g] += v[i]
	}
	for g := range s {
		s[g] /= p.cnt[g]
	}
	for i, g := range p.grp {
		v[i] -= s[g]
	}
}

// curve fills p.r with Hill(adstock) for (decay, k, shape).
func (p *problem) curve(decay, k, shape float64) []float64 {
	p.ad = Adstock(p.ad, p.x, decay)
	lk := math.Log(k)
	for i, a := range p.ad {
		p.r[i] = 0
		if a > 0 {
			p.r[i] = 1 / (1 + math.Exp(shape*(lk-math.Log(a))))
		}
	}
	return p.r
}

// solve returns Beta ≥ 0 and the residual sum of squares for the demeaned curve r.
func (p *problem) solve(r []float64) (beta, sse float64) {
	p.demean(r)
	rr, ry := dot(r, r), dot(r, p.yt)
	if rr <= 0 || ry <= 0 {
		return 0, p.yy
	}
	return ry / rr, p.yy - ry*ry/rr
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// The search runs in unconstrained coordinates u = (logit(Decay/maxDecay), ln HalfSat/scale,
// ln Shape), clamped to the ranges below.
const (
	maxDecay = 0.98
	minShape = 0.3
	maxShape = 5
)

func (p *problem) params(u []float64) (decay, k, shape float64) {
	decay = maxDecay / (1 + math.Exp(-u[0]))
	k = p.scale * math.Exp(min(7, max(-7, u[1])))
	shape = min(maxShape, max(minShape, math.Exp(u[2])))
	return decay, k, shape
}

func (p *problem) coords(decay, k, shape float64) []float64 {
	d := min(max(decay, 1e-4), maxDecay-1e-4) / maxDecay
	return []float64{math.Log(d / (1 - d)), math.Log(k / p.scale), math.Log(shape)}
}

func (p *problem) sse(u []float64) float64 {
	_, sse := p.solve(p.curve(p.params(u)))
	return sse
}

// grid returns the coordinates of the best point of a coarse grid. Hill is evaluated as
// 1/(1 + K^s·a^−s) with a^−s computed once per decay and shape.
func (p *problem) grid() []float64 {
	best, bu := math.Inf(1), []float64(nil)
	pow := make([]float64, len(p.x))
	for _, decay := range []float64{0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9} {
		p.ad = Adstock(p.ad, p.x, decay)
		for _, shape := range []float64{0.5, 0.9, 1.5, 2.5} {
			for i, a := range p.ad {
				pow[i] = math.Inf(1)
				if a > 0 {
					pow[i] = math.Exp(-shape * math.Log(a))
				}
			}
			for _, km := range []float64{0.1, 0.18, 0.32, 0.56, 1, 1.8, 3.2, 5.6, 10} {
				ks := math.Pow(km*p.scale, shape)
				for i, v := range pow {
					p.r[i] = 1 / (1 + ks*v)
				}
				if _, sse := p.solve(p.r); sse < best {
					best, bu = sse, p.coords(decay, km*p.scale, shape)
				}
			}
		}
	}
	return bu
}

// refine runs Nelder–Mead from u with an initial simplex of the given size and returns
// the best coordinates found. It stops when 15 iterations improve the sum of squares by
// less than a relative 1e-7.
func (p *problem) refine(u []float64, size float64) []float64 {
	prob := optimize.Problem{Func: p.sse}
	set := &optimize.Settings{FuncEvaluations: 600,
		Converger: &optimize.FunctionConverge{Absolute: 1e-12, Relative: 1e-7, Iterations: 15}}
	res, err := optimize.Minimize(prob, u, set, &optimize.NelderMead{SimplexSize: size})
	if err != nil || res == nil || !(res.F <= p.sse(u)) {
		return u
	}
	return res.X
}
