// Package mmm fits marketing-mix response curves to daily spend and outcome per channel
// and allocates a budget across channels where the marginal return is highest.
//
// A channel's model, as in the open marketing-mix models (Google Meridian, Meta Robyn,
// PyMC-Marketing), is
//
//	outcome_t = baseline[month of year of t] + Beta · Hill(adstock_t; HalfSat, Shape) + noise
//	adstock_t = Decay · adstock_{t−1} + (1 − Decay) · spend_t      (normalized geometric carry-over)
//	Hill(a; K, s) = a^s / (a^s + K^s)                            (diminishing returns)
//
// Because the adstock is normalized, a spend held at x per day settles at adstock x, so
// HalfSat is in units of daily spend and Beta·Hill(x) is the steady-state incremental
// outcome per day at daily spend x.
package mmm

import (
	"errors"
	"math"
)

// Sentinel errors.
var (
	// ErrTooShort: too few days, or too few days with spend, to fit a curve.
	ErrTooShort = errors.New("mmm: too little data")
	// ErrNoSpend: the channel never spent; its curve cannot be fitted (nor extrapolated).
	ErrNoSpend = errors.New("mmm: no spend history")
	// ErrInfeasible: a budget outside the sum of the channels' bounds, or bad bounds.
	ErrInfeasible = errors.New("mmm: infeasible budget")
)

// Params are one channel's response parameters.
type Params struct {
	Decay   float64 // adstock carry-over λ ∈ [0, 1): the share of effective spend kept the next day
	HalfSat float64 // K: the steady daily spend that reaches half of Beta
	Shape   float64 // Hill exponent s: above 1 the curve is S-shaped, at or below 1 concave
	Beta    float64 // the curve's ceiling: the most incremental outcome per day spend can buy
}

// Hill is a^s / (a^s + k^s), 0 for a ≤ 0.
func Hill(a, k, s float64) float64 {
	if a <= 0 {
		return 0
	}
	return 1 / (1 + math.Exp(s*(math.Log(k)-math.Log(a))))
}

// Adstock writes the normalized geometric adstock of x into dst (grown as needed) and
// returns it. The carry-over before the first day is the mean spend of the first week,
// so a series does not start from an artificial zero.
func Adstock(dst, x []float64, decay float64) []float64 {
	dst = grow(dst, len(x))
	if len(x) == 0 {
		return dst
	}
	a := mean(x[:min(7, len(x))])
	for t, v := range x {
		a = decay*a + (1-decay)*v
		dst[t] = a
	}
	return dst
}

// Response is the steady-state incremental outcome per day at daily spend x.
func (p Params) Response(x float64) float64 { return p.Beta * Hill(x, p.HalfSat, p.Shape) }

// Marginal is the derivative of [Params.Response] at daily spend x: the incremental
// outcome of one more unit of daily spend.
func (p Params) Marginal(x float64) float64 {
	if x <= 0 {
		if p.Shape < 1 {
			return math.Inf(1)
		}
		if p.Shape > 1 {
			return 0
		}
		return p.Beta / p.HalfSat
	}
	h := Hill(x, p.HalfSat, p.Shape)
	return p.Beta * p.Shape * h * (1 - h) / x
}

// gradient is the derivative of Response at x with respect to (Beta, Decay, HalfSat,
// Shape), the order of [Fit.Cov]. The steady state does not depend on Decay.
func (p Params) gradient(x float64) [4]float64 {
	if x <= 0 {
		return [4]float64{}
	}
	h := Hill(x, p.HalfSat, p.Shape)
	dK := -p.Shape * h * (1 - h) / p.HalfSat
	dS := h * (1 - h) * (math.Log(x) - math.Log(p.HalfSat))
	return [4]float64{h, 0, p.Beta * dK, p.Beta * dS}
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

func mean(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}
