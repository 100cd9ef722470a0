package pipeline

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// backgroundNice is the nice value of the run log's writer thread.
const backgroundNice = 10

// lowPriority runs fn on an OS thread of its own at a lower CPU priority (nice
// backgroundNice), so that the run log's storage work — DuckDB executes a
// statement on the calling thread, and waits for its worker by polling —
// yields the CPU to the steps of running runs instead of delaying their
// wake-ups; on an idle CPU it runs as fast as before. Afterwards the thread's
// priority is restored; where that is not allowed (raising priority needs
// CAP_SYS_NICE), the thread ends with its goroutine instead of returning to
// Go's pool. It first yields: `go` puts a new goroutine next in line on the
// core that started it, ahead of the goroutines a finished step woke (the
// scheduler that starts a dependent step or finishes the run), and the thread
// it then lowers holds that core's Go scheduler slot while the kernel gives
// it less time.
func lowPriority(fn func()) {
	runtime.Gosched()
	runtime.LockOSThread()
	tid := unix.Gettid()
	prio, err := unix.Getpriority(unix.PRIO_PROCESS, tid) // 20 - nice
	if err != nil || unix.Setpriority(unix.PRIO_PROCESS, tid, backgroundNice) != nil {
		runtime.UnlockOSThread()
		fn()
		return
	}
	fn()
	if unix.Setpriority(unix.PRIO_PROCESS, tid, 20-prio) == nil {
		runtime.UnlockOSThread()
	}
}
