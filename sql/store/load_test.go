package store

import (
	"bytes"
	"context"
	dbsql "database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadBeverage(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, Options{})
	content := copyBeverage(t, s.DataRoot(), "beverage_sales.csv")

	res, err := s.LoadFile(ctx, "beverage_sales", "beverage_sales.csv", FormatAuto, nil)
	if err != nil {
		t.Fatal(err)
	}
	ds := res.Dataset
	if res.CacheHit || ds.Rows != 15000 || len(ds.Columns) != 16 || ds.Format != FormatCSV {
		t.Fatalf("hit %v rows %d columns %d format %q", res.CacheHit, ds.Rows, len(ds.Columns), ds.Format)
	}
	if ds.Fingerprint != sha(content) || ds.Bytes != int64(len(content)) || ds.Source != "beverage_sales.csv" {
		t.Errorf("fingerprint %s bytes %d source %q", ds.Fingerprint, ds.Bytes, ds.Source)
	}
	wantRoles := map[Role]string{RoleDate: "sale_date", RoleRegion: "region", RoleCountry: "country",
		RoleBrand: "brand", RoleCategory: "category", RoleUnits: "units_sold", RoleRevenue: "total_revenue",
		RoleCost: "total_cost", RoleProfit: "profit", RoleMargin: "profit_margin", RolePrice: "price_per_unit",
		RoleStore: "store_id"}
	if diff := cmp.Diff(wantRoles, ds.Roles); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	if n := count(t, s, "beverage_sales"); n != 15000 {
		t.Errorf("table has %d rows", n)
	}

	again, err := s.LoadFile(ctx, "beverage_sales", filepath.Join(s.DataRoot(), "beverage_sales.csv"), FormatCSV, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !again.CacheHit || again.BytesRead != 0 || again.Dataset.Fingerprint != ds.Fingerprint || again.Duration <= 0 {
		t.Errorf("reload: hit %v read %d fingerprint %s duration %v", again.CacheHit, again.BytesRead,
			again.Dataset.Fingerprint, again.Duration)
	}
	if !again.Dataset.LoadedAt.Equal(ds.LoadedAt) {
		t.Errorf("reload re-ingested: loaded at %v, first %v", again.Dataset.LoadedAt, ds.LoadedAt)
	}
}

func TestLoadCacheByContent(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, Options{})
	content := copyBeverage(t, s.DataRoot(), "a.csv")
	first, err := s.LoadFile(ctx, "sales", "a.csv", FormatAuto, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Same content under a new mtime: read and hashed, still a hit.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(s.DataRoot(), "a.csv"), later, later); err != nil {
		t.Fatal(err)
	}
	touched, err := s.LoadFile(ctx, "sales", "a.csv", FormatAuto, nil)
	if err != nil || !touched.CacheHit || touched.BytesRead != int64(len(content)) {
		t.Fatalf("touched file: hit %v read %d err %v", touched.CacheHit, touched.BytesRead, err)
	}
	up, err := s.LoadReader(ctx, "sales", "sales.csv", FormatAuto, bytes.NewReader(content), nil)
	if err != nil || !up.CacheHit || up.Dataset.Fingerprint != first.Dataset.Fingerprint {
		t.Fatalf("upload of the same bytes: hit %v err %v", up.CacheHit, err)
	}
	other, err := s.LoadReader(ctx, "sales_copy", "sales.csv", FormatAuto, bytes.NewReader(content), nil)
	if err != nil || other.CacheHit || other.Dataset.Fingerprint != first.Dataset.Fingerprint ||
		other.Dataset.Source != "upload" {
		t.Fatalf("upload under a new name: %+v err %v", other, err)
	}
	if n := count(t, s, "sales_copy"); n != 15000 {
		t.Errorf("sales_copy has %d rows", n)
	}
	changed := strings.Replace(string(content), "\n", "\n2024-01-01,2024,1,Q1,Europe,UK,ST1000,Pepsi,Cola,1,1.0,1.0,0.5,0.5,0.5,50.0\n", 1)
	writeFile(t, s.DataRoot(), "a.csv", changed)
	repl, err := s.LoadFile(ctx, "sales", "a.csv", FormatAuto, nil)
	if err != nil || repl.CacheHit || repl.Dataset.Rows != 15001 {
		t.Fatalf("changed file: hit %v rows %d err %v", repl.CacheHit, repl.Dataset.Rows, err)
	}
}

func TestLoadFormats(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, Options{})
	root := s.DataRoot()
	writeFile(t, root, "sales.json", `[{"order_date":"2024-01-02","market":"EU","qty":3,"revenue":9.5},
		{"order_date":"2024-01-03","market":"US","qty":4,"revenue":12.25}]`)
	writeFile(t, root, "sales.ndjson", "{\"day\":\"2024-01-02\",\"units\":1}\n{\"day\":\"2024-01-03\",\"units\":2}\n")
	writeParquet(t, filepath.Join(root, "sales.parquet"))
	tests := []struct {
		name, file string
		format     Format
		rows       int64
		roles      map[Role]string
	}{
		{"json array", "sales.json", FormatAuto, 2,
			map[Role]string{RoleDate: "order_date", RoleRegion: "market", RoleUnits: "qty", RoleRevenue: "revenue"}},
		{"ndjson", "sales.ndjson", FormatJSON, 2, map[Role]string{RoleDate: "day", RoleUnits: "units"}},
		{"parquet", "sales.parquet", FormatAuto, 1000,
			map[Role]string{RoleDate: "sale_date", RoleBrand: "brand", RoleRevenue: "sales", RoleCost: "cogs"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := s.LoadFile(ctx, "ds", tc.file, tc.format, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Dataset.Rows != tc.rows {
				t.Errorf("rows %d, want %d", res.Dataset.Rows, tc.rows)
			}
			if diff := cmp.Diff(tc.roles, res.Dataset.Roles); diff != "" {
				t.Errorf("roles (-want +got):\n%s", diff)
			}
		})
	}
}

