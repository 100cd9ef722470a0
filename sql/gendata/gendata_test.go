package gendata

import (
	"bytes"
	"encoding/csv"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGenerateDeterministic(t *testing.T) {
	tests := []struct {
		name     string
		a, b     int64
		wantSame bool
		rows     int
	}{
		{"same seed", 7, 7, true, 2000},
		{"other seed", 7, 8, false, 2000},
		{"zero rows", 1, 2, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var x, y bytes.Buffer
			if err := Generate(&x, tc.rows, tc.a); err != nil {
				t.Fatal(err)
			}
			if err := Generate(&y, tc.rows, tc.b); err != nil {
				t.Fatal(err)
			}
			if got := bytes.Equal(x.Bytes(), y.Bytes()); got != tc.wantSame {
				t.Errorf("same bytes = %v, want %v", got, tc.wantSame)
			}
		})
	}
}

func TestGenerateNegativeRows(t *testing.T) {
	if err := Generate(io.Discard, -1, 1); err == nil {
		t.Fatal("Generate(-1) succeeded")
	}
}

// cents parses a 2-decimal money field into cents.
func cents(t *testing.T, s string) int64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return int64(math.Round(f * 100))
}

func TestGenerateInvariants(t *testing.T) {
	var buf bytes.Buffer
	const rows = 20000
	if err := Generate(&buf, rows, 42); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], Header) || len(recs) != rows+1 {
		t.Fatalf("header %v, %d records", recs[0], len(recs))
	}
	regionOf := map[string]map[string]bool{}
	for _, r := range Regions {
		regionOf[r.Name] = map[string]bool{}
		for _, c := range r.Countries {
			regionOf[r.Name][c] = true
		}
	}
	category := map[string]string{}
	for _, b := range Brands {
		category[b.Name] = b.Category
	}
	seenBrands, seenRegions := map[string]bool{}, map[string]bool{}
	for i, r := range recs[1:] {
		d, err := time.Parse("2006-01-02", r[0])
		if err != nil || d.Before(FirstDay) || d.After(LastDay) {
			t.Fatalf("row %d: bad date %q", i, r[0])
		}
		q := "Q" + strconv.Itoa((int(d.Month())+2)/3)
		if r[1] != strconv.Itoa(d.Year()) || r[2] != strconv.Itoa(int(d.Month())) || r[3] != q {
			t.Fatalf("row %d: year/month/quarter %v do not match %s", i, r[1:4], r[0])
		}
		if !regionOf[r[4]][r[5]] {
			t.Fatalf("row %d: country %q not in region %q", i, r[5], r[4])
		}
		if category[r[7]] != r[8] {
			t.Fatalf("row %d: brand %q has category %q", i, r[7], r[8])
		}
		if len(r[6]) != 6 || r[6][:2] != "ST" {
			t.Fatalf("row %d: store %q", i, r[6])
		}
		units, _ := strconv.ParseInt(r[9], 10, 64)
		price, rev, cost, tcost, profit := cents(t, r[10]), cents(t, r[11]), cents(t, r[12]), cents(t, r[13]), cents(t, r[14])
		if units <= 0 || rev != units*price || tcost != units*cost || profit != rev-tcost {
			t.Fatalf("row %d: money invariants broken: %v", i, r)
		}
		margin, _ := strconv.ParseFloat(r[15], 64)
		if want := math.Round(float64(profit)/float64(rev)*10000) / 100; math.Abs(margin-want) > 1e-9 {
			t.Fatalf("row %d: margin %v, want %v", i, margin, want)
		}
		seenBrands[r[7]], seenRegions[r[4]] = true, true
	}
	if len(seenBrands) != len(Brands) || len(seenRegions) != len(Regions) {
		t.Errorf("saw %d brands, %d regions", len(seenBrands), len(seenRegions))
	}
}

func TestDomainsMatchOriginal(t *testing.T) {
	countries := map[string]bool{}
	for _, r := range Regions {
		for _, c := range r.Countries {
			countries[c] = true
		}
	}
	cats := map[string]bool{}
	for _, b := range Brands {
		cats[b.Category] = true
	}
	if len(Regions) != 8 || len(countries) != 26 || len(Brands) != 17 || len(cats) != 9 {
		t.Errorf("regions %d countries %d brands %d categories %d, want 8 26 17 9",
			len(Regions), len(countries), len(Brands), len(cats))
	}
}

func BenchmarkGenerate(b *testing.B) {
	const rows = 100000
	for b.Loop() {
		if err := Generate(io.Discard, rows, 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

// originalCSV is <module root>/data/beverage_sales.csv.
const originalCSV = "../../data/beverage_sales.csv"

func TestDomainsOfOriginalFile(t *testing.T) {
	f, err := os.Open(originalCSV)
	if err != nil {
		t.Fatalf("open the original data: %v", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := domains(recs[1:])
	var buf bytes.Buffer
	if err := Generate(&buf, 20000, 3); err != nil {
		t.Fatal(err)
	}
	gen, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gen[0], recs[0]) {
		t.Errorf("header %v, original %v", gen[0], recs[0])
	}
	got := domains(gen[1:])
	if diff := cmp.Diff(want.pairs, got.pairs); diff != "" {
		t.Errorf("region/country and brand/category pairs differ from the original (-want +got):\n%s", diff)
	}
	for brand, r := range got.price {
		if o := want.price[brand]; r[0] < o[0] || r[1] > o[1] {
			t.Errorf("%s prices %v outside the original's %v", brand, r, o)
		}
	}
}

type domain struct {
	pairs map[string]bool       // "region/country", "brand/category"
	price map[string][2]float64 // brand -> min, max price
}

func domains(recs [][]string) domain {
	d := domain{pairs: map[string]bool{}, price: map[string][2]float64{}}
	for _, r := range recs {
		d.pairs["geo "+r[4]+"/"+r[5]] = true
		d.pairs["brand "+r[7]+"/"+r[8]] = true
		p, _ := strconv.ParseFloat(r[10], 64)
		m, ok := d.price[r[7]]
		if !ok {
			m = [2]float64{p, p}
		}
		d.price[r[7]] = [2]float64{min(m[0], p), max(m[1], p)}
	}
	return d
}
