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
