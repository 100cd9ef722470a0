package store

import (
	"os"
	"path/filepath"
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
