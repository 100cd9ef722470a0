//go:build linux

package store

import (
	"runtime"
	"sync"
	"testing"
)

// TestMallocArenasCapped: threads that call into C each allocate with malloc,
// as DuckDB's C++ objects do from whichever Go thread calls it; glibc would
// give each of them its own arena (up to eight per core), the store caps them
// at one per core (at least 2).
func TestMallocArenasCapped(t *testing.T) {
	if mallocArenas() < 0 {
		t.Skip("not glibc: malloc_info is not available")
	}
	limit := max(runtime.NumCPU(), 2)
	if got := arenaCap(); got != limit {
		t.Errorf("arena limit %d, want %d (one per core, at least 2)", got, limit)
	}
	threads := 4 * limit
	var ready, done sync.WaitGroup
	ready.Add(threads)
	release := make(chan struct{})
	for range threads {
		done.Go(func() {
			runtime.LockOSThread() // a thread of its own, kept until all have allocated
			defer runtime.UnlockOSThread()
			touchMalloc()
			ready.Done()
			<-release
		})
	}
	ready.Wait()
	close(release)
	done.Wait()
	if got := mallocArenas(); got > limit {
		t.Errorf("%d malloc arenas after %d threads allocated, want at most %d (one per core)", got, threads, limit)
	}
}
