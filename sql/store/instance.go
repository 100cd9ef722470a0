package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// DuckDB keeps a node in its buffer pool's eviction queues each time a buffer
// is unpinned, and a node outlives its buffer: a queue drops its dead nodes
// only once it holds 32,768, and a dead node keeps the allocation of its
// block handle. Every query that hashes (a tool's GROUP BY) leaves some, so a
// server's C heap grew by about 1 MiB per 100 campaign runs and its resident
// memory by 1.8 MiB, 78 → 105 MiB over 1,500 runs, while the stored data
// asked for 4 MiB of it (README, Performance). A new DuckDB instance on the
// same file starts with empty queues. So the store opens its file in a new
// instance, once the C heap grew by Options.RecycleAfter since the last one
// opened and the store is idle: no statement runs and the write-ahead log has
// not changed for one checkpoint poll.

// DefaultRecycleAfter is the default Options.RecycleAfter.
const DefaultRecycleAfter = 2 << 20

// Bounds of one attempt to replace the instance (Store.recycle).
const (
	// recycleDrain is how long the store waits for the connections still open
	// to be closed; when one stays in use longer, the attempt is abandoned and
	// the statements waiting for a connection go on in the old instance.
	recycleDrain = 50 * time.Millisecond
	// recycleBackoff is how long the store waits after an attempt that held
	// statements up in vain (or failed) before it tries again, so a busy
	// server is not held up at every poll.
	recycleBackoff = 30 * time.Second
)

// instances is the database/sql connector of the store: every connection
// comes from its current DuckDB instance, and Store.recycle replaces that
// instance while no connection is open. A nil current instance (after a
// failed reopen) is opened by the next Connect.
type instances struct {
	open func(ctx context.Context) (*duckdb.Connector, error) // opens a configured instance

	mu      sync.Mutex        // guards cur, paused and waiting, and is held while a connection is made
	cur     *duckdb.Connector // the instance connections come from
	paused  chan struct{}     // non-nil while a replacement is under way; closed when it ends
	waiting int               // Connect calls waiting for paused to close
	reopens atomic.Int64      // instances replaced since the store opened
}

// Connect makes a connection in the current instance, waiting while the
// instance is being replaced.
func (c *instances) Connect(ctx context.Context) (driver.Conn, error) {
	for {
		c.mu.Lock()
		wait := c.paused
		if wait == nil {
			defer c.mu.Unlock()
			if c.cur == nil {
				cur, err := c.open(ctx)
				if err != nil {
					return nil, fmt.Errorf("reopen the database: %w", err)
				}
				c.cur = cur
			}
			return c.cur.Connect(ctx)
		}
		c.waiting++
		c.mu.Unlock()
		var err error
		select {
		case <-wait:
		case <-ctx.Done():
			err = ctx.Err()
		}
		c.mu.Lock()
		c.waiting--
		c.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
}

// Driver is DuckDB's driver.
func (c *instances) Driver() driver.Driver { return duckdb.Driver{} }

// Close closes the current instance; database/sql calls it from DB.Close,
// after every connection was closed.
func (c *instances) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		return nil
	}
	err := c.cur.Close()
	c.cur = nil
	return err
}

// pause makes Connect wait until resume.
func (c *instances) pause() {
	c.mu.Lock()
	c.paused = make(chan struct{})
	c.mu.Unlock()
}

func (c *instances) resume() {
	c.mu.Lock()
	close(c.paused)
	c.paused = nil
	c.mu.Unlock()
}

// replace closes the current instance and opens a new one on the same file;
// the caller has paused Connect and closed every connection. When the new
// instance does not open, the next Connect tries again.
func (c *instances) replace(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil {
		if err := c.cur.Close(); err != nil {
			return err
		}
		c.cur = nil
	}
	cur, err := c.open(ctx)
	if err != nil {
		return err
	}
	c.cur = cur
	c.reopens.Add(1)
	return nil
}

