package store

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// checkpointPoll is how often the store looks at its write-ahead log; it
// checkpoints once the log has not changed for one look, so within one to two
// polls after the last commit.
const checkpointPoll = 500 * time.Millisecond

// checkpointer folds the write-ahead log into the database file whenever
// writes pause. Until a checkpoint, DuckDB keeps in memory what the log
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

// startCheckpointer starts the loop for the database file at path; an
// in-memory database (path "") has no log and gets none.
func (s *Store) startCheckpointer(path string) {
	if path == "" {
		return
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	s.ckpt = &checkpointer{stop: make(chan struct{}), done: make(chan struct{})}
	go s.ckpt.loop(path+".wal", s.checkpoint)
}

func (c *checkpointer) loop(wal string, checkpoint func() error) {
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
		if size > 0 && size == last {
			if err := checkpoint(); err != nil {
				size = -1 // busy: try at the next pause
			} else {
				size = fileSize(wal)
			}
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
