//go:build linux

package store

// DuckDB allocates its C++ objects (plans, operators, expression states,
// catalog entries) with the C library's malloc, and glibc gives every thread
// that allocates its own arena, up to eight per core. Go runs cgo calls on
// any of its threads, so a server that called DuckDB from a dozen threads
// spread those objects over as many arenas, each keeping its freed chunks:
// after one campaign run 3-6 arenas held 9-17 MiB, 6 MiB of it in use. One
// arena per core is what the threads that run at once can contend for; the
// server's RSS after a campaign run fell by 4-7 MiB (medians of 3 alternated
// runs; README, Performance) and step overhead measured alike.
// The limit is set when the program is loaded (a C constructor), before any
// thread made an arena of its own.

/*
#define _GNU_SOURCE
#include <malloc.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int arena_cap = 0;

// cap_arenas runs when the program is loaded, before the Go runtime starts
// its threads: arenas made before a limit stay.
__attribute__((constructor)) static void cap_arenas(void) {
#if defined(__GLIBC__) && defined(M_ARENA_MAX)
	cpu_set_t set;
	int n = 2;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > n) {
		n = CPU_COUNT(&set);
	}
	if (mallopt(M_ARENA_MAX, n) == 1) {
		arena_cap = n;
	}
#endif
}

static int arenas_capped_at(void) { return arena_cap; }

// count_arenas returns how many arenas malloc_info reports, or -1.
static int count_arenas(void) {
#if defined(__GLIBC__)
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL) {
		return -1;
	}
	malloc_info(0, f);
	fclose(f);
	int n = 0;
	for (char *p = buf; (p = strstr(p, "<heap nr=")) != NULL; p++) {
		n++;
	}
	free(buf);
	return n;
#else
	return -1;
#endif
}

// heap_in_use is what the C library's malloc has handed out and not had back,
// in every arena and mapped chunk, or 0 where it cannot tell.
static long long heap_in_use(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	struct mallinfo2 mi = mallinfo2();
	return (long long)(mi.uordblks + mi.hblkhd);
#else
	return 0;
#endif
}

static void touch_malloc(void) {
	void *volatile p = malloc(64);
	free(p);
}

// trim_malloc gives the pages of free chunks back to the system, in every
// arena (malloc_trim(0)); 1 when it released memory.
static int trim_malloc(void) {
#if defined(__GLIBC__)
	return malloc_trim(0);
#else
	return 0;
#endif
}

// hole_in_heap allocates n+1 chunks of size bytes below the mmap threshold,
// writing to each, and frees the first n: they coalesce into a free range
// that no free trims, since the last chunk keeps it from the heap's top. It
// returns that last chunk, for free.
static void *hole_in_heap(int n, size_t size) {
	void **chunks = calloc(n + 1, sizeof(void *));
	if (chunks == NULL) {
		return NULL;
	}
	for (int i = 0; i <= n; i++) {
		chunks[i] = malloc(size);
		if (chunks[i] != NULL) {
			memset(chunks[i], 1, size);
		}
	}
	void *fence = chunks[n];
	for (int i = 0; i < n; i++) {
		free(chunks[i]);
	}
	free(chunks);
	return fence;
}
*/
import "C"

import "unsafe"

// arenaCap is the most arenas the C library's malloc makes (one per core the
// process may run on, at least 2), or 0 where it cannot be capped (not glibc).
func arenaCap() int { return int(C.arenas_capped_at()) }

// mallocArenas is how many arenas the C library's malloc has made, or -1 where
// it cannot tell (not glibc).
func mallocArenas() int { return int(C.count_arenas()) }

// heapInUse is the C library's heap in use in bytes (glibc's mallinfo2), or 0
// where it cannot tell: where DuckDB keeps its C++ objects.
func heapInUse() int64 { return int64(C.heap_in_use()) }

// touchMalloc makes the calling thread allocate with the C library's malloc.
func touchMalloc() { C.touch_malloc() }

// trimMalloc returns the pages of the C library's free chunks to the system
// (glibc's malloc_trim(0)) and reports whether it released any. glibc gives
// back on free only what reaches the top of a heap; DuckDB's C++ objects
// freed in between stay resident: 1.7 MiB in a server after a campaign run,
// where its checkpoint and Go's heap had already been returned.
func trimMalloc() bool { return C.trim_malloc() == 1 }

// holeInHeap leaves n×size bytes of free chunks, written to, inside the C
// heap, where free does not return them; the caller frees the returned
// chunk behind them with freeFence.
func holeInHeap(n int, size int) unsafe.Pointer {
	return C.hole_in_heap(C.int(n), C.size_t(size))
}

// freeFence frees what holeInHeap returned.
func freeFence(p unsafe.Pointer) { C.free(p) }
