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
#include <stdint.h>
#include <stdlib.h>

const char *duckdb_je_malloc_conf_2_conf_harder = "tcache:false";

extern int duckdb_je_mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);

static int je_opt_bool(const char *name, bool *v) {
	size_t len = sizeof(*v);
	return duckdb_je_mallctl(name, v, &len, NULL, 0);
}

// "arena.4096": jemalloc's MALLCTL_ARENAS_ALL, every arena at once.
static int je_purge(void) {
	return duckdb_je_mallctl("arena.4096.purge", NULL, NULL, NULL, 0);
}

// je_unused_pages is the pages the arenas hold freed, dirty or muzzy (given
// back with MADV_FREE, resident until the kernel takes them), or -1.
static long long je_unused_pages(void) {
	uint64_t epoch = 1;
	size_t len = sizeof(epoch);
	if (duckdb_je_mallctl("epoch", &epoch, &len, &epoch, len) != 0) {
		return -1;
	}
	size_t dirty = 0, muzzy = 0;
	len = sizeof(size_t);
	if (duckdb_je_mallctl("stats.arenas.4096.pdirty", &dirty, &len, NULL, 0) != 0 ||
		duckdb_je_mallctl("stats.arenas.4096.pmuzzy", &muzzy, &len, NULL, 0) != 0) {
		return -1;
	}
	return (long long)(dirty + muzzy);
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

// purgeAllocator gives the pages DuckDB's jemalloc holds freed back to the
// system at once, in every arena. Its background thread does that too, but
// over its decay time (one second for dirty pages, another for muzzy ones,
// along a curve): a server that just went idle after a run otherwise kept
// some MiB of freed vectors resident for seconds after its checkpoint.
func purgeAllocator() error {
	if rc := C.je_purge(); rc != 0 {
		return fmt.Errorf("store: jemalloc purge: error %d", int(rc))
	}
	return nil
}

// allocatorUnusedPages is how many pages DuckDB's jemalloc holds freed but
// resident (dirty or muzzy), over every arena.
func allocatorUnusedPages() (int64, error) {
	n := int64(C.je_unused_pages())
	if n < 0 {
		return 0, fmt.Errorf("store: jemalloc stats unavailable")
	}
	return n, nil
}
