package store

import (
	dbsql "database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A database file written by an earlier version (DuckDB's default storage
// format, v1.0) opens with its data intact and is upgraded to the storage
// format the store writes.
func TestOpenUpgradesStorageFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.duckdb")
	db, err := dbsql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE main.kept AS SELECT 42 AS answer`); err != nil {
		t.Fatal(err)
	}
	if got := storageFormat(t, db, "old"); got != "v1.0.0+" {
		t.Fatalf("DuckDB's default format is %q, the test assumes v1.0.0+", got)
	}
	db.Close()

	s, err := Open(t.Context(), path, Options{DataRoot: t.TempDir()})
	if err != nil {
		t.Fatalf("open a file of the old format: %v", err)
	}
	defer s.Close()
	if got := storageFormat(t, s.db, catalog); got != storageVersion+"+" {
		t.Errorf("storage format after Open = %q, want %s+", got, storageVersion)
	}
	var answer int
	if err := s.db.QueryRowContext(t.Context(), `SELECT answer FROM main.kept`).Scan(&answer); err != nil || answer != 42 {
		t.Errorf("data of the old file: %d %v", answer, err)
	}
}

// storageFormat is the storage format DuckDB reports for the attached database name.
func storageFormat(t *testing.T, db *dbsql.DB, name string) string {
	t.Helper()
	var v string
	err := db.QueryRowContext(t.Context(), `SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = ?`, name).Scan(&v)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The run tables' JSON columns keep their ZSTD compression across restarts:
// records written after the store is opened again are compressed alike.
func TestRunJSONCompressedAfterReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.duckdb")
	opts := Options{DataRoot: t.TempDir()}
	s, err := Open(t.Context(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(t.Context(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	data := []byte(`{"status":"succeeded","output":"` + strings.Repeat("revenue grew in the north region; ", 200) + `"}`)
	b := RunBatch{
		Runs:   []RunRecord{{ID: "run_1", Status: "succeeded", Dataset: "d", Pipeline: "p", CreatedAt: t0, Data: data}},
		Steps:  []StepRecord{{RunID: "run_1", StepID: "a", Status: "succeeded", UpdatedAt: t0, Data: data}},
		Events: []EventRecord{{RunID: "run_1", Seq: 1, Type: "run_finished", Time: t0, Data: data}},
	}
	if err := s.WriteRunBatch(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	if err := s.checkpoint(); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"runs", "run_steps", "run_events"} {
		var got string
		err := s.db.QueryRowContext(t.Context(), `SELECT string_agg(DISTINCT compression, ',') FROM pragma_storage_info(?)
			WHERE column_name = 'data' AND segment_type = 'VARCHAR'`, "mrswarm."+table).Scan(&got)
		if err != nil || got != "ZSTD" {
			t.Errorf("mrswarm.%s.data is stored as %q (%v), want ZSTD", table, got, err)
		}
	}
}
