package pipeline

import (
	"slices"
	"time"
)

// finish sets Overhead = Wall − LLM − SQL, with SQL and then LLM capped so that
// the three always add up to Wall and none is negative.
func (p StepProfile) finish() StepProfile {
	p.SQL = min(max(0, p.SQL), p.Wall)
	p.LLM = min(max(0, p.LLM), p.Wall-p.SQL)
	p.Overhead = p.Wall - p.LLM - p.SQL
	return p
}

// ProcessMeter measures process-wide CPU time and peak RSS while a run is
// active; internal/procstat's Sampler is the process's one. Begin opens a
// window: usage reports CPU time since Begin and the peak RSS (bytes) since;
// end closes it.
type ProcessMeter interface {
	Begin() (usage func() (user, sys time.Duration, peakRSS int64), end func())
}

// processUsage is a run's window on the process meter.
type processUsage struct {
	usage func() (user, sys time.Duration, peakRSS int64)
	end   func()
}

// procUsage is what a window measured so far.
type procUsage struct {
	CPUUser, CPUSystem time.Duration
	PeakRSS            int64
}

// Usage returns the CPU time and peak RSS of the window so far.
func (p processUsage) Usage() procUsage {
	var u procUsage
	u.CPUUser, u.CPUSystem, u.PeakRSS = p.usage()
	return u
}

// runProfile sums the steps' profiles into the run's: LLM and SQL are the steps'
// sums; Overhead is the steps' overheads plus the time no step was running, at
// most Wall (parallel steps' overheads overlap in time).
func runProfile(wall time.Duration, steps []StepState) RunProfile {
	rp := RunProfile{Wall: wall}
	var spans [][2]time.Time
	for _, s := range steps {
		rp.LLM += s.Profile.LLM
		rp.SQL += s.Profile.SQL
		rp.Overhead += s.Profile.Overhead
		if !s.StartedAt.IsZero() && !s.FinishedAt.IsZero() {
			spans = append(spans, [2]time.Time{s.StartedAt, s.FinishedAt})
		}
	}
	rp.Overhead = min(wall, rp.Overhead+max(0, wall-busy(spans)))
	return rp
}

// busy is the length of the union of spans.
func busy(spans [][2]time.Time) time.Duration {
	slices.SortFunc(spans, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	var total time.Duration
	var cur [2]time.Time
	for i, s := range spans {
		switch {
		case i == 0:
			cur = s
		case s[0].After(cur[1]):
			total += cur[1].Sub(cur[0])
			cur = s
		case s[1].After(cur[1]):
			cur[1] = s[1]
		}
	}
	if len(spans) > 0 {
		total += cur[1].Sub(cur[0])
	}
	return total
}
