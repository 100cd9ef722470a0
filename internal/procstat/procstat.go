// Package procstat measures the process: CPU time from getrusage and the
// resident set size from /proc/self/statm, sampled while someone listens. It
// is a process concern: the server makes one [Sampler] and the pipeline's runs
// read their window of it.
package procstat

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// DefaultInterval is how often a Sampler reads the RSS while windows are open.
const DefaultInterval = 50 * time.Millisecond

// Sampler samples the process's RSS while at least one window is open and
// keeps each open window's peak. It is safe for concurrent use.
type Sampler struct {
	interval time.Duration

	mu      sync.Mutex // guards windows and stop
	windows map[*window]struct{}
	stop    chan struct{} // closes the sampling goroutine; nil when none runs
}

// New returns a Sampler reading the RSS every interval (DefaultInterval when <= 0).
func New(interval time.Duration) *Sampler {
	if interval <= 0 {
		interval = DefaultInterval
	}
	return &Sampler{interval: interval, windows: map[*window]struct{}{}}
}

// window is one measured span.
type window struct {
	user0, sys0 time.Duration
	mu          sync.Mutex // guards peak
	peak        int64
}

func (w *window) observe(rss int64) {
	w.mu.Lock()
	w.peak = max(w.peak, rss)
	w.mu.Unlock()
}

// Begin opens a window: usage reports the process's user and system CPU time
// since Begin and the peak RSS (bytes) seen since; end closes the window (usage
// keeps working). CPU time is process-wide: concurrent windows share it.
func (s *Sampler) Begin() (usage func() (user, sys time.Duration, peakRSS int64), end func()) {
	w := &window{peak: CurrentRSS()}
	w.user0, w.sys0 = CPUTimes()
	s.mu.Lock()
	s.windows[w] = struct{}{}
	if s.stop == nil {
		s.stop = make(chan struct{})
		go s.sample(s.stop)
	}
	s.mu.Unlock()
	usage = func() (time.Duration, time.Duration, int64) {
		w.observe(CurrentRSS())
		u, sy := CPUTimes()
		w.mu.Lock()
		defer w.mu.Unlock()
		return u - w.user0, sy - w.sys0, w.peak
	}
	end = sync.OnceFunc(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.windows, w)
		if len(s.windows) == 0 {
			close(s.stop)
			s.stop = nil
		}
	})
	return usage, end
}

// sample reads the RSS every interval into the open windows until stop closes.
func (s *Sampler) sample(stop chan struct{}) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			rss := CurrentRSS()
			s.mu.Lock()
			for w := range s.windows {
				w.observe(rss)
			}
			s.mu.Unlock()
		}
	}
}

// CPUTimes returns the process's user and system CPU time so far.
func CPUTimes() (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// CurrentRSS reads the resident set size (VmRSS) from /proc/self/statm, in
// bytes (0 when unavailable). statm's second field is that count in pages;
// the kernel writes it at a fraction of /proc/self/status's cost. The file
// stays open: each reading is one pread at offset 0, which makes the kernel
// write the numbers afresh, instead of an open, a read and a close (a run
// reads it as it finishes, on the way to run_finished).
func CurrentRSS() int64 {
	f := statm()
	if f == nil {
		return 0
	}
	var buf [128]byte
	n, err := f.ReadAt(buf[:], 0)
	if n == 0 && err != nil {
		return 0
	}
	fields := bytes.Fields(buf[:n])
	if len(fields) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(string(fields[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * pageSize
}

var pageSize = int64(os.Getpagesize())

// statm is /proc/self/statm, opened once; nil where it cannot be opened.
var statm = sync.OnceValue(func() *os.File {
	f, err := os.Open("/proc/self/statm")
	if err != nil {
		return nil
	}
	return f
})
