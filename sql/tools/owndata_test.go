package tools

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/xuri/excelize/v2"

	"github.com/mrswarm/mrswarm/sql/store"
)

// The four files of issue 13, generated from the real data set: each is loaded
// by path and by upload, gets the roles a user expects with no roles set by
// hand, reports its conversions, and gives the same tool results as a plain
// twin of the same rows with the seed's own column names.

// seedRow is one row of the real data set.
type seedRow struct {
	date                                 time.Time
	region, country, brand, category     string
	units                                int64
	price, revenue, cost, profit, margin float64
}

// readSeed reads the real data set.
func readSeed(t testing.TB) []seedRow {
	t.Helper()
	f, err := os.Open(realCSV(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	out := make([]seedRow, 0, len(recs)-1)
	for _, r := range recs[1:] {
		d, _ := time.Parse("2006-01-02", r[col["sale_date"]])
		f := func(name string) float64 { v, _ := strconv.ParseFloat(r[col[name]], 64); return v }
		out = append(out, seedRow{date: d, region: r[col["region"]], country: r[col["country"]],
			brand: r[col["brand"]], category: r[col["category"]], units: int64(f("units_sold")),
			price: f("price_per_unit"), revenue: f("total_revenue"), cost: f("total_cost"), profit: f("profit"),
			margin: f("profit_margin")})
	}
	return out
}

// table is a generated file: a header and rows of cells.
type table struct {
	header []string
	rows   [][]string
}

// csvBytes renders t with delimiter d (cells with d, quotes or newlines quoted).
func (t table) csvBytes(d rune) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = d
	w.Write(t.header)
	w.WriteAll(t.rows)
	return b.Bytes()
}

func money(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

// usMoney writes 4968.25 as "$4,968.25".
func usMoney(x float64) string { return "$" + group(money(x), ",", ".") }

// euNumber writes 1234.5 as "1.234,50".
func euNumber(x float64) string { return group(money(x), ".", ",") }

// group inserts thousands separators into a "1234.50" string and sets the decimal mark.
func group(s, thousands, dec string) string {
	whole, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(whole, "-")
	whole = strings.TrimPrefix(whole, "-")
	var parts []string
	for len(whole) > 3 {
		parts, whole = append([]string{whole[len(whole)-3:]}, parts...), whole[:len(whole)-3]
	}
	out := strings.Join(append([]string{whole}, parts...), thousands) + dec + frac
	if neg {
		out = "-" + out
	}
	return out
}

// renamedSeed is the seed under other names: (plain twin, renamed file).
func renamedSeed(rows []seedRow) (table, table) {
	plain := table{header: []string{"sale_date", "region", "country", "brand", "category", "units_sold", "total_revenue", "total_cost", "profit"}}
	renamed := table{header: []string{"txn_day", "territory", "nation", "label", "segment", "volume", "gross_sales", "expense", "margin_usd"}}
	for _, r := range rows {
		plain.rows = append(plain.rows, []string{r.date.Format("2006-01-02"), r.region, r.country, r.brand, r.category,
			strconv.FormatInt(r.units, 10), money(r.revenue), money(r.cost), money(r.profit)})
	}
	renamed.rows = plain.rows
	return plain, renamed
}

// usExport is the seed as a US export: mm/dd/yyyy, "$4,968.25", "1,187".
func usExport(rows []seedRow) (table, table) {
	plain := table{header: []string{"sale_date", "region", "country", "brand", "category", "units_sold", "price_per_unit", "total_revenue", "total_cost"}}
	us := table{header: []string{"Order Date", "Region", "Country", "Brand", "Category", "Units", "Unit Price", "Revenue", "Cost"}}
	for _, r := range rows {
		plain.rows = append(plain.rows, []string{r.date.Format("2006-01-02"), r.region, r.country, r.brand, r.category,
			strconv.FormatInt(r.units, 10), money(r.price), money(r.revenue), money(r.cost)})
		us.rows = append(us.rows, []string{r.date.Format("01/02/2006"), r.region, r.country, r.brand, r.category,
			group(strconv.FormatInt(r.units*10, 10), ",", ""),
			usMoney(r.price), usMoney(r.revenue), usMoney(r.cost)})
	}
	// Units are written ×10 in the US file so that thousands separators occur ("1,940"):
	// the plain twin carries the same numbers.
	for i, r := range rows {
		plain.rows[i][5] = strconv.FormatInt(r.units*10, 10)
	}
	return plain, us
}

// euWeekly sums the seed by week, region, brand and category and writes it the
// way a German export does: ';', dd/mm/yyyy, decimal commas and German headers.
func euWeekly(rows []seedRow) (table, table) {
	type key struct {
		week                    time.Time
		region, brand, category string
	}
	type sums struct {
		units         int64
		revenue, cost float64
	}
	agg := map[key]*sums{}
	for _, r := range rows {
		wd := (int(r.date.Weekday()) + 6) % 7
		k := key{r.date.AddDate(0, 0, -wd), r.region, r.brand, r.category}
		if agg[k] == nil {
			agg[k] = &sums{}
		}
		agg[k].units += r.units
		agg[k].revenue += r.revenue
		agg[k].cost += r.cost
	}
	keys := make([]key, 0, len(agg))
	for k := range agg {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return fmt.Sprint(a.week.Unix(), a.region, a.brand, a.category) < fmt.Sprint(b.week.Unix(), b.region, b.brand, b.category)
	})
	plain := table{header: []string{"sale_date", "region", "brand", "category", "units_sold", "total_revenue", "total_cost"}}
	eu := table{header: []string{"Datum", "Region", "Marke", "Kategorie", "Menge", "Umsatz", "Kosten"}}
	for _, k := range keys {
		s := agg[k]
		rev, cost := math.Round(s.revenue*100)/100, math.Round(s.cost*100)/100
		plain.rows = append(plain.rows, []string{k.week.Format("2006-01-02"), k.region, k.brand, k.category,
			strconv.FormatInt(s.units, 10), money(rev), money(cost)})
		eu.rows = append(eu.rows, []string{k.week.Format("02/01/2006"), k.region, k.brand, k.category,
			strconv.FormatInt(s.units, 10), euNumber(rev), euNumber(cost)})
	}
	return plain, eu
}

// loadBoth loads body as name_path (by path) and name_upload (by upload).
func loadBoth(t *testing.T, st *store.Store, name, file string, body []byte) [2]store.LoadResult {
	t.Helper()
	if err := os.WriteFile(filepath.Join(st.DataRoot(), file), body, 0o600); err != nil {
		t.Fatal(err)
	}
	byPath, err := st.LoadFile(t.Context(), name+"_path", file, store.FormatAuto, nil)
	if err != nil {
		t.Fatalf("load %s by path: %v", file, err)
	}
	byUpload, err := st.LoadReader(t.Context(), name+"_upload", file, store.FormatAuto, bytes.NewReader(body), nil)
	if err != nil {
		t.Fatalf("upload %s: %v", file, err)
	}
	return [2]store.LoadResult{byPath, byUpload}
}

// loadPlain loads a plain twin by path.
func loadPlain(t *testing.T, st *store.Store, name string, tb table) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(st.DataRoot(), name+".csv"), tb.csvBytes(','), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := st.LoadFile(t.Context(), name, name+".csv", store.FormatAuto, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(res.Dataset.Conversions()); n != 0 {
		t.Fatalf("plain twin %s needed %d conversions: %+v", name, n, res.Dataset.Conversions())
	}
}

// sameTools calls every tool available on plain with default arguments on both
// datasets and compares the results; the tools available must be the same.
func sameTools(t *testing.T, st *store.Store, plain, got string) {
	t.Helper()
	want, err := List(t.Context(), st, plain)
	if err != nil {
		t.Fatal(err)
	}
	have, err := List(t.Context(), st, got)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		if w.Available != have[i].Available {
			t.Errorf("%s: available %v on %s, %v on %s (%s)", w.Name, w.Available, plain, have[i].Available, got, have[i].Reason)
			continue
		}
		if !w.Available {
			continue
		}
		a, b := call(t, st, plain, w.Name, "{}"), call(t, st, got, w.Name, "{}")
		if w.Name == "dataset_profile" {
			continue // names columns by name
		}
		if diff := cmp.Diff(a, b, cmpopts.EquateApprox(1e-9, 1e-6)); diff != "" {
			t.Errorf("%s differs (-%s +%s):\n%s", w.Name, plain, got, diff)
		}
	}
}

