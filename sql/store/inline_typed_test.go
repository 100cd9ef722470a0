package store

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// typedQuery returns small results of every type typed inline storage keeps,
// with the edge values of each: NULLs, extremes, exact
// decimals wider than a float64, multi-byte text, dates and microseconds.
const typedQuery = `SELECT * FROM (VALUES
	(true, 127::TINYINT, (-32768)::SMALLINT, 2147483647, 9223372036854775807::BIGINT,
	 170141183460469231731687303715884105727::HUGEINT, 18446744073709551615::UBIGINT,
	 0.1::FLOAT, 0.1::DOUBLE, 12345678901234567890123456.78::DECIMAL(38,2), (-0.5)::DECIMAL(4,1),
	 'Zürich "north"', DATE '2024-02-29', TIMESTAMP '2024-03-01 12:34:56.789012'),
	(false, NULL, 0::SMALLINT, -1, NULL, (-1)::HUGEINT, 0::UBIGINT,
	 3.4028235e38::FLOAT, 5e-324::DOUBLE, 0::DECIMAL(38,2), NULL, '', DATE '1970-01-01', TIMESTAMP '1999-12-31 23:59:59'),
	(NULL, 0::TINYINT, NULL, NULL, (-9223372036854775808)::BIGINT, NULL, NULL,
	 NULL, -1.7976931348623157e308::DOUBLE, (-1.05)::DECIMAL(38,2), 999.9::DECIMAL(4,1), NULL, NULL, NULL)
	) AS t(b, i8, i16, i32, i64, huge, ubig, f32, f64, dec_wide, dec_small, txt, day, ts)`

// TestTypedInlineResults: a small SQL result is kept inline with its exact
// types: its summary, pages and streams read exactly as the same result read
// from a table, and user SQL reads results.<handle> with the same types and
// values as the query that made it.
func TestTypedInlineResults(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, Options{})
	in, err := s.SaveQuery(ctx, "tool:test", "", typedQuery)
	if err != nil {
		t.Fatal(err)
	}
	if !isInline(t, s, in.Handle) {
		t.Fatal("saved as a table, want inline")
	}
	var pages [][]any
	for _, w := range [][2]int{{0, 1}, {1, 5}, {3, 5}} {
		p, err := s.GetPage(ctx, in.Handle, int64(w[0]), w[1], false)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p.Rows...)
	}
	csvBefore, streamBefore := pageCSV(t, s, in.Handle), streamed(t, s, in.Handle)
	q, err := s.RunSQL(ctx, "SELECT count(*) AS n FROM results."+in.Handle)
	if err != nil || q.Rows != 1 {
		t.Fatalf("user SQL over the inline result: %v", err)
	}
	if isInline(t, s, in.Handle) {
		t.Fatal("still inline after user SQL named it")
	}
	table, err := s.Result(ctx, in.Handle)
	if err != nil {
		t.Fatal(err)
	}
	// Now a table: the summary it had, described by DuckDB itself.
	fresh, err := s.summarize(ctx, s.db, in.Handle)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in.Columns, fresh.Columns); diff != "" {
		t.Errorf("columns (-inline +table):\n%s", diff)
	}
	if diff := cmp.Diff(in.Stats, fresh.Stats); diff != "" || in.Rows != fresh.Rows || in.Bytes != fresh.Bytes {
		t.Errorf("stats, rows %d/%d, bytes %d/%d (-inline +table):\n%s", in.Rows, fresh.Rows, in.Bytes, fresh.Bytes, diff)
	}
	if diff := cmp.Diff(in.Head, table.Head); diff != "" {
		t.Errorf("head (-inline +stored):\n%s", diff)
	}
	p, err := s.GetPage(ctx, in.Handle, 0, 10, false)
	if diff := cmp.Diff(p.Rows, pages); diff != "" || err != nil {
		t.Errorf("pages err %v (-table +inline):\n%s", err, diff)
	}
	if diff := cmp.Diff(pageCSV(t, s, in.Handle), csvBefore); diff != "" {
		t.Errorf("CSV (-table +inline):\n%s", diff)
	}
	if diff := cmp.Diff(streamed(t, s, in.Handle), streamBefore); diff != "" {
		t.Errorf("stream (-table +inline):\n%s", diff)
	}
	var differ int
	err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM (
		(SELECT * FROM `+s.ResultTable(in.Handle)+` EXCEPT ALL `+typedQuery+`) UNION ALL
		(`+typedQuery+` EXCEPT ALL SELECT * FROM `+s.ResultTable(in.Handle)+`))`).Scan(&differ)
	if err != nil || differ != 0 {
		t.Errorf("the table made from the inline rows differs from the query in %d rows (err %v)", differ, err)
	}
}

// TestSaveQueryTablesWhenNotInline: results too large for inline storage, or
// with a type it does not keep exactly, stay tables.
func TestSaveQueryTablesWhenNotInline(t *testing.T) {
	s := newStore(t, Options{})
	for name, q := range map[string]string{
		"many rows":     "SELECT range AS n FROM range(1001)",
		"large text":    "SELECT repeat('x', 300000) AS s",
		"a list":        "SELECT [1, 2] AS l",
		"a blob":        "SELECT 'ab'::BLOB AS b",
		"an interval":   "SELECT INTERVAL 1 DAY AS i",
		"a NUL in text": "SELECT 'a' || chr(0) || 'b' AS s",
		"infinite date": "SELECT 'infinity'::DATE AS d",
	} {
		t.Run(name, func(t *testing.T) {
			sum, err := s.SaveQuery(t.Context(), "tool:test", "", q)
			if err != nil {
				t.Fatal(err)
			}
			if isInline(t, s, sum.Handle) {
				t.Error("kept inline, want a table")
			}
		})
	}
}

func pageCSV(t *testing.T, s *Store, h string) string {
	t.Helper()
	p, err := s.GetPage(t.Context(), h, 0, 10, true)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(p.CSV)
}

// TestInlineFloatsNotFinite: NaN and infinities keep their stored form exactly
// (a result table with them has no JSON summary stats, so they are checked here).
func TestInlineFloatsNotFinite(t *testing.T) {
	for _, k := range []cellKind{kindFloat, kindDouble} {
		for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1)} {
			var scanned any = f
			if k == kindFloat {
				scanned = float32(f)
			}
			stored, ok := encodeCell(scanned, k)
			back, err := scanValue(stored, k, "")
			if !ok || err != nil || fmt.Sprint(back) != fmt.Sprint(scanned) {
				t.Errorf("kind %d: %v stored as %v reads back as %v (%v)", k, scanned, stored, back, err)
			}
		}
	}
}
