//go:build linux && (amd64 || arm64) && !duckdb_use_lib && !duckdb_use_static_lib

package store

import (
	"context"
	"testing"
)

// DuckDB's jemalloc runs without thread caches in a program that links the
// store, whatever DuckDB's own configuration, and DuckDB still works on it.
func TestAllocatorWithoutThreadCaches(t *testing.T) {
	s := newStore(t, Options{})
	if _, err := s.Datasets(context.Background()); err != nil {
		t.Fatal(err)
	}
	tcache, err := allocatorFlag("opt.tcache")
	if err != nil {
		t.Fatal(err)
	}
	if tcache {
		t.Error("opt.tcache = true: duckdb_je_malloc_conf_2_conf_harder was not applied")
	}
}

// Once writes pause, the checkpointer has DuckDB's jemalloc give back the
// pages it holds freed at once, not over its decay time: after a query that
// built and dropped a large hash table, returnFreedHeap leaves no freed page
// resident.
func TestReturnFreedHeapPurgesAllocator(t *testing.T) {
	s := newStore(t, Options{})
	var n int64
	if err := s.db.QueryRowContext(t.Context(),
		"SELECT count(*) FROM (SELECT DISTINCT i % 3000000 AS k, i // 7 AS v FROM range(6000000) t(i))").Scan(&n); err != nil {
		t.Fatal(err)
	}
	before, err := allocatorUnusedPages()
	if err != nil {
		t.Fatal(err)
	}
	returnFreedHeap()
	after, err := allocatorUnusedPages()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("freed pages resident: %d after the query, %d after returnFreedHeap", before, after)
	if before == 0 {
		t.Fatal("the query left no freed page to return: the test shows nothing")
	}
	if after != 0 {
		t.Errorf("%d freed pages still resident after returnFreedHeap, want 0", after)
	}
}
