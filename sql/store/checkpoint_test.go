package store

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

// walBytes is the size of the write-ahead log of the database at path (0
// when DuckDB removed it).
func walBytes(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path + ".wal")
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// Once writes pause, the store folds its write-ahead log into the database
// file (DuckDB keeps what the log holds in memory too, and by itself
// checkpoints only at 16 MiB of log); what was written is all there when the
// database is opened again.
func TestCheckpointWhenWritesPause(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.duckdb")
	opts := Options{DataRoot: t.TempDir()}
	s, err := Open(t.Context(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.SaveRows(t.Context(), "findings", "", []Column{{Name: "finding"}}, [][]any{{"first"}, {"second"}})
	if err != nil {
		t.Fatal(err)
	}
	if walBytes(t, path) == 0 {
		t.Fatal("saving a result wrote nothing to the write-ahead log")
	}
	deadline := time.Now().Add(30 * time.Second)
	for walBytes(t, path) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the write-ahead log still holds %d bytes 30 s after the last write", walBytes(t, path))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(t.Context(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	page, err := s.GetPage(t.Context(), sum.Handle, 0, 10, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Rows) != 2 || page.Rows[1][0] != "second" {
		t.Errorf("rows after reopening: %v", page.Rows)
	}
}

// Once writes pause, the heap Go freed is returned to the system, including
// free pages its background scavenger keeps because they are under the heap
// goal (here a 32 MiB live ballast makes that goal about 64 MiB, and 24 MiB
// of garbage stays free but resident).
func TestFreedHeapReturnedWhenWritesPause(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.duckdb")
	s, err := Open(t.Context(), path, Options{DataRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	waitNoWAL(t, path) // the checkpoint of the schema setup, if any
	ballast := make([]byte, 32<<20)
	garbage := make([]byte, 24<<20)
	for i := range garbage {
		garbage[i] = byte(i)
	}
	garbage = nil
	runtime.GC()
	if free := heapFreeResident(); free < 16<<20 {
		t.Fatalf("only %d MiB of free resident heap after dropping 24 MiB: the test cannot tell", free>>20)
	}
	if _, err := s.SaveRows(t.Context(), "findings", "", []Column{{Name: "finding"}}, [][]any{{"one"}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for heapFreeResident() > 4<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("%d MiB of freed heap still resident 30 s after the last write (write-ahead log: %d bytes)",
				heapFreeResident()>>20, walBytes(t, path))
		}
		time.Sleep(50 * time.Millisecond)
	}
	runtime.KeepAlive(ballast)
}

// heapFreeResident is the Go heap that is free but not returned to the system.
func heapFreeResident() uint64 {
	m := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
	metrics.Read(m)
	return m[0].Value.Uint64()
}

// waitNoWAL waits until the database at path has no write-ahead log left.
func waitNoWAL(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for walBytes(t, path) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the write-ahead log still holds %d bytes after 30 s", walBytes(t, path))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
