//go:build !linux

package store

// trimMalloc returns the C library's free pages to the system where the store
// knows how (glibc, arenas.go); elsewhere it does nothing.
func trimMalloc() bool { return false }

// heapInUse is the C library's heap in use where the store can read it
// (glibc, arenas.go); elsewhere 0, and the store never replaces its DuckDB
// instance (Options.RecycleAfter).
func heapInUse() int64 { return 0 }
