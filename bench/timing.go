package bench

import (
	"slices"
	"time"
)

// Stat is the outcome of repeating a measurement.
type Stat struct {
	Median, Min time.Duration
	N           int
}

// ms returns the median in milliseconds.
func (s Stat) ms() float64 { return float64(s.Median) / float64(time.Millisecond) }

// us returns the median in microseconds.
func (s Stat) us() float64 { return float64(s.Median) / float64(time.Microsecond) }

// repeat runs fn n times (at least once) and reports the median and minimum of the
// durations fn returns; fn times only the part it means to measure.
func repeat(n int, fn func() (time.Duration, error)) (Stat, error) {
	n = max(n, 1)
	ds := make([]time.Duration, 0, n)
	for range n {
		d, err := fn()
		if err != nil {
			return Stat{}, err
		}
		ds = append(ds, d)
	}
	return statOf(ds), nil
}

// statOf is the median and minimum of ds (not empty).
func statOf(ds []time.Duration) Stat {
	ds = slices.Sorted(slices.Values(ds))
	return Stat{Median: ds[len(ds)/2], Min: ds[0], N: len(ds)}
}

// timed returns the wall time of fn.
func timed(fn func() error) (time.Duration, error) {
	start := time.Now()
	err := fn()
	return time.Since(start), err
}

// ratio is a/b, or 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
