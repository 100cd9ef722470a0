//go:build !(linux && (amd64 || arm64)) || duckdb_use_lib || duckdb_use_static_lib

package store

// purgeAllocator gives DuckDB's freed pages back where the store links its
// jemalloc (jemalloc.go); a system libduckdb keeps its own allocator.
func purgeAllocator() error { return nil }