// checkRoles checks both loads got the roles and conversions expected.
func checkRoles(t *testing.T, res [2]store.LoadResult, want map[store.Role]string, conv map[string]string) {
	t.Helper()
	for _, r := range res {
		d := r.Dataset
		if diff := cmp.Diff(want, d.Roles); diff != "" {
			t.Errorf("%s roles (-want +got):\n%s\ndetails: %+v", d.Name, diff, d.RoleDetails())
		}
		got := map[string]string{}
		for _, c := range d.Conversions() {
			got[c.Column] = c.To
			if c.Failed != 0 || c.Detail == "" {
				t.Errorf("%s: conversion of %s: %+v", d.Name, c.Column, c)
			}
		}
		if diff := cmp.Diff(conv, got); diff != "" {
			t.Errorf("%s conversions (-want +got):\n%s", d.Name, diff)
		}
		for _, rd := range d.RoleDetails() {
			if rd.Confidence < 0.5 || rd.Confidence > 1 || rd.Reason == "" || rd.Reason == "set by the user" {
				t.Errorf("%s: role %s on %s: confidence %v reason %q", d.Name, rd.Role, rd.Column, rd.Confidence, rd.Reason)
			}
		}
	}
}

func TestOwnDataRenamedSeed(t *testing.T) {
	rows := readSeed(t)
	plain, renamed := renamedSeed(rows)
	st := openStore(t, t.TempDir())
	loadPlain(t, st, "seed", plain)
	want := map[store.Role]string{store.RoleDate: "txn_day", store.RoleRegion: "territory", store.RoleCountry: "nation",
		store.RoleBrand: "label", store.RoleCategory: "segment", store.RoleUnits: "volume",
		store.RoleRevenue: "gross_sales", store.RoleCost: "expense", store.RoleProfit: "margin_usd"}
	for _, f := range []struct {
		file string
		body []byte
	}{{"renamed.csv", renamed.csvBytes(',')}, {"renamed.tsv", renamed.csvBytes('\t')}} {
		t.Run(f.file, func(t *testing.T) {
			res := loadBoth(t, st, strings.TrimSuffix(strings.ReplaceAll(f.file, ".", "_"), "_"), f.file, f.body)
			checkRoles(t, res, want, map[string]string{})
			for _, r := range res {
				sameTools(t, st, "seed", r.Dataset.Name)
			}
		})
	}
}