// openInstance opens a DuckDB instance with the file at path attached ("" for
// an in-memory database) and configured (configure), its configuration
// locked. Every connection of the instance uses the attached file's catalog.
func (s *Store) openInstance(ctx context.Context, path string) (*duckdb.Connector, error) {
	var attached atomic.Bool
	connector, err := duckdb.NewConnector("", func(ex driver.ExecerContext) error {
		if !attached.Load() {
			return nil
		}
		_, err := ex.ExecContext(context.Background(), "USE "+catalog, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.configure(ctx, connector, path, &attached); err != nil {
		connector.Close()
		return nil, err
	}
	return connector, nil
}

// configure attaches the file at path to the instance and sets DuckDB's
// options, locking its configuration last.
func (s *Store) configure(ctx context.Context, connector *duckdb.Connector, path string, attached *atomic.Bool) error {
	conn, err := connector.Connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	ex := conn.(driver.ExecerContext)
	if path != "" {
		attach := "ATTACH " + quoteLit(path) + " AS " + catalog + " (STORAGE_VERSION " + quoteLit(storageVersion) + ")"
		if _, err := ex.ExecContext(ctx, attach, nil); err != nil {
			return fmt.Errorf("attach: %w", err)
		}
		attached.Store(true)
		if _, err := ex.ExecContext(ctx, "USE "+catalog, nil); err != nil {
			return err
		}
	}
	for _, q := range s.settings() {
		if _, err := ex.ExecContext(ctx, q, nil); err != nil {
			return fmt.Errorf("configure duckdb (%s): %w", q, err)
		}
	}
	return nil
}

// settings are the statements that configure a new instance.
func (s *Store) settings() []string {
	var settings []string
	if s.opts.MemoryLimit > 0 {
		settings = append(settings, fmt.Sprintf("SET memory_limit = '%dMiB'", max(s.opts.MemoryLimit>>20, 1)))
	}
	return append(settings,
		// DuckDB's allocator (jemalloc on Linux) keeps freed memory until a task
		// peaks over 128 MiB; its background thread returns it to the system
		// within about two seconds instead, off the statements' path.
		"SET allocator_background_threads = true",
		fmt.Sprintf("SET allowed_directories = [%s, %s]", quoteLit(s.root+"/"), quoteLit(s.staging+"/")),
		fmt.Sprintf("SET temp_directory = %s", quoteLit(filepath.Join(s.staging, "duckdb_tmp"))),
		"SET enable_external_access = false",
		"SET autoinstall_known_extensions = false",
		"SET lock_configuration = true",
	)
}

// Why an attempt to replace the instance did not: a connection was in use
// (errBusy, nothing waited), or one stayed in use while statements waited
// (errSlowDrain).
var (
	errBusy      = errors.New("a connection is in use")
	errSlowDrain = errors.New("a connection stayed in use")
)

// recycle replaces the store's DuckDB instance with a new one on the same
// file, if no connection is in use. Statements that ask for a connection
// meanwhile wait; none fails. It returns errBusy when a connection is in use,
// and errSlowDrain when one taken meanwhile stayed in use for recycleDrain.
func (s *Store) recycle(ctx context.Context) error {
	if s.file == "" {
		return errors.New("an in-memory database cannot be reopened")
	}
	s.recycleMu.Lock()
	defer s.recycleMu.Unlock()
	if s.db.Stats().InUse > 0 {
		return errBusy
	}
	s.inst.pause()
	defer s.inst.resume()
	s.db.SetMaxIdleConns(-1) // closes the idle connections, and each one returned
	defer s.db.SetMaxIdleConns(defaultIdleConns)
	for deadline := time.Now().Add(recycleDrain); !s.drained(); {
		if time.Now().After(deadline) {
			return errSlowDrain
		}
		time.Sleep(time.Millisecond)
	}
	if err := s.inst.replace(ctx); err != nil {
		return fmt.Errorf("reopen the database: %w", err)
	}
	s.heapBase.Store(heapInUse())
	return nil
}

// drained reports whether every connection is closed, the Connect calls
// waiting for the replacement aside. database/sql counts a connection as open
// from before it calls Connect, and Connect counts its waiting under the
// instances' lock, which stops new calls from counting meanwhile: the two
// counts are equal only when no connection is open and none is being made.
func (s *Store) drained() bool {
	s.inst.mu.Lock()
	defer s.inst.mu.Unlock()
	return s.db.Stats().OpenConnections == s.inst.waiting
}

// defaultIdleConns is database/sql's default number of idle connections.
const defaultIdleConns = 2

// Reopens is how many times the store replaced its DuckDB instance (see
// Options.RecycleAfter).
func (s *Store) Reopens() int64 { return s.inst.reopens.Load() }

// maybeRecycle replaces the instance when the C heap grew by
// Options.RecycleAfter since the current instance opened; the checkpointer
// calls it when writes paused.
func (s *Store) maybeRecycle() {
	if s.opts.RecycleAfter < 0 || time.Now().Before(s.recycleNext) {
		return
	}
	if heap := heapInUse(); heap == 0 || heap-s.heapBase.Load() < s.opts.RecycleAfter {
		return
	}
	ctx, cancel := s.withTimeout(context.Background())
	defer cancel()
	switch err := s.recycle(ctx); {
	case errors.Is(err, errBusy): // nothing waited: try at the next look
		return
	case err != nil:
		s.recycleNext = time.Now().Add(recycleBackoff)
		return
	}
	returnFreedHeap() // what the old instance held
}
