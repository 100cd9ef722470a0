//go:build linux && (amd64 || arm64) && !duckdb_use_lib && !duckdb_use_static_lib

package store

// DuckDB allocates its vectors and buffers with a private jemalloc
// (duckdb_je_*), configured by DuckDB as two arenas plus one for huge
// allocations, and with a thread cache (tcache) of small objects up to 32 KiB
// for every thread that allocates. Go runs cgo calls on any of its threads,
// so a server that calls into DuckDB from a dozen threads holds a dozen caches
// of freed vectors that nothing will reuse soon: in a process that ran one
// campaign, jemalloc's resident memory was 15-17 MiB with the caches and 7-10
// MiB without (README, Performance). jemalloc reads
// malloc_conf_2_conf_harder after DuckDB's own malloc_conf and the
// DUCKDB_JE_MALLOC_CONF environment; DuckDB leaves this weak symbol empty, and
// the store defines it to turn the thread caches off. A small allocation then
// takes its arena's lock for its size class; step overhead and cold loads
// measured alike within this machine's noise. Only where the bindings link
// DuckDB's own static build with jemalloc (Linux on amd64 and arm64), not with
// a system libduckdb (duckdb_use_lib, duckdb_use_static_lib).

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
