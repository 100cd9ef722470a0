package llmtest

import (
	"context"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Sleep waits d, as a scripted call does, or until ctx ends.
//
// It waits on a timerfd rather than a Go timer: while a process idles, Go's
// runtime sleeps in epoll_wait, whose timeout is whole milliseconds, so a
// 20 ms timer fired up to a millisecond late, and a scripted call lasted
// longer than its latency. A timerfd is the kernel's high-resolution timer;
// its expiry wakes the same epoll_wait at once.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("llmtest: timerfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "timerfd") // non-blocking, so reads wait in the netpoller
	defer f.Close()
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if err := unix.TimerfdSettime(fd, 0, &spec, nil); err != nil {
		return fmt.Errorf("llmtest: timerfd: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Now()) })
	defer stop()
	var expirations [8]byte
	if _, err := f.Read(expirations[:]); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("llmtest: timerfd: %w", err)
	}
	return nil
}
