package store

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// query1 runs a one-value query.
func query1[T any](t *testing.T, s *Store, q string) T {
	t.Helper()
	var v T
	if err := s.db.QueryRowContext(t.Context(), q).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// columnType returns the type of a dataset column.
func columnType(ds Dataset, name string) string {
	for _, c := range ds.Columns {
		if c.Name == name {
			return c.Type
		}
	}
	return ""
}

// Issue 11, defect 9: a bad value far past DuckDB's type sample used to turn a
// numeric column into text silently and drop its role.
func TestBadCellPastTheSampleKeepsTheNumbers(t *testing.T) {
	s := newStore(t, Options{})
	body := gen("region,units,revenue", 100_000, func(i int) string {
		units := fmt.Sprint(i % 50)
		if i == 90_000 {
			units = "oops"
		}
		return fmt.Sprintf("r%d,%s,%d.5", i%4, units, i%1000)
	})
	writeFile(t, s.DataRoot(), "late.csv", body)
	res, err := s.LoadFile(t.Context(), "late", "late.csv", FormatAuto, nil)
	if err != nil {
		t.Fatal(err)
	}
	ds := res.Dataset
	if col, ok := ds.Column(RoleUnits); !ok || col != "units" || !isNumeric(columnType(ds, "units")) {
		t.Fatalf("units: role %q type %s; roles %v", col, columnType(ds, "units"), ds.Roles)
	}
	convs := ds.Conversions()
	if len(convs) != 1 || convs[0].Failed != 1 || !cmp.Equal(convs[0].FailedRows, []int64{90_001}) ||
		convs[0].FailedValues[0] != "oops" {
		t.Fatalf("conversions %+v, want one naming row 90001", convs)
	}
	if w := ds.Warnings(); len(w) != 1 || !strings.Contains(w[0], "row 90001") || !strings.Contains(w[0], "oops") {
		t.Errorf("warnings %q", w)
	}
	if n := query1[int64](t, s, `SELECT count(units) FROM late`); n != 99_999 {
		t.Errorf("%d units values, want 99999 (one NULL)", n)
	}
}

func TestMostlyTextStaysText(t *testing.T) {
	s := newStore(t, Options{})
	writeFile(t, s.DataRoot(), "codes.csv", gen("code,revenue", 200, func(i int) string {
		if i > 150 {
			return fmt.Sprintf("A%d,%d", i, i)
		}
		return fmt.Sprintf("%d,%d", i, i)
	}))
	res, err := s.LoadFile(t.Context(), "codes", "codes.csv", FormatAuto, nil)
	if err != nil {
		t.Fatal(err)
	}
	if typ := columnType(res.Dataset, "code"); typ != "VARCHAR" {
		t.Errorf("code is %s, want VARCHAR", typ)
	}
}

func TestNumbersAsPeopleWriteThem(t *testing.T) {
	tests := []struct {
		name, body string
		opts       []ReadOption
		want       []float64
		unit       string
		warn       string
		native     bool // the CSV reader itself read the numbers: nothing to convert
	}{
		{"us currency", "v\n\"$4,968.25\"\n\"$1,187\"\n$-3.5\n", nil, []float64{4968.25, 1187, -3.5}, "$", "", false},
		{"decimal comma", "v;w\n842,4;x\n\"1.234,5\";y\n-0,25;z\n", nil, []float64{842.4, 1234.5, -0.25}, "", "", false},
		{"percent", "v\n12.5%\n-3%\n100 %\n", nil, []float64{12.5, -3, 100}, "%", "", false},
		{"parentheses and codes", "v\n(12.50)\nUSD 1000\n7 USD\n", nil, []float64{-12.5, 1000, 7}, "USD", "", false},
		{"euro suffix and spaces", "v;w\n1 234,50 €;a\n99,00 €;b\n", nil, []float64{1234.5, 99}, "€", "", false},
		{"blanks are null", "v\n5.5\nn/a\n-\nN/A\n7.25\n", nil, []float64{5.5, 7.25}, "", "", false},
		{"ambiguous in a ; file", "v;w\n1.234;a\n5.678;b\n", nil, []float64{1234, 5678}, "", "decimal=\".\"", false},
		{"decimal option decides", "v;w\n1.234;a\n5.678;b\n", []ReadOption{WithDecimal(".")}, []float64{1.234, 5.678}, "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, Options{})
			writeFile(t, s.DataRoot(), "n.csv", tc.body)
			res, err := s.LoadFile(t.Context(), "n", "n.csv", FormatAuto, nil, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			got := query1[[]any](t, s, `SELECT list(v ORDER BY rowid) FILTER (WHERE v IS NOT NULL) FROM n`)
			var nums []float64
			for _, v := range got {
				nums = append(nums, v.(float64))
			}
			if diff := cmp.Diff(tc.want, nums); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			c := res.Dataset.Conversions()
			if tc.native {
				if len(c) != 0 {
					t.Errorf("conversions %+v, want none", c)
				}
				return
			}
			if len(c) != 1 || c[0].Unit != tc.unit || c[0].Failed != 0 || !strings.Contains(c[0].Warning, tc.warn) ||
				tc.warn == "" && c[0].Warning != "" {
				t.Errorf("conversion %+v, want unit %q warning with %q", c, tc.unit, tc.warn)
			}
		})
	}
}

func TestDatesAsPeopleWriteThem(t *testing.T) {
	tests := []struct {
		name, body string
		opts       []ReadOption
		want       string // first date
		warn       string
	}{
		{"day first from the values", "d\n31/01/2024\n05/02/2024\n", nil, "2024-01-31", ""},
		{"month first from the values", "d\n01/31/2024\n02/05/2024\n", nil, "2024-01-31", ""},
		{"ambiguous says which and how", "d,x\n01/02/2024,1.5\n03/04/2024,2.5\n", nil, "2024-01-02", "date_order=dmy"},
		{"ambiguous with the option", "d,x\n01/02/2024,1.5\n03/04/2024,2.5\n", []ReadOption{WithDateOrder("dmy")}, "2024-02-01", ""},
		{"dotted", "d\n24.12.2023\n01.01.2024\n", nil, "2023-12-24", ""},
		{"yyyymmdd", "date,x\n20240305,a\n20240306,b\n", nil, "2024-03-05", ""},
		{"iso week", "d\n2024-W05\n2024-W06\n", nil, "2024-01-29", ""},
		{"month", "d\n2024-03\n2024-04\n", nil, "2024-03-01", ""},
		{"month name", "d\nMar 2024\nApr 2024\n", nil, "2024-03-01", ""},
		{"excel serial", "date\n45352\n45353\n", nil, "2024-03-01", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, Options{})
			writeFile(t, s.DataRoot(), "d.csv", tc.body)
			res, err := s.LoadFile(t.Context(), "d", "d.csv", FormatAuto, nil, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			col := res.Dataset.Columns[0].Name
			if got := query1[string](t, s, `SELECT strftime(min_by(`+quoteIdent(col)+`, rowid), '%Y-%m-%d') FROM d`); got != tc.want {
				t.Errorf("first date %s, want %s", got, tc.want)
			}
			if r, _ := res.Dataset.Column(RoleDate); r != col {
				t.Errorf("date role on %q", r)
			}
			w := strings.Join(res.Dataset.Warnings(), "\n")
			if !strings.Contains(w, tc.warn) || tc.warn == "" && w != "" {
				t.Errorf("warnings %q, want one with %q", w, tc.warn)
			}
		})
	}
}

