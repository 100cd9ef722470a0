package pipeline

import (
	"bufio"
	"bytes"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// rssInterval is how often a run samples the process's resident set size.
const rssInterval = 50 * time.Millisecond

// finish sets Overhead = Wall − LLM − SQL (never negative).
func (p StepProfile) finish() StepProfile {
	p.Overhead = max(0, p.Wall-p.LLM-p.SQL)
	return p
}

// cpuTimes returns the process's user and system CPU time so far.
func cpuTimes() (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// currentRSS reads VmRSS from /proc/self/status in bytes (0 when unavailable).
func currentRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte("VmRSS:")) {
			continue
		}
		f := bytes.Fields(line[len("VmRSS:"):])
		if len(f) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}

// profiler measures a run: process CPU time from its start and peak RSS sampled
// periodically until stop.
type profiler struct {
	start         time.Time
	user0, sys0   time.Duration
	mu            sync.Mutex // guards peak
	peak          int64
	stopCh, doneC chan struct{}
}

// startProfiler starts sampling RSS in the background.
func startProfiler() *profiler {
	p := &profiler{start: time.Now(), stopCh: make(chan struct{}), doneC: make(chan struct{}),
		peak: currentRSS()}
	p.user0, p.sys0 = cpuTimes()
	go p.sample()
	return p
}

func (p *profiler) sample() {
	defer close(p.doneC)
	t := time.NewTicker(rssInterval)
	defer t.Stop()
	for {
		select {
		case <-p.stopCh:
			return
		case <-t.C:
			p.observe()
		}
	}
}

func (p *profiler) observe() {
	rss := currentRSS()
	p.mu.Lock()
	p.peak = max(p.peak, rss)
	p.mu.Unlock()
}

// snapshot returns CPU time since start and the peak RSS so far.
func (p *profiler) snapshot() (user, sys time.Duration, peak int64) {
	p.observe()
	u, s := cpuTimes()
	p.mu.Lock()
	defer p.mu.Unlock()
	return u - p.user0, s - p.sys0, p.peak
}

// stop ends sampling; call it once.
func (p *profiler) stop() {
	close(p.stopCh)
	<-p.doneC
}

// runProfile sums the steps' profiles into the run's: LLM and SQL are the steps'
// sums; Overhead is the steps' overheads plus the time no step was running.
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
	rp.Overhead += max(0, wall-busy(spans))
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
