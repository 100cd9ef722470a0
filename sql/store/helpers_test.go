package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// beverageCSV is the real data set: <module root>/data/beverage_sales.csv.
var beverageCSV = filepath.Join("..", "..", "data", "beverage_sales.csv")

// newStore opens an in-memory store over a fresh data root.
func newStore(t testing.TB, opts Options) *Store {
	t.Helper()
	if opts.DataRoot == "" {
		opts.DataRoot = t.TempDir()
	}
	s, err := Open(t.Context(), "", opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fileStore opens a store on a file in a temporary folder. restart closes the
// store it is given and opens the same file again with opts (their DataRoot
// set), as a restart of the server does; the last store opened is closed
// when the test ends.
func fileStore(t *testing.T) (s *Store, restart func(s *Store, opts Options) *Store) {
	t.Helper()
	dir, path := t.TempDir(), filepath.Join(t.TempDir(), "store.duckdb")
	var last *Store
	open := func(opts Options) *Store {
		t.Helper()
		opts.DataRoot = dir
		s, err := Open(t.Context(), path, opts)
		if err != nil {
			t.Fatal(err)
		}
		last = s
		return s
	}
	t.Cleanup(func() {
		if last != nil {
			last.Close()
		}
	})
	restart = func(s *Store, opts Options) *Store {
		t.Helper()
		last = nil
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		return open(opts)
	}
	return open(Options{}), restart
}

// writeFile writes a file under dir and returns its path.
func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// copyBeverage copies the real CSV into dir as name.
func copyBeverage(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(beverageCSV)
	if err != nil {
		t.Fatalf("read the real data set: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// count runs SELECT count(*) FROM table.
func count(t testing.TB, s *Store, table string) int64 {
	t.Helper()
	var n int64
	if err := s.db.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// wantErr checks err wraps want and its message holds every part.
func wantErr(t *testing.T, err, want error, parts ...string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}
