package procstat

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWindowMeasuresProcess(t *testing.T) {
	s := New(10 * time.Millisecond)
	usage, end := s.Begin()
	buf := make([]byte, 32<<20) // touch memory so RSS is real
	for i := range buf {
		buf[i] = byte(i)
	}
	time.Sleep(50 * time.Millisecond)
	end()
	end() // idempotent
	user, _, peak := usage()
	if peak < int64(len(buf)) {
		t.Errorf("peak RSS %d, below the %d bytes just touched", peak, len(buf))
	}
	if user <= 0 {
		t.Errorf("user CPU %v after touching 32 MiB", user)
	}
	_ = buf[len(buf)-1]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil || len(s.windows) != 0 {
		t.Error("the sampler still runs with no window open")
	}
}

func TestCurrentRSSIsVmRSS(t *testing.T) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	var kb int64
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ = strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
		}
	}
	got := CurrentRSS()
	// Both are read a moment apart: allow the test's own growth in between.
	if diff := got - kb*1024; kb == 0 || diff < -(1<<20) || diff > 1<<20 {
		t.Errorf("CurrentRSS = %d bytes, /proc/self/status VmRSS = %d kB", got, kb)
	}
}

// TestCurrentRSSFollowsTheProcess: the file stays open, and each reading is
// fresh: touching 64 MiB of new anonymous memory (mapped outside Go's heap,
// which could reuse pages already resident) shows in the next one.
func TestCurrentRSSFollowsTheProcess(t *testing.T) {
	before := CurrentRSS()
	if before == 0 {
		t.Fatal("CurrentRSS = 0")
	}
	mem, err := syscall.Mmap(-1, 0, 64<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	for i := 0; i < len(mem); i += 4096 {
		mem[i] = 1
	}
	after := CurrentRSS()
	if grew := after - before; grew < 60<<20 {
		t.Errorf("RSS %d → %d bytes after touching 64 MiB: grew %d, want ≥ 60 MiB", before, after, grew)
	}
}
