package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// errMemory is the cause of a statement interrupted by the memory watchdog.
var errMemory = errors.New("process memory over the ceiling")

// memoryPoll is how often the watchdog reads the process's resident memory.
const memoryPoll = 50 * time.Millisecond

// rssCeiling is the resident memory at which the watchdog interrupts user
// statements: DuckDB's memory limit bounds its buffer manager, and some
// allocations (huge single values, for one) escape it, so the process gets
// half the limit again plus room for the Go side. 0 turns the watchdog off.
func rssCeiling(limit int64) int64 {
	if limit <= 0 {
		return 0
	}
	return limit + limit/2 + 256<<20
}

// watchMemory runs f with a context that is cancelled when the process's
// resident memory passes the ceiling; the statement is then interrupted and
// the error wraps ErrLimit.
func (s *Store) watchMemory(ctx context.Context, f func(ctx context.Context) error) error {
	ceiling := rssCeiling(s.opts.MemoryLimit)
	if ceiling == 0 || residentBytes() == 0 {
		return f(ctx)
	}
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(memoryPoll)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if residentBytes() > ceiling {
					cancel(errMemory)
					return
				}
			}
		}
	}()
	err := f(wctx)
	if errors.Is(context.Cause(wctx), errMemory) {
		return fmt.Errorf("%w: the statement was stopped: the server's memory passed %d MiB (memory limit %d MiB); "+
			"aggregate or filter more, or raise --memory-limit (MRSWARM_MEMORY_LIMIT)", ErrLimit, ceiling>>20, s.opts.MemoryLimit>>20)
	}
	return err
}

// residentBytes is the process's resident memory, or 0 where /proc is missing.
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}
