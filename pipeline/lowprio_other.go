//go:build !linux

package pipeline

// lowPriority runs fn; thread priorities are set on Linux only.
func lowPriority(fn func()) { fn() }
