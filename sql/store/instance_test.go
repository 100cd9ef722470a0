package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// openFile opens a file-backed store in a fresh folder, closed at cleanup.
func openFile(t *testing.T, opts Options) (*Store, string) {
	t.Helper()
	if opts.DataRoot == "" {
		opts.DataRoot = t.TempDir()
	}
	path := filepath.Join(t.TempDir(), "s.duckdb")
	s, err := Open(t.Context(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// A new DuckDB instance on the store's file holds what the old one did, in the
// same catalog, with the configuration the store set and locked: DuckDB
// still reads no file outside the data root, and no statement can change that.
func TestRecycleKeepsDataAndConfiguration(t *testing.T) {
	root := t.TempDir()
	copyBeverage(t, root, "sales.csv")
	s, path := openFile(t, Options{DataRoot: root, MemoryLimit: 512 << 20, RecycleAfter: -1})
	ctx := t.Context()
	if _, err := s.LoadFile(ctx, "sales", "sales.csv", FormatAuto, nil); err != nil {
		t.Fatal(err)
	}
	before, err := s.SaveRows(ctx, "findings", "", []Column{{Name: "finding"}}, [][]any{{"first"}, {"second"}})
	if err != nil {
		t.Fatal(err)
	}

	if err := s.recycle(ctx); err != nil {
		t.Fatalf("recycle: %v", err)
	}
	if got := s.Reopens(); got != 1 {
		t.Fatalf("Reopens() = %d after one recycle, want 1", got)
	}
	if n := count(t, s, s.TableRef(ctx, "sales")); n != 15000 {
		t.Errorf("the dataset has %d rows in the new instance, want 15000", n)
	}
	page, err := s.GetPage(ctx, before.Handle, 0, 10, false)
	if err != nil || len(page.Rows) != 2 {
		t.Fatalf("the result saved before: %d rows, %v; want 2 rows", len(page.Rows), err)
	}
	var catalogName, limit string
	if err := s.db.QueryRowContext(ctx, "SELECT current_database(), current_setting('memory_limit')").Scan(&catalogName, &limit); err != nil {
		t.Fatal(err)
	}
	if catalogName != s.catalog || limit != "512.0 MiB" {
		t.Errorf("new instance: catalog %q, memory limit %q; want %q, 512.0 MiB", catalogName, limit, s.catalog)
	}
	if _, err := s.db.ExecContext(ctx, "SELECT * FROM read_text('/etc/hostname')"); err == nil {
		t.Error("the new instance read /etc/hostname, outside the data root")
	}
	if _, err := s.db.ExecContext(ctx, "SET enable_external_access = true"); err == nil {
		t.Error("the new instance's configuration is not locked")
	}

	after, err := s.SaveRows(ctx, "findings", "", []Column{{Name: "finding"}}, [][]any{{"third"}})
	if err != nil {
		t.Fatalf("a write in the new instance: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path, Options{DataRoot: root})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, h := range []string{before.Handle, after.Handle} {
		if _, err := s.GetPage(ctx, h, 0, 10, false); err != nil {
			t.Errorf("result %s after reopening the file: %v", h, err)
		}
	}
}

// While a connection is in use the instance stays, and the connection keeps
// working; once it is returned the instance can be replaced.
func TestRecycleWaitsUntilNoConnectionIsInUse(t *testing.T) {
	s, _ := openFile(t, Options{RecycleAfter: -1})
	ctx := t.Context()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.recycle(ctx); !errors.Is(err, errBusy) {
		t.Fatalf("recycle with a connection in use: %v, want errBusy", err)
	}
	var one int
	if err := conn.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		t.Fatalf("the connection in use after the attempt: %v", err)
	}
	conn.Close()
	if err := s.recycle(ctx); err != nil {
		t.Fatalf("recycle once the connection was returned: %v", err)
	}
	if s.Reopens() != 1 {
		t.Fatalf("Reopens() = %d, want 1", s.Reopens())
	}
}

// Statements that start while the instance is replaced wait for the new one;
// none fails, and every write is there afterwards.
func TestRecycleUnderLoad(t *testing.T) {
	s, _ := openFile(t, Options{RecycleAfter: -1})
	ctx := t.Context()
	var (
		wg      sync.WaitGroup
		stop    atomic.Bool
		writes  atomic.Int64
		mu      sync.Mutex
		handles []string
		errs    []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				sum, err := s.SaveRows(ctx, "load", "", []Column{{Name: "w"}, {Name: "i"}}, [][]any{{int64(w), int64(i)}})
				if err != nil {
					fail(fmt.Errorf("worker %d write %d: %w", w, i, err))
					return
				}
				mu.Lock()
				handles = append(handles, sum.Handle)
				mu.Unlock()
				writes.Add(1)
				if _, _, err := s.QueryValues(ctx, "SELECT count(*) FROM mrswarm.results"); err != nil {
					fail(fmt.Errorf("worker %d read %d: %w", w, i, err))
					return
				}
				time.Sleep(10 * time.Millisecond) // the store is idle now and then, as a server between requests
			}
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	for s.Reopens() < 3 && time.Now().Before(deadline) {
		t0 := time.Now()
		if err := s.recycle(ctx); err != nil && !errors.Is(err, errBusy) && !errors.Is(err, errSlowDrain) {
			t.Errorf("recycle: %v", err)
			break
		} else if err == nil {
			t.Logf("recycle took %v", time.Since(t0))
		}
		time.Sleep(time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if s.Reopens() < 3 {
		t.Fatalf("the instance was replaced %d times in 20 s beside the workers, want 3", s.Reopens())
	}
	if writes.Load() == 0 {
		t.Fatal("no worker wrote")
	}
	for _, h := range handles {
		if _, err := s.GetPage(ctx, h, 0, 1, false); err != nil {
			t.Errorf("result %s written beside the replacements: %v", h, err)
		}
	}
}

// The checkpointer replaces the instance by itself once the C heap grew by
// RecycleAfter and writes paused; a negative RecycleAfter never does, nor
// does an in-memory store, whose data would go with its instance.
func TestRecycleWhenTheHeapGrew(t *testing.T) {
	if heapInUse() == 0 {
		t.Skip("the C library's heap cannot be read here (not glibc); the store never recycles")
	}
	write := func(s *Store) {
		t.Helper()
		rows := make([][]any, 1000)
		for i := range rows {
			rows[i] = []any{int64(i), fmt.Sprintf("row %d", i)}
		}
		if _, err := s.SaveRows(t.Context(), "rows", "", []Column{{Name: "i"}, {Name: "s"}}, rows); err != nil {
			t.Fatal(err)
		}
	}
	s, _ := openFile(t, Options{RecycleAfter: 1})
	write(s)
	deadline := time.Now().Add(15 * time.Second)
	for s.Reopens() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if s.Reopens() == 0 {
		t.Fatal("no new instance 15 s after writes paused, with RecycleAfter 1 byte")
	}

	never, neverPath := openFile(t, Options{RecycleAfter: -1})
	write(never)
	waitNoWAL(t, neverPath)
	time.Sleep(3 * checkpointPoll)
	if never.Reopens() != 0 {
		t.Errorf("RecycleAfter -1: %d new instances", never.Reopens())
	}

	mem := newStore(t, Options{RecycleAfter: 1})
	write(mem)
	if err := mem.recycle(context.Background()); err == nil {
		t.Error("an in-memory store replaced its instance")
	}
	if n := count(t, mem, "mrswarm.results"); n != 1 {
		t.Errorf("in-memory store after the refused recycle: %d results, want 1", n)
	}
}

// When the new instance does not open, statements fail with what went wrong
// until one opens, and the data is all there then.
func TestRecycleReopenFailsThenRecovers(t *testing.T) {
	s, _ := openFile(t, Options{RecycleAfter: -1})
	ctx := t.Context()
	sum, err := s.SaveRows(ctx, "findings", "", []Column{{Name: "finding"}}, [][]any{{"kept"}})
	if err != nil {
		t.Fatal(err)
	}
	open := s.inst.open
	s.inst.open = func(context.Context) (*duckdb.Connector, error) { return nil, errors.New("the disk is gone") }
	if err := s.recycle(ctx); err == nil || !strings.Contains(err.Error(), "the disk is gone") {
		t.Fatalf("recycle with an instance that does not open: %v", err)
	}
	if _, _, err := s.QueryValues(ctx, "SELECT 1"); err == nil || !strings.Contains(err.Error(), "reopen the database: the disk is gone") {
		t.Fatalf("a statement while no instance opens: %v", err)
	}
	s.inst.open = open
	page, err := s.GetPage(ctx, sum.Handle, 0, 10, false)
	if err != nil || len(page.Rows) != 1 {
		t.Fatalf("the result once an instance opened: %d rows, %v", len(page.Rows), err)
	}
}
