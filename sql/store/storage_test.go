package store

import (
	dbsql "database/sql"
	"path/filepath"
	"testing"
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
