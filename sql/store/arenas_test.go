//go:build linux

package store

import (
	"os"
	"runtime"
	"strconv"
	"strings"
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

// TestTrimMallocReturnsFreeChunks: chunks freed inside the C heap, not at its
// top, stay resident after free; trimMalloc (which the checkpointer calls once
// writes pause) gives their pages back.
func TestTrimMallocReturnsFreeChunks(t *testing.T) {
	if mallocArenas() < 0 {
		t.Skip("not glibc: malloc_trim is not available")
	}
	const chunks, size = 512, 64 << 10 // 32 MiB in chunks below the mmap threshold
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := rssAnonKiB(t)
	fence := holeInHeap(chunks, size)
	defer freeFence(fence)
	held := rssAnonKiB(t)
	if held-before < 24<<10 {
		t.Fatalf("free chunks inside the heap: anonymous RSS %d → %d KiB, want them resident (≥ 24 MiB more)", before, held)
	}
	if !trimMalloc() {
		t.Fatal("trimMalloc released nothing")
	}
	if after := rssAnonKiB(t); held-after < 24<<10 {
		t.Errorf("anonymous RSS %d KiB with 32 MiB of free chunks, %d KiB after trimMalloc: want ≥ 24 MiB returned", held, after)
	}
}

// rssAnonKiB reads the process's anonymous resident memory.
func rssAnonKiB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no RssAnon in /proc/self/status")
	return 0
}
