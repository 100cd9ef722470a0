//go:build linux && amd64

package store

// DuckDB allocates its buffers and vectors with a private jemalloc
// (duckdb_je_*), configured by DuckDB as two arenas plus one for huge
// allocations, each thread with a thread cache (tcache) of small objects up to
// 32 KiB. Every OS thread that calls into DuckDB gets such a cache, and Go runs
// cgo calls on any of its threads, so a server holds a dozen caches that keep
// freed vectors resident for no one (about 4 MiB of objects and 2 MiB of their
// metadata after a campaign run). jemalloc reads malloc_conf_2_conf_harder
// after DuckDB's own malloc_conf and the DUCKDB_JE_MALLOC_CONF environment;
// DuckDB leaves this weak symbol empty, and the store defines it to turn the
// thread caches off. Small allocations then go to the arena (one lock per size
// class), which costs nothing measurable on the server's paths (README,
// Performance). Linux on amd64 only: DuckDB ships jemalloc there alone.

/*
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

const char *duckdb_je_malloc_conf_2_conf_harder = "tcache:false";

extern int duckdb_je_mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);

static int je_opt_bool(const char *name, bool *v) {
	size_t len = sizeof(*v);
	return duckdb_je_mallctl(name, v, &len, NULL, 0);
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// allocatorFlag reads a boolean option of DuckDB's jemalloc, such as
// "opt.tcache".
func allocatorFlag(name string) (bool, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var v C.bool
	if rc := C.je_opt_bool(cname, &v); rc != 0 {
		return false, fmt.Errorf("store: jemalloc option %s: error %d", name, int(rc))
	}
	return bool(v), nil
}