// Issue 11, defect 9: a quoted header holding ";" and a TSV whose header has
// commas were split on the wrong delimiter.
func TestDelimiterFromDataLines(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"quoted header with ;", "\"a;b\",c,d\n1,2,3\n4,5,6\n", "a;b"},
		{"tsv with commas in the header", "name, first\tvalue, usd\n1\t2\n3\t4\n", "name, first"},
		{"semicolons", "x;y\n1,5;2\n3,5;4\n", "x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, Options{})
			writeFile(t, s.DataRoot(), "f.csv", tc.body)
			res, err := s.LoadFile(t.Context(), "f", "f.csv", FormatAuto, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c := res.Dataset.Columns; c[0].Name != tc.want || len(c) < 2 {
				t.Errorf("columns %+v, want first %q", c, tc.want)
			}
		})
	}
}

// Setting a role moves it: the column's old role is cleared, and one column
// never holds two roles.
func TestSetRoleMoves(t *testing.T) {
	s := newStore(t, Options{})
	writeFile(t, s.DataRoot(), "m.csv", "brand,revenue,margin\na,10.5,12.5\nb,20.5,13.5\n")
	res, err := s.LoadFile(t.Context(), "m", "m.csv", FormatAuto, nil)
	if err != nil || res.Dataset.Roles[RoleMargin] != "margin" {
		t.Fatalf("roles %v err %v", res.Dataset.Roles, err)
	}
	ds, err := s.SetRoles(t.Context(), "m", map[Role]string{RoleProfit: "margin"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[Role]string{RoleBrand: "brand", RoleRevenue: "revenue", RoleProfit: "margin"}
	if diff := cmp.Diff(want, ds.Roles); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	for _, rd := range ds.RoleDetails() {
		if rd.Role == RoleProfit && (rd.Reason != "set by the user" || rd.Confidence != 1) {
			t.Errorf("profit detail %+v", rd)
		}
		if rd.Role == RoleRevenue && rd.Reason == "set by the user" {
			t.Errorf("revenue lost its inferred reason: %+v", rd)
		}
	}
	_, err = s.SetRoles(t.Context(), "m", map[Role]string{RoleCost: "revenue", RoleProfit: "revenue"})
	wantErr(t, err, ErrInvalid, "revenue", "one role")
}

func TestXLSXSheets(t *testing.T) {
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"note"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"first sheet"})
	f.NewSheet("Sales")
	f.SetSheetRow("Sales", "A1", &[]any{"brand", "revenue"})
	f.SetSheetRow("Sales", "A2", &[]any{"a", 10.5})
	f.SetSheetRow("Sales", "A3", &[]any{"b", 20.25})
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, Options{})
	res, err := s.LoadReader(t.Context(), "x", "book.xlsx", FormatAuto, bytes.NewReader(b.Bytes()), nil, WithSheet("Sales"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Dataset.Format != FormatXLSX || res.Dataset.Roles[RoleRevenue] != "revenue" || res.Dataset.Rows != 2 {
		t.Errorf("dataset %+v", res.Dataset)
	}
	first, err := s.LoadReader(t.Context(), "x", "book.xlsx", FormatAuto, bytes.NewReader(b.Bytes()), nil)
	if err != nil || first.CacheHit || first.Dataset.Columns[0].Name != "note" {
		t.Errorf("first sheet: hit %v columns %+v err %v", first.CacheHit, first.Dataset.Columns, err)
	}
	_, err = s.LoadReader(t.Context(), "y", "book.xlsx", FormatAuto, bytes.NewReader(b.Bytes()), nil, WithSheet("Nope"))
	wantErr(t, err, ErrInvalid, "Nope", "Sales")
}