func TestOwnDataUSExport(t *testing.T) {
	plain, us := usExport(readSeed(t))
	st := openStore(t, t.TempDir())
	loadPlain(t, st, "seed", plain)
	want := map[store.Role]string{store.RoleDate: "Order Date", store.RoleRegion: "Region", store.RoleCountry: "Country",
		store.RoleBrand: "Brand", store.RoleCategory: "Category", store.RoleUnits: "Units", store.RolePrice: "Unit Price",
		store.RoleRevenue: "Revenue", store.RoleCost: "Cost"}
	conv := map[string]string{"Order Date": "DATE", "Units": "DOUBLE", "Unit Price": "DOUBLE", "Revenue": "DOUBLE", "Cost": "DOUBLE"}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(us.csvBytes(','))
	zw.Close()
	for _, f := range []struct {
		file string
		body []byte
	}{{"us.csv", us.csvBytes(',')}, {"us.csv.gz", gz.Bytes()}} {
		t.Run(f.file, func(t *testing.T) {
			res := loadBoth(t, st, strings.ReplaceAll(f.file, ".", "_"), f.file, f.body)
			checkRoles(t, res, want, conv)
			for _, r := range res {
				for _, c := range r.Dataset.Conversions() {
					if c.Column == "Revenue" && c.Unit != "$" {
						t.Errorf("Revenue unit %q, want $", c.Unit)
					}
				}
				sameTools(t, st, "seed", r.Dataset.Name)
			}
		})
	}
}