// writeParquet writes a 1000-row Parquet file with a separate DuckDB.
func writeParquet(t *testing.T, path string) {
	t.Helper()
	db, err := dbsql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := `COPY (SELECT DATE '2024-01-01' + (i % 30)::INT AS sale_date, 'b' || (i % 3) AS brand,
		i * 1.5 AS sales, i * 1.0 AS cogs FROM range(1000) t(i)) TO ` + quoteLit(path) + ` (FORMAT parquet)`
	if _, err := db.ExecContext(context.Background(), q); err != nil {
		t.Fatal(err)
	}
}

func TestLoadBadInputKeepsOldTable(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, Options{})
	root := s.DataRoot()
	writeFile(t, root, "good.csv", "id,units\n1,10\n2,20\n3,30\n")
	old, err := s.LoadFile(ctx, "ds", "good.csv", FormatAuto, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, body string
		parts            []string // the error names these
	}{
		{"ragged row", "ragged.csv", "id,units\n1,10\n2\n3,30\n", []string{"ragged.csv", "line 3"}},
		{"extra field", "extra.csv", "id,units\n1,10\n2,20,7\n", []string{"extra.csv", "line 3"}},
		{"invalid utf-8", "latin1.csv", "id,name\n1,ok\n2,caf\xe9\n", []string{"latin1.csv", "line 3", "UTF-8"}},
		{"empty file", "empty.csv", "", []string{"empty.csv", "empty"}},
		{"blank header", "blank.csv", "\n\n", []string{"blank.csv", "line 1"}},
		{"unknown format", "sales.docx", "id\n1\n", []string{"sales.docx", "unknown format"}},
		{"malformed json", "bad.json", "[{\"id\": 1},\n{\"id\": \n", []string{"bad.json", "at byte"}},
		{"empty json array", "empty.json", "[]", []string{"empty.json", "no data rows"}},
		{"header only", "header.csv", "id,units\n", []string{"header.csv", "no data rows"}},
		{"not parquet", "bad.parquet", "id,units\n1,2\n", []string{"bad.parquet"}},
		{"unterminated quote", "quote.csv", "id,name\n1,\"abc\n2,x\n", []string{"quote.csv", "line 3"}},
		{"NUL in a column name", "nul.csv", ")C\x00$2,b\n0,0\n", []string{"nul.csv", "column 1", "NUL"}},
		{"NUL in a JSON key", "nul.json", `[{"a\u0000b": 1, "c": 2}]`, []string{"nul.json", "column 1", "NUL"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			writeFile(t, root, tc.file, tc.body)
			_, err := s.LoadFile(ctx, "ds", tc.file, FormatAuto, nil)
			wantErr(t, err, ErrInvalid, tc.parts...)
			now, err := s.Dataset(ctx, "ds")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(old.Dataset, now); diff != "" {
				t.Errorf("metadata changed (-old +new):\n%s", diff)
			}
			if n := count(t, s, "ds"); n != 3 {
				t.Errorf("old table has %d rows, want 3", n)
			}
		})
	}
	t.Run("upload", func(t *testing.T) {
		_, err := s.LoadReader(ctx, "ds", "up.csv", FormatAuto, strings.NewReader("a,b\n1\n"), nil)
		wantErr(t, err, ErrInvalid, "up.csv", "line 2")
		if strings.Contains(err.Error(), os.TempDir()) {
			t.Errorf("error leaks the staging path: %v", err)
		}
		if n := count(t, s, "ds"); n != 3 {
			t.Errorf("old table has %d rows", n)
		}
	})
}

func TestLoadRejects(t *testing.T) {
	ctx := t.Context()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	writeFile(t, root, "in.csv", "a\n1\n")
	writeFile(t, root, "in.docx", "a\n1\n")
	outside := writeFile(t, base, "secret.csv", "a\n1\n")
	if err := os.Symlink(outside, filepath.Join(root, "link.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(base, filepath.Join(root, "updir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "in.csv"), filepath.Join(root, "inside.csv")); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, Options{DataRoot: root})
	tests := []struct {
		name, ds, path string
		want           error
	}{
		{"dot dot", "x", "../secret.csv", ErrPermission},
		{"absolute outside", "x", outside, ErrPermission},
		{"dot dot inside path", "x", "sub/../../secret.csv", ErrPermission},
		{"symlink to a file outside", "x", "link.csv", ErrPermission},
		{"symlinked folder outside", "x", "updir/secret.csv", ErrPermission},
		{"etc passwd", "x", "/etc/passwd", ErrPermission},
		{"missing file", "x", "nope.csv", ErrNotFound},
		{"bad name", "Bad-Name", "in.csv", ErrInvalid},
		{"reserved word", "select", "in.csv", ErrInvalid},
		{"reserved schema", "results", "in.csv", ErrInvalid},
		{"too long", strings.Repeat("a", 64), "in.csv", ErrInvalid},
		{"unknown format", "x", "in.docx", ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.LoadFile(ctx, tc.ds, tc.path, FormatAuto, nil)
			wantErr(t, err, tc.want)
		})
	}
	if _, err := s.LoadFile(ctx, "x", "inside.csv", FormatAuto, nil); err != nil {
		t.Errorf("a symlink inside the root: %v", err)
	}
}
