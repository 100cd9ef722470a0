package mmm

import (
	"fmt"
	"math"
)

// Channel is one channel for [Allocate]: its curve and bounds on its daily spend.
type Channel struct {
	Params Params
	Lo, Hi float64
}

// gridUnits is how many equal units the free budget is cut into for the global search.
const gridUnits = 1000

// Allocate returns daily spends x with Lo ≤ x_c ≤ Hi and Σ x = budget that maximise
// Σ Response_c(x_c). A dynamic program over the budget cut into gridUnits units finds the
// global optimum on that grid (S-shaped curves included); moving money from the channel
// with the lowest marginal return to the one with the highest then equalises the marginal
// returns of the channels inside their bounds. It fails with ErrInfeasible when the budget
// lies outside [Σ Lo, Σ Hi].
func Allocate(chs []Channel, budget float64) ([]float64, error) {
	lo, hi := 0.0, 0.0
	for i, c := range chs {
		if !(c.Lo >= 0 && c.Hi >= c.Lo) {
			return nil, fmt.Errorf("mmm: channel %d: bounds [%g, %g]: %w", i, c.Lo, c.Hi, ErrInfeasible)
		}
		lo, hi = lo+c.Lo, hi+c.Hi
	}
	tol := 1e-9 * math.Max(1, budget)
	if budget < lo-tol || budget > hi+tol {
		return nil, fmt.Errorf("mmm: budget %g per day outside the channels' bounds [%g, %g]: %w", budget, lo, hi, ErrInfeasible)
	}
	x := make([]float64, len(chs))
	for i, c := range chs {
		x[i] = c.Lo
	}
	if free := budget - lo; free > 0 {
		gridSearch(chs, x, free)
		fill(chs, x, budget)
		equalise(chs, x, free/gridUnits)
	}
	exact(chs, x, budget)
	return x, nil
}

// gridSearch adds to x (at the lower bounds) the best split of free in gridUnits units.
func gridSearch(chs []Channel, x []float64, free float64) {
	step := free / gridUnits
	best := make([]float64, gridUnits+1) // best value with j units over the channels so far
	for j := 1; j <= gridUnits; j++ {
		best[j] = math.Inf(-1)
	}
	choice := make([][]int, len(chs))
	for c, ch := range chs {
		room := min(gridUnits, int(math.Floor((ch.Hi-ch.Lo)/step+1e-9)))
		gain := make([]float64, room+1)
		for u := range gain {
			gain[u] = ch.Params.Response(ch.Lo + float64(u)*step)
		}
		next := make([]float64, gridUnits+1)
		choice[c] = make([]int, gridUnits+1)
		for j := range next {
			next[j] = math.Inf(-1)
			for u := 0; u <= min(room, j); u++ {
				if v := best[j-u] + gain[u]; v > next[j] {
					next[j], choice[c][j] = v, u
				}
			}
		}
		best = next
	}
	j := gridUnits
	for j > 0 && math.IsInf(best[j], -1) {
		j--
	}
	for c := len(chs) - 1; c >= 0; c-- {
		u := choice[c][j]
		x[c] += float64(u) * step
		j -= u
	}
}

// fill spends what the grid could not place (bounds not a whole number of units) on the
// channels with room, highest marginal return first.
func fill(chs []Channel, x []float64, budget float64) {
	for range chs {
		left := budget - sum(x)
		if left <= 0 {
			return
		}
		i := pick(chs, x, true)
		if i < 0 {
			return
		}
		x[i] += math.Min(left, chs[i].Hi-x[i])
	}
}

// equalise moves money from the channel with the lowest marginal return (above its lower
// bound) to the one with the highest (below its upper bound) while that raises the total,
// halving the amount moved when it does not.
func equalise(chs []Channel, x []float64, step float64) {
	stop := step * 1e-6
	for it := 0; it < 2000 && step > stop; it++ {
		to, from := pick(chs, x, true), pick(chs, x, false)
		if to < 0 || from < 0 || to == from {
			return
		}
		t := math.Min(step, math.Min(chs[to].Hi-x[to], x[from]-chs[from].Lo))
		p, q := chs[to].Params, chs[from].Params
		gain := p.Response(x[to]+t) - p.Response(x[to]) + q.Response(x[from]-t) - q.Response(x[from])
		if t <= 0 || gain <= 0 {
			step /= 2
			continue
		}
		x[to], x[from] = x[to]+t, x[from]-t
	}
}

// pick returns the channel with room (below Hi when up, above Lo otherwise) whose
// marginal return is the highest (up) or lowest, or −1.
func pick(chs []Channel, x []float64, up bool) int {
	best, bi := 0.0, -1
	for i, c := range chs {
		room := x[i] < c.Hi
		if !up {
			room = x[i] > c.Lo
		}
		if !room {
			continue
		}
		m := c.Params.Marginal(x[i])
		if bi < 0 || (up && m > best) || (!up && m < best) {
			best, bi = m, i
		}
	}
	return bi
}

// exact puts the rounding difference between budget and Σ x on channels with room, so
// the spends sum to the budget and stay within their bounds.
func exact(chs []Channel, x []float64, budget float64) {
	for i, c := range chs {
		d := budget - sum(x)
		if d == 0 {
			return
		}
		x[i] = math.Min(c.Hi, math.Max(c.Lo, x[i]+d))
	}
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

// Total is Σ Response_c(x_c).
func Total(chs []Channel, x []float64) float64 {
	t := 0.0
	for i, c := range chs {
		t += c.Params.Response(x[i])
	}
	return t
}
