package store

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzUserSQLGuard feeds the guard and DuckDB's parse (never execution) with
// arbitrary SQL: they must not panic (the generator guard included), a
// refusal wraps ErrInvalid, ErrPermission or ErrLimit, and no accepted query carries a reject-table option or
// starts with anything but a SELECT-like word.
func FuzzUserSQLGuard(f *testing.F) {
	s := newStore(f, Options{MemoryLimit: 256 << 20}) // the generator guard needs a limit
	for _, seed := range []string{
		"SELECT 1", "WITH x AS (SELECT 1) SELECT * FROM x", "FROM sales", "SUMMARIZE sales",
		"SELECT count(*) FROM read_csv('x.csv', store_rejects=true, rejects_table='sales')",
		`SELECT * FROM "query"/* x */('SELECT 1')`, "EXPORT DATABASE 'x'", "SELECT 1; DROP TABLE x",
		"SELECT * FROM read_blob('a' || 'b')", "SELECT * FROM U&\"\\0071uery\"('x')",
		"/* /* nested */ */ SELECT checkpoint()", "SELECT 'rejects_table'", "-- c\nVALUES (1)",
		"SELECT length(list(range(200000000)))", "SELECT repeat(repeat('x', 10), -(2 ** 30)) FROM range(3) t(i)",
		"SELECT range(DATE '2000-01-01', DATE '2100-01-01', INTERVAL 1 MINUTE)", "SELECT printf('%999999999d', 1)",
		"WITH t AS (SELECT 5 AS n) SELECT len(range(n)), lpad('x', n, 'y') AS p FROM t",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, q string) {
		err := CheckUserSQL(q)
		lower := strings.ToLower(q)
		for i := 0; err == nil && i < len(lower); {
			start, end := nextWord(lower, i)
			if start < 0 {
				break
			}
			if deniedOptions[lower[start:end]] {
				t.Fatalf("accepted %q with the word %s", q, lower[start:end])
			}
			i = end
		}
		if err == nil && !leadWords[firstWord(q)] {
			t.Fatalf("accepted %q starting with %q", q, firstWord(q))
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("%q: %v does not wrap ErrInvalid", q, err)
		}
		if err != nil {
			return // the file check runs only on what the guard let through
		}
		conn, cerr := s.db.Conn(t.Context())
		if cerr != nil {
			t.Fatal(cerr)
		}
		defer conn.Close()
		if err := s.checkFileAccess(t.Context(), conn, q); err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrPermission) {
				t.Fatalf("file check of %q: %v", q, err)
			}
			return
		}
		if _, err := s.boundGenerators(t.Context(), conn, q); err != nil && !errors.Is(err, ErrLimit) {
			t.Fatalf("generator check of %q: %v", q, err)
		}
	})
}

// FuzzIngest loads arbitrary bytes as CSV and as JSON (sniffing, the strict
// pass, the nesting guard): no panic, every failure is a classified error,
// and the dataset loaded before is untouched.
func FuzzIngest(f *testing.F) {
	s := newStore(f, Options{MemoryLimit: 256 << 20, LoadTimeout: 10 * time.Second})
	keep, err := s.LoadReader(f.Context(), "keep", "keep.csv", FormatAuto,
		strings.NewReader("region,units\nEU,1\nUS,2\n"), nil)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		"a,b\n1,2\n", "a;b\n1;2\n", "\"x;y\",b\n1,2\n", "a\tb,c\n1\t2\n", "a,b\n1,2,3\n", "",
		"\xef\xbb\xbfa,b\n\"unterminated\n", `[{"a": 1}, {"a": "x"}]`, `{"a": {"b": [1, 2]}}` + "\n" + `{"a": null}`,
		strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100), `[[[[[[]]]]]]`, "a,a,a\n1,2,3\n", ")C\x00$2,b\n0,0",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"in.csv", "in.json"} {
			_, err := s.LoadReader(t.Context(), "fuzzed", name, FormatAuto, bytes.NewReader(data), nil)
			if err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrLimit) {
				t.Fatalf("load %s of %q: unclassified error %v", name, data, err)
			}
		}
		ds, err := s.Dataset(t.Context(), "keep")
		if err != nil || ds.Rows != keep.Dataset.Rows || ds.Fingerprint != keep.Dataset.Fingerprint {
			t.Fatalf("the earlier dataset changed: %+v, %v", ds, err)
		}
		if left, _ := filepath.Glob(filepath.Join(s.staging, "upload-*")); len(left) > 0 {
			t.Fatalf("uploads left in staging: %v", left)
		}
	})
}
