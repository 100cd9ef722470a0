package mmm

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// result is the Fit at coordinates u.
func (p *problem) result(u []float64) Fit {
	decay, k, shape := p.params(u)
	raw := append([]float64(nil), p.curve(decay, k, shape)...)
	beta, sse := p.solve(append([]float64(nil), raw...))
	n := len(p.x)
	f := Fit{Params: Params{Decay: decay, HalfSat: k, Shape: shape, Beta: beta},
		Seasonal: p.groups > 1, Days: n, DF: n - p.groups - 4}
	base := 0.0
	for i := range p.y {
		base += p.y[i] - beta*raw[i]
	}
	f.Baseline = base / float64(n)
	ym := mean(p.y)
	sst := 0.0
	for _, v := range p.y {
		sst += (v - ym) * (v - ym)
	}
	if sst > 0 {
		f.R2 = 1 - sse/sst
	}
	f.Sigma = math.Sqrt(sse / float64(max(1, f.DF)))
	f.Cov = p.covariance(f.Params, f.Sigma)
	f.SE = standardErrors(f.Cov)
	return f
}

// covariance is σ² (JᵀJ)⁻¹ for (Beta, Decay, HalfSat, Shape), with J the Jacobian of the
// fitted values (central differences for the nonlinear parameters) and the baseline
// projected out of every column. Nil when JᵀJ is singular.
func (p *problem) covariance(q Params, sigma float64) *mat.SymDense {
	n := len(p.x)
	cols := [4][]float64{}
	cols[0] = append([]float64(nil), p.curve(q.Decay, q.HalfSat, q.Shape)...)
	theta := [3]float64{q.Decay, q.HalfSat, q.Shape}
	for j := range 3 {
		h := 1e-5 * max(math.Abs(theta[j]), 1e-2)
		up, dn := theta, theta
		up[j] += h
		dn[j] -= h
		hi := append([]float64(nil), p.curve(up[0], up[1], up[2])...)
		lo := p.curve(dn[0], dn[1], dn[2])
		c := make([]float64, n)
		for i := range c {
			c[i] = q.Beta * (hi[i] - lo[i]) / (2 * h)
		}
		cols[j+1] = c
	}
	jtj := mat.NewSymDense(4, nil)
	for a := range 4 {
		p.demean(cols[a])
	}
	for a := range 4 {
		for b := a; b < 4; b++ {
			jtj.SetSym(a, b, dot(cols[a], cols[b]))
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(jtj) {
		return nil
	}
	cov := mat.NewSymDense(4, nil)
	if err := ch.InverseTo(cov); err != nil {
		return nil
	}
	cov.ScaleSym(sigma*sigma, cov)
	return cov
}

func standardErrors(cov *mat.SymDense) Params {
	if cov == nil {
		nan := math.NaN()
		return Params{Decay: nan, HalfSat: nan, Shape: nan, Beta: nan}
	}
	se := func(i int) float64 { return math.Sqrt(math.Max(0, cov.At(i, i))) }
	return Params{Beta: se(0), Decay: se(1), HalfSat: se(2), Shape: se(3)}
}

// ResponseSE is the standard error of the mean daily response at daily spend x
// (delta method over the parameter covariance); NaN without a covariance.
func (f Fit) ResponseSE(x float64) float64 {
	if f.Cov == nil {
		return math.NaN()
	}
	g := f.Params.gradient(x)
	v := 0.0
	for a := range 4 {
		for b := range 4 {
			v += g[a] * f.Cov.At(a, b) * g[b]
		}
	}
	return math.Sqrt(math.Max(0, v))
}

// holdoutMAPE fits the baseline and Beta at coordinates u on p (the training days) and
// returns the mean absolute percentage error of the model on the days of s after them
// (days with a zero outcome are skipped).
func (p *problem) holdoutMAPE(u []float64, s Series) float64 {
	decay, k, shape := p.params(u)
	raw := append([]float64(nil), p.curve(decay, k, shape)...)
	beta, _ := p.solve(append([]float64(nil), raw...))
	level := make([]float64, p.groups)
	for i, g := range p.grp {
		level[g] += (p.y[i] - beta*raw[i]) / p.cnt[g]
	}
	ad := Adstock(nil, s.Spend, decay)
	sum, m := 0.0, 0
	for t := len(p.x); t < len(s.Spend); t++ {
		if s.Outcome[t] == 0 {
			continue
		}
		g := 0
		if p.groups > 1 {
			g = s.Month[t] - 1
		}
		pred := level[g] + beta*Hill(ad[t], k, shape)
		sum += math.Abs(s.Outcome[t]-pred) / math.Abs(s.Outcome[t])
		m++
	}
	if m == 0 {
		return math.NaN()
	}
	return 100 * sum / float64(m)
}
