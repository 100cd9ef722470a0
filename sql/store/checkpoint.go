package store

import (
	"context"
	"os"
	"runtime/debug"
	"sync"
	"time"
)

// checkpointPoll is how often the store looks at its write-ahead log; it
// checkpoints once the log has not changed for one look, so within one to two
// polls after the last commit.
const checkpointPoll = 500 * time.Millisecond

// checkpointer folds the write-ahead log into the database file whenever
// writes pause, and then returns Go's freed heap to the system
// (returnFreedHeap). Until a checkpoint, DuckDB keeps in memory what the log
// holds: the row groups appended since, the old versions of replaced rows and
// their index entries. By itself it checkpoints only when the log reaches 16
// MiB (checkpoint_threshold), so a server that writes a run log holds up to
// about twice that for no reader. A CHECKPOINT that meets an open write
// transaction fails and is tried again at the next pause.
type checkpointer struct {
	stop     chan struct{} // closed by close
	stopOnce sync.Once
	done     chan struct{} // closed when the loop has returned
}

// returnFreedHeap collects Go's garbage and returns the free heap pages to the
// system at once (debug.FreeOSMemory). The checkpointer calls it after a
// checkpoint, when writes paused: a load, a result or a run's records were
// just stored, and what Go allocated to build them is garbage. Left alone, Go
// keeps that heap until its next collection (forced only every two minutes
// in an idle process), and its background scavenger returns pages only down
// to about 110 % of the heap goal the burst raised: an idle server kept the
// heap a burst of work left behind (after loading the beverage data, 8-11 MiB
// of RSS). It runs at most once per pause, on the checkpoint goroutine;
// writes that do not pause never meet it. The C library's malloc, where
// DuckDB keeps its C++ objects, gives back on free only what reaches the top
// of a heap; the chunks freed in between are returned here too (trimMalloc).
// So are the pages DuckDB's jemalloc holds freed (purgeAllocator): its
// background thread (allocator_background_threads) returns them too, but
// over its decay time, and the checkpoint itself frees what the log held.
func returnFreedHeap() {
	debug.FreeOSMemory()
	trimMalloc()
	_ = purgeAllocator() // an error leaves the pages to the background thread
}

// startCheckpointer starts the loop for the store's database file (s.file,
// absolute); an in-memory database has no log and gets none.
func (s *Store) startCheckpointer() {
	if s.file == "" {
		return
	}
	s.ckpt = &checkpointer{stop: make(chan struct{}), done: make(chan struct{})}
	go s.ckpt.loop(s.file+".wal", s.checkpoint, s.maybeRecycle)
}

// loop checkpoints when the log at wal stopped changing, and then calls idle,
// at every look while the log stays unchanged.
func (c *checkpointer) loop(wal string, checkpoint func() error, idle func()) {
	defer close(c.done)
	t := time.NewTicker(checkpointPoll)
	defer t.Stop()
	last := int64(-1) // the log's size at the last look
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		size := fileSize(wal)
		switch {
		case size != last:
		case size == 0:
			idle()
		case checkpoint() != nil:
			size = -1 // busy: try at the next pause
		default:
			size = fileSize(wal)
			returnFreedHeap()
			idle()
		}
		last = size
	}
}

// close stops the loop and waits for a checkpoint in progress.
func (c *checkpointer) close() {
	if c == nil {
		return
	}
	c.stopOnce.Do(func() { close(c.stop) })
	<-c.done
}

// checkpoint runs CHECKPOINT under the statement timeout.
func (s *Store) checkpoint() error {
	ctx, cancel := s.withTimeout(context.Background())
	defer cancel()
	_, err := s.db.ExecContext(ctx, "CHECKPOINT")
	return err
}

// fileSize is the size of the file at path, 0 when it does not exist.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