func TestOwnDataEuropeanWeekly(t *testing.T) {
	plain, eu := euWeekly(readSeed(t))
	st := openStore(t, t.TempDir())
	loadPlain(t, st, "weekly", plain)
	res := loadBoth(t, st, "eu", "umsatz.csv", eu.csvBytes(';'))
	checkRoles(t, res, map[store.Role]string{store.RoleDate: "Datum", store.RoleRegion: "Region", store.RoleBrand: "Marke",
		store.RoleCategory: "Kategorie", store.RoleUnits: "Menge", store.RoleRevenue: "Umsatz", store.RoleCost: "Kosten"},
		map[string]string{"Datum": "DATE", "Umsatz": "DOUBLE", "Kosten": "DOUBLE"})
	for _, r := range res {
		sameTools(t, st, "weekly", r.Dataset.Name)
	}
	// The weekly sums add up to the seed's own totals per brand.
	seed := loadReal(t)
	a := call(t, seed, "sales", "brand_performance", `{"top_n": 200}`)
	b := call(t, st, "eu_path", "brand_performance", `{"top_n": 200}`)
	for i := range a {
		if str(a[i]["brand"]) != str(b[i]["brand"]) || math.Abs(num(a[i]["revenue"])-num(b[i]["revenue"])) > 0.01 ||
			num(a[i]["units"]) != num(b[i]["units"]) {
			t.Errorf("brand %d: seed %v %v %v, weekly %v %v %v", i, a[i]["brand"], a[i]["revenue"], a[i]["units"],
				b[i]["brand"], b[i]["revenue"], b[i]["units"])
		}
	}
}

// adChannel is a channel of the generated ad-spend table with known rates.
type adChannel struct {
	name          string
	ctr, cpc, cvr float64 // click-through rate, cost per click, conversions per click
	roas          float64
}

var adChannels = []adChannel{{"search", 0.05, 1.20, 0.08, 4}, {"social", 0.012, 0.60, 0.03, 2.5},
	{"display", 0.004, 0.40, 0.02, 1.5}, {"video", 0.008, 0.90, 0.025, 2}}

// adSpend generates 120 days × 4 channels × 2 campaigns × 2 regions. Clicks,
// spend and revenue follow the channel's CTR, CPC and ROAS exactly (spend and
// revenue in whole cents), conversions are rounded.
func adSpend() table {
	tb := table{header: []string{"date", "channel", "campaign", "region", "impressions", "clicks", "spend", "conversions", "revenue"}}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for d := 0; d < 120; d++ {
		for ci, ch := range adChannels {
			for k := 0; k < 2; k++ {
				for ri, region := range []string{"North", "South"} {
					impr := int64(20000 + (d*7919+ci*104729+k*1299709+ri*15485863)%30000)
					impr -= impr % 1000 // whole thousands: clicks = impr × CTR is whole
					clicks := int64(math.Round(float64(impr) * ch.ctr))
					spend := math.Round(float64(clicks)*ch.cpc*100) / 100
					tb.rows = append(tb.rows, []string{start.AddDate(0, 0, d).Format("2006-01-02"), ch.name,
						fmt.Sprintf("%s_%c", ch.name, 'a'+k), region, strconv.FormatInt(impr, 10), strconv.FormatInt(clicks, 10),
						money(spend), strconv.FormatInt(int64(math.Round(float64(clicks)*ch.cvr)), 10), money(spend * ch.roas)})
				}
			}
		}
	}
	return tb
}

