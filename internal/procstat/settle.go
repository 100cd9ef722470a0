package procstat

import "time"

// How Settle waits for a resident set to come to rest.
const (
	settleStep  = 500 * time.Millisecond // between readings after the first wait
	settleMax   = 10 * time.Second       // longest wait in all
	settleSlack = 256 << 10              // a drop this small (bytes) counts as at rest
)

// Settle waits until the resident set that rss reads (in bytes) stops
// shrinking: it sleeps first, then reads every half second until a reading
// is at most 256 KiB below the one before, or 10 s have passed, and returns
// the last reading. Memory a process frees in the background after its last
// request (a database checkpoint, the allocator returning pages) is then
// gone from the reading, whenever it happens.
func Settle(first time.Duration, rss func() (int64, error)) (int64, error) {
	deadline := time.Now().Add(settleMax)
	time.Sleep(first)
	prev, err := rss()
	for err == nil && time.Now().Before(deadline) {
		time.Sleep(settleStep)
		var cur int64
		if cur, err = rss(); err != nil || prev-cur <= settleSlack {
			return cur, err
		}
		prev = cur
	}
	return prev, err
}
