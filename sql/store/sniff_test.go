package store

import (
	"bytes"
	"compress/gzip"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A CSV is sniffed once and read with what was sniffed pinned; the table it
// gives must be the one a reader that sniffs the file itself gives: same
// column names and types, same rows in the same order.
func TestSniffedReaderReadsAsTheSniffingReader(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("region,units,when\nEU,1,2024-01-31\nUS,2,2024-02-01\n"))
	zw.Close()
	tests := []struct{ name, body string }{
		{"plain", "region,units,price\nEU,1,2.5\nUS,2,3.25\n"},
		{"crlf", "a,b,t\r\n1,x,2024-01-31 10:00:00\r\n2,y,2024-02-01 11:00:00\r\n"},
		{"cr", "a,b\r1,x\r2,y\r"},
		{"comment lines", "a,b\n# note\n1,x\n2,y # trailing\n"},
		{"timestamp format sniffed", "when,v\n01/31/2024 10:00:00 PM,1\n01/30/2024 11:00:00 AM,2\n"},
		{"zoned timestamps and times", "t,tod\n2024-01-31T10:00:00Z,10:00:00\n2024-02-01T11:30:00+02:00,11:00:00\n"},
		{"names needing quotes", "it's,\"q\"\"x\",,\"a;b\",back\\slash\n1,2,3,4,5\n5,6,7,8,9\n"},
		{"duplicate names", "a,a,a\n1,2,3\n"},
		{"semicolons and decimal commas", "x;y;z\n1,5;2;abc\n3,25;4;def\n"},
		{"tabs", "name\tvalue\nEU\t1.5\nUS\t\n"},
		{"quoted newlines and blanks", "id,note,n\n1,\"two\nlines\",\n2,,3\n3,\"say \"\"hi\"\"\",4\n"},
		{"booleans and nulls", "ok,n\ntrue,1\nfalse,NULL\n,3\n"},
		{"bom", "\xef\xbb\xbfa,b\n1,2\n"},
		{"one column no final newline", "x\n1\n2"},
		{"dates as people write them stay text", "d,v\n31/01/2024,1\n01/02/2024,2\n"},
		{"gzip", gz.String()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, Options{})
			name := "f.csv"
			if tc.name == "gzip" {
				name = "f.csv.gz"
			}
			src := source{path: writeFile(t, s.DataRoot(), name, tc.body), display: name, format: FormatCSV}
			pinned, cols, err := s.sniffedCSV(t.Context(), src)
			if err != nil {
				t.Fatal(err)
			}
			sniffing, err := readerSQL(src, "")
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.describeReader(t.Context(), sniffing)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, cols); diff != "" {
				t.Errorf("sniffed columns (-sniffing reader +sniff_csv):\n%s", diff)
			}
			got, err := s.describeReader(t.Context(), pinned)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("pinned reader's columns (-sniffing reader +pinned):\n%s", diff)
			}
			sameRows(t, s, sniffing, pinned)
		})
	}
}

// The 20k-row generated file reads the same both ways too.
func TestSniffedReaderReadsGeneratedData(t *testing.T) {
	s := newStore(t, Options{})
	writeGenerated(t, s.DataRoot(), "gen.csv", 20000)
	src := source{path: filepath.Join(s.DataRoot(), "gen.csv"), display: "gen.csv", format: FormatCSV}
	pinned, _, err := s.sniffedCSV(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	sniffing, err := readerSQL(src, "")
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, s, sniffing, pinned)
}

// sameRows checks two readers give the same rows in the same order.
func sameRows(t *testing.T, s *Store, want, got string) {
	t.Helper()
	q := `SELECT count(*) FROM (SELECT row_number() OVER () AS i, r FROM ` + want + ` r) AS w
		FULL JOIN (SELECT row_number() OVER () AS i, r FROM ` + got + ` r) AS g ON w.i = g.i
		WHERE w.i IS NULL OR g.i IS NULL OR w.r::VARCHAR <> g.r::VARCHAR OR typeof(w.r) <> typeof(g.r)`
	if n := query1[int64](t, s, q); n != 0 {
		t.Errorf("%d rows differ between the sniffing reader and the pinned one", n)
	}
	if n := query1[int64](t, s, `SELECT count(*) FROM `+want); n == 0 {
		t.Errorf("no rows read")
	}
}