// xlsxBytes writes tb to the first sheet of a workbook: numbers as numbers and
// the date column as Excel dates.
func xlsxBytes(t *testing.T, tb table, sheet string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		t.Fatal(err)
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	head := make([]any, len(tb.header))
	for i, h := range tb.header {
		head[i] = h
	}
	sw.SetRow("A1", head)
	for i, r := range tb.rows {
		cells := make([]any, len(r))
		for j, v := range r {
			if d, err := time.Parse("2006-01-02", v); err == nil {
				cells[j] = excelize.Cell{StyleID: dateStyle, Value: d}
			} else if x, err := strconv.ParseFloat(v, 64); err == nil {
				cells[j] = x
			} else {
				cells[j] = v
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, cells); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// channelTotals are the sums per channel, computed here from the generated rows.
type channelTotals struct{ impr, clicks, spend, conv, revenue float64 }

func totalsByChannel(tb table) map[string]*channelTotals {
	out := map[string]*channelTotals{}
	for _, r := range tb.rows {
		c := out[r[1]]
		if c == nil {
			c = &channelTotals{}
			out[r[1]] = c
		}
		f := func(i int) float64 { x, _ := strconv.ParseFloat(r[i], 64); return x }
		c.impr, c.clicks, c.spend, c.conv, c.revenue = c.impr+f(4), c.clicks+f(5), c.spend+f(6), c.conv+f(7), c.revenue+f(8)
	}
	return out
}

func TestOwnDataAdSpend(t *testing.T) {
	tb := adSpend()
	st := openStore(t, t.TempDir())
	want := map[store.Role]string{store.RoleDate: "date", store.RoleChannel: "channel", store.RoleCampaign: "campaign",
		store.RoleRegion: "region", store.RoleImpressions: "impressions", store.RoleClicks: "clicks",
		store.RoleSpend: "spend", store.RoleConversions: "conversions", store.RoleRevenue: "revenue"}
	tot := totalsByChannel(tb)
	var allSpend, allConv float64
	for _, c := range tot {
		allSpend, allConv = allSpend+c.spend, allConv+c.conv
	}
	for _, f := range []struct {
		file string
		body []byte
	}{{"ads.csv", tb.csvBytes(',')}, {"ads.xlsx", xlsxBytes(t, tb, "Daily")}} {
		t.Run(f.file, func(t *testing.T) {
			res := loadBoth(t, st, strings.ReplaceAll(f.file, ".", "_"), f.file, f.body)
			checkRoles(t, res, want, map[string]string{})
			for _, r := range res {
				name := r.Dataset.Name
				rows := call(t, st, name, "channel_performance", `{"by": "channel"}`)
				if len(rows) != len(adChannels) {
					t.Fatalf("%s: %d channels, want %d", name, len(rows), len(adChannels))
				}
				for _, row := range rows {
					checkChannel(t, row, tot[str(row["name"])], allSpend, allConv)
				}
				checkFunnel(t, call(t, st, name, "funnel", `{}`), tot)
			}
		})
	}
}

// checkChannel compares one channel_performance row with the sums and the channel's known rates.
func checkChannel(t *testing.T, row map[string]any, c *channelTotals, allSpend, allConv float64) {
	t.Helper()
	var ch adChannel
	for _, a := range adChannels {
		if a.name == str(row["name"]) {
			ch = a
		}
	}
	want := map[string]float64{"spend": c.spend, "impressions": c.impr, "clicks": c.clicks, "conversions": c.conv,
		"revenue": c.revenue, "ctr_pct": 100 * ch.ctr, "cpc": ch.cpc, "cpm": 1000 * c.spend / c.impr,
		"cpa": c.spend / c.conv, "conversion_rate_pct": 100 * c.conv / c.clicks, "roas": ch.roas,
		"spend_share_pct": 100 * c.spend / allSpend, "conversion_share_pct": 100 * c.conv / allConv}
	for k, w := range want {
		if got := num(row[k]); math.Abs(got-w) > 1e-6*math.Max(1, math.Abs(w)) {
			t.Errorf("%s %s = %v, want %v", ch.name, k, got, w)
		}
	}
}

// checkFunnel compares the funnel's stage counts and rates with the sums.
func checkFunnel(t *testing.T, rows []map[string]any, tot map[string]*channelTotals) {
	t.Helper()
	if len(rows) != 3*len(tot) {
		t.Fatalf("funnel has %d rows, want %d", len(rows), 3*len(tot))
	}
	for _, r := range rows {
		c := tot[str(r["name"])]
		stage := str(r["stage"])
		count := map[string]float64{"impressions": c.impr, "clicks": c.clicks, "conversions": c.conv}[stage]
		prev := map[string]float64{"impressions": math.NaN(), "clicks": c.impr, "conversions": c.clicks}[stage]
		if num(r["count"]) != count {
			t.Errorf("%s %s count %v, want %v", r["name"], stage, r["count"], count)
		}
		if got := num(r["rate_from_previous_pct"]); stage != "impressions" && math.Abs(got-100*count/prev) > 1e-9 {
			t.Errorf("%s %s rate %v, want %v", r["name"], stage, got, 100*count/prev)
		}
		if got := num(r["rate_from_top_pct"]); math.Abs(got-100*count/c.impr) > 1e-9 {
			t.Errorf("%s %s rate from top %v, want %v", r["name"], stage, got, 100*count/c.impr)
		}
	}
}

// needsChannelData reports whether a tool needs ad-spend roles that sales data lacks.
func needsChannelData(s Spec) bool {
	return slices.ContainsFunc(s.RequiredRoles, func(r store.Role) bool {
		return r == store.RoleSpend || r == store.RoleImpressions
	})
}

// TestChannelToolsHonourFilters fails if a channel tool gives the same rows with
// and without a filter, and checks buckets split the totals.
func TestChannelToolsHonourFilters(t *testing.T) {
	st := loadCSV(t, "ads", string(adSpend().csvBytes(',')))
	filters := []string{`"marketing_channels":["search"]`, `"campaigns":["video_a"]`, `"regions":["North"]`,
		`"start_date":"2024-02-10"`, `"end_date":"2024-03-20"`}
	for _, tool := range []string{"channel_performance", "funnel"} {
		base := fmt.Sprint(call(t, st, "ads", tool, `{}`))
		for _, f := range filters {
			if got := fmt.Sprint(call(t, st, "ads", tool, "{"+f+"}")); got == base {
				t.Errorf("%s gives the same rows with %s as without", tool, f)
			}
		}
	}
	monthly := call(t, st, "ads", "channel_performance", `{"bucket": "month", "by": "campaign", "sort_by": "roas"}`)
	whole := call(t, st, "ads", "channel_performance", `{"by": "campaign"}`)
	spend := map[string]float64{}
	for _, r := range monthly {
		spend[str(r["name"])] += num(r["spend"])
		if r["period_start"] == nil {
			t.Fatalf("monthly row without period_start: %v", r)
		}
	}
	if len(monthly) != 4*len(whole) { // 120 days from January 1st: 4 months
		t.Errorf("%d monthly rows for %d campaigns", len(monthly), len(whole))
	}
	for _, r := range whole {
		if w := num(r["spend"]); math.Abs(spend[str(r["name"])]-w) > 1e-6 {
			t.Errorf("%s: monthly spend adds to %v, whole range %v", r["name"], spend[str(r["name"])], w)
		}
	}
}
