package pipeline

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// niceOf is the nice value of the calling thread.
func niceOf(t *testing.T) int {
	t.Helper()
	prio, err := unix.Getpriority(unix.PRIO_PROCESS, unix.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	return 20 - prio
}

// TestLowPriority: the run log's writer runs at backgroundNice, and the thread
// it ran on does not go back to Go's pool with that priority.
func TestLowPriority(t *testing.T) {
	done := make(chan [3]int)
	go func() {
		var got [3]int
		got[0] = niceOf(t)
		lowPriority(func() { got[1] = niceOf(t) })
		got[2] = niceOf(t) // the same thread when its priority came back, else still the locked one
		done <- got
	}()
	got := <-done
	if got[1] != backgroundNice {
		t.Errorf("writer ran at nice %d, want %d", got[1], backgroundNice)
	}
	// Only a privileged thread may raise its priority back; another one is left locked and ends.
	if os.Geteuid() == 0 && got[2] != got[0] {
		t.Errorf("after the writer the thread is at nice %d, want %d back", got[2], got[0])
	}
}
