//go:build !linux

package store

// trimMalloc returns the C library's free pages to the system where the store
// knows how (glibc, arenas.go); elsewhere it does nothing.
func trimMalloc() bool { return false }
