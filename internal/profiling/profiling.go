// Package profiling turns on Go profiles on demand: one github.com/pkg/profile
// profile chosen by a flag value and written to a folder on shutdown, and an
// opt-in net/http/pprof handler for an admin address.
package profiling

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"

	"github.com/pkg/profile"
)

// Sentinel errors, wrapped with details.
var (
	// ErrMode: the profile mode is not one of Modes.
	ErrMode = errors.New("profiling: unknown profile mode")
	// ErrRunning: a profile is already being recorded (pkg/profile allows one at a time).
	ErrRunning = errors.New("profiling: a profile is already running")
)

// modes maps a flag value to its pkg/profile option.
var modes = map[string]func(*profile.Profile){
	"cpu":       profile.CPUProfile,
	"mem":       profile.MemProfile,
	"allocs":    profile.MemProfileAllocs,
	"block":     profile.BlockProfile,
	"mutex":     profile.MutexProfile,
	"goroutine": profile.GoroutineProfile,
	"trace":     profile.TraceProfile,
}

// Modes lists the accepted profile modes, sorted; "" (off) is accepted too.
func Modes() []string {
	names := make([]string, 0, len(modes))
	for m := range modes {
		names = append(names, m)
	}
	sort.Strings(names)
	return names
}

var (
	mu      sync.Mutex
	running bool
)

// StartProfile starts recording the profile named by mode ("" does nothing) into
// dir, created if missing. The returned stop writes the profile file (e.g.
// dir/cpu.pprof, dir/mem.pprof) and is safe to call more than once.
func StartProfile(mode, dir string) (stop func(), err error) {
	if mode == "" {
		return func() {}, nil
	}
	opt, ok := modes[mode]
	if !ok {
		return nil, fmt.Errorf("%w %q (want one of %v)", ErrMode, mode, Modes())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("profiling: profile folder: %w", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if running {
		return nil, ErrRunning
	}
	running = true
	p := profile.Start(opt, profile.ProfilePath(dir), profile.NoShutdownHook, profile.Quiet)
	var once sync.Once
	return func() {
		once.Do(func() {
			p.Stop()
			mu.Lock()
			running = false
			mu.Unlock()
		})
	}, nil
}
