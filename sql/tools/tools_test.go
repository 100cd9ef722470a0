package tools

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/sql/store"
)

func TestMarketOverview(t *testing.T) {
	st := loadFixture(t)
	tests := []struct {
		name, args string
		keep       func(sale) bool
		topN       int
	}{
		{"defaults", `{}`, nil, 5},
		{"top 2 in North and East", `{"regions":["North","East"],"top_n":2}`, inRegions("North", "East"), 2},
		{"date range", `{"start_date":"2024-03-01","end_date":"2024-04-30"}`,
			func(s sale) bool { return s.date >= "2024-03-01" && s.date <= "2024-04-30" }, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows := call(t, st, "fx", "market_overview", tc.args)
			rev := total(sums(fixture, all, revenue, tc.keep))
			prof := total(sums(fixture, all, profit, tc.keep))
			totals := map[string]float64{}
			for _, r := range rows {
				if r["section"] == "totals" {
					totals[str(r["name"])] = num(r["value"])
				}
			}
			want := map[string]float64{
				"total_revenue": rev, "transactions": total(sums(fixture, all, one, tc.keep)),
				"total_units": total(sums(fixture, all, units, tc.keep)), "total_profit": prof,
				"margin_pct": prof / rev * 100,
				"avg_price":  rev / total(sums(fixture, all, units, tc.keep)),
				"brands":     float64(len(sums(fixture, byBrand, one, tc.keep))),
				"categories": float64(len(sums(fixture, byCategory, one, tc.keep))),
				"regions":    float64(len(sums(fixture, byRegion, one, tc.keep))),
			}
			if diff := cmp.Diff(want, totals, cmp.Comparer(near)); diff != "" {
				t.Errorf("totals (-want +got):\n%s", diff)
			}
			brandRev := sums(fixture, byBrand, revenue, tc.keep)
			wantTop := ranked(brandRev)[:min(tc.topN, len(brandRev))]
			var gotTop []string
			for _, r := range rows {
				if r["section"] == "top_brands" {
					gotTop = append(gotTop, str(r["name"]))
					checkNear(t, "share of "+str(r["name"]), r["share_pct"], brandRev[str(r["name"])]/rev*100)
				}
			}
			if diff := cmp.Diff(wantTop, gotTop); diff != "" {
				t.Errorf("top brands (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBrandPerformance(t *testing.T) {
	st := loadFixture(t)
	rev, un, prof := sums(fixture, byBrand, revenue, nil), sums(fixture, byBrand, units, nil), sums(fixture, byBrand, profit, nil)
	margin := map[string]float64{}
	for b := range rev {
		margin[b] = prof[b] / rev[b] * 100
	}
	tests := []struct {
		name, args string
		order      []string
	}{
		{"by revenue", `{}`, ranked(rev)},
		{"by units", `{"sort_by":"units"}`, ranked(un)},
		{"by margin top 2", `{"sort_by":"margin","top_n":2}`, ranked(margin)[:2]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows := call(t, st, "fx", "brand_performance", tc.args)
			if diff := cmp.Diff(tc.order, column(rows, "brand")); diff != "" {
				t.Fatalf("order (-want +got):\n%s", diff)
			}
			for i, r := range rows {
				b := str(r["brand"])
				checkNear(t, b+" rank", r["rank"], float64(i+1))
				checkNear(t, b+" revenue", r["revenue"], rev[b])
				checkNear(t, b+" units", r["units"], un[b])
				checkNear(t, b+" profit", r["profit"], prof[b])
				checkNear(t, b+" margin", r["margin_pct"], margin[b])
				checkNear(t, b+" share", r["share_pct"], rev[b]/total(rev)*100)
			}
		})
	}
}

func TestProfitability(t *testing.T) {
	st := loadFixture(t)
	tests := []struct {
		name, args string
		key        func(sale) string
		keep       func(sale) bool
	}{
		{"by category", `{"dimension":"category"}`, byCategory, nil},
		{"by region in Juice", `{"dimension":"region","categories":["Juice"]}`, byRegion,
			func(s sale) bool { return s.category == "Juice" }},
		{"overall", `{"dimension":"overall"}`, func(sale) string { return "overall" }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows := call(t, st, "fx", "profitability", tc.args)
			rev, cst, prof := sums(fixture, tc.key, revenue, tc.keep), sums(fixture, tc.key, cost, tc.keep), sums(fixture, tc.key, profit, tc.keep)
			if diff := cmp.Diff(ranked(prof), column(rows, "name")); diff != "" {
				t.Fatalf("groups by profit (-want +got):\n%s", diff)
			}
			for _, r := range rows {
				k := str(r["name"])
				checkNear(t, k+" revenue", r["revenue"], rev[k])
				checkNear(t, k+" cost", r["cost"], cst[k])
				checkNear(t, k+" profit", r["profit"], prof[k])
				checkNear(t, k+" margin", r["margin_pct"], prof[k]/rev[k]*100)
				checkNear(t, k+" roi", r["roi_pct"], prof[k]/cst[k]*100)
				checkNear(t, k+" revenue share", r["revenue_share_pct"], rev[k]/total(rev)*100)
			}
		})
	}
}

func TestCrossSectional(t *testing.T) {
	st := loadFixture(t)
	// Mean units per region: North, South and East.
	cnt, un := sums(fixture, byRegion, one, nil), sums(fixture, byRegion, units, nil)
	mean := map[string]float64{}
	var vals []float64
	for k := range un {
		mean[k] = un[k] / cnt[k]
		vals = append(vals, mean[k])
	}
	order := ranked(mean)
	avg := (vals[0] + vals[1] + vals[2]) / 3
	tests := []struct {
		name, args string
		want       []string
		segments   []string
	}{
		{"all three", `{"dimension":"region","measure":"units","agg":"mean","top_n":5}`, order, []string{"top", "top", "top"}},
		{"top and bottom 1", `{"dimension":"region","measure":"units","agg":"mean","top_n":1}`,
			[]string{order[0], order[2]}, []string{"top", "bottom"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows := call(t, st, "fx", "cross_sectional", tc.args)
			if diff := cmp.Diff(tc.want, column(rows, "name")); diff != "" {
				t.Fatalf("groups (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.segments, column(rows, "segment")); diff != "" {
				t.Errorf("segments (-want +got):\n%s", diff)
			}
			for _, r := range rows {
				k := str(r["name"])
				checkNear(t, k+" value", r["value"], mean[k])
				checkNear(t, k+" gap to leader", r["gap_to_leader"], mean[k]-mean[order[0]])
				checkNear(t, k+" gap to mean", r["gap_to_mean"], mean[k]-avg)
				checkNear(t, k+" cv", r["cv_across_groups_pct"], stddev(vals)/avg*100)
				if r["share_pct"] != nil {
					t.Errorf("%s share_pct = %v for agg mean, want NULL", k, r["share_pct"])
				}
			}
		})
	}
	t.Run("count share", func(t *testing.T) {
		rows := call(t, st, "fx", "cross_sectional", `{"dimension":"brand","measure":"revenue","agg":"count","top_n":10}`)
		c := sums(fixture, byBrand, one, nil)
		for _, r := range rows {
			checkNear(t, str(r["name"])+" share", r["share_pct"], c[str(r["name"])]/total(c)*100)
		}
	})
}

func TestTimeSeries(t *testing.T) {
	st := loadFixture(t)
	rows := call(t, st, "fx", "time_series", `{"bucket":"month","measure":"revenue"}`)
	m := sums(fixture, byMonth, revenue, nil)
	months := []string{"2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"}
	if diff := cmp.Diff(months, func() (o []string) {
		for _, r := range rows {
			o = append(o, str(r["bucket_start"])[:7])
		}
		return o
	}()); diff != "" {
		t.Fatalf("buckets (-want +got):\n%s", diff)
	}
	var idx, vals, growth []float64
	for i, r := range rows {
		checkNear(t, months[i]+" value", r["value"], m[months[i]])
		complete := i > 0 && i < 5 // January and June are partial
		if r["complete"] != complete {
			t.Errorf("%s complete = %v, want %v", months[i], r["complete"], complete)
		}
		if i > 0 {
			g := (m[months[i]] - m[months[i-1]]) / m[months[i-1]] * 100
			checkNear(t, months[i]+" growth", r["growth_pct"], g)
			if complete && i > 1 {
				growth = append(growth, g)
			}
		}
		if complete {
			idx, vals = append(idx, float64(i+1)), append(vals, m[months[i]])
		}
	}
	checkNear(t, "trend slope", rows[0]["trend_slope"], slope(idx, vals))
	checkNear(t, "volatility", rows[0]["volatility_pct"], stddev(growth))

	t.Run("quarter count in South", func(t *testing.T) {
		rows := call(t, st, "fx", "time_series", `{"bucket":"quarter","agg":"count","regions":["South"]}`)
		c := sums(fixture, func(s sale) string {
			if s.date < "2024-04" {
				return "Q1"
			}
			return "Q2"
		}, one, inRegions("South"))
		if len(rows) != 2 {
			t.Fatalf("got %d quarters, want 2", len(rows))
		}
		checkNear(t, "Q1", rows[0]["value"], c["Q1"])
		checkNear(t, "Q2", rows[1]["value"], c["Q2"])
	})
}

func TestROI(t *testing.T) {
	st := loadFixture(t)
	rev, cst, prof := sums(fixture, byBrand, revenue, nil), sums(fixture, byBrand, cost, nil), sums(fixture, byBrand, profit, nil)
	roi := map[string]float64{}
	for k := range rev {
		roi[k] = prof[k] / cst[k] * 100
	}
	for _, tc := range []struct {
		name, args string
		investment float64
	}{{"no investment", `{}`, math.NaN()}, {"investment", `{"investment":1000}`, 1000}} {
		t.Run(tc.name, func(t *testing.T) {
			rows := call(t, st, "fx", "roi", tc.args)
			if diff := cmp.Diff(ranked(roi), column(rows, "name")); diff != "" {
				t.Fatalf("order (-want +got):\n%s", diff)
			}
			for _, r := range rows {
				k := str(r["name"])
				checkNear(t, k+" roi", r["roi_pct"], roi[k])
				checkNear(t, k+" projected profit", r["projected_profit"], tc.investment*prof[k]/cst[k])
				checkNear(t, k+" projected revenue", r["projected_revenue"], tc.investment*rev[k]/cst[k])
			}
		})
	}
}

func TestKPISummary(t *testing.T) {
	st := loadFixture(t)
	tests := []struct {
		name, args, last, prev string
		keep                   func(sale) bool
	}{
		{"monthly", `{"period":"month"}`, "2024-05", "2024-04", nil},
		{"monthly in North", `{"period":"month","regions":["North"]}`, "2024-05", "2024-04", inRegions("North")},
		{"to end of April", `{"period":"month","end_date":"2024-04-30"}`, "2024-04", "2024-03",
			func(s sale) bool { return s.date <= "2024-04-30" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows := call(t, st, "fx", "kpi_summary", tc.args)
			if len(rows) != 1 {
				t.Fatalf("got %d rows, want 1", len(rows))
			}
			r := rows[0]
			rev, u := total(sums(fixture, all, revenue, tc.keep)), total(sums(fixture, all, units, tc.keep))
			n, p := total(sums(fixture, all, one, tc.keep)), total(sums(fixture, all, profit, tc.keep))
			m := sums(fixture, byMonth, revenue, tc.keep)
			checkNear(t, "revenue", r["total_revenue"], rev)
			checkNear(t, "profit", r["total_profit"], p)
			checkNear(t, "margin", r["margin_pct"], p/rev*100)
			checkNear(t, "units", r["total_units"], u)
			checkNear(t, "avg price", r["avg_price"], rev/u)
			checkNear(t, "revenue per transaction", r["revenue_per_transaction"], rev/n)
			if r["last_period"] != tc.last || r["previous_period"] != tc.prev {
				t.Errorf("periods = %v vs %v, want %s vs %s", r["last_period"], r["previous_period"], tc.last, tc.prev)
			}
			checkNear(t, "growth", r["revenue_growth_pct"], (m[tc.last]-m[tc.prev])/m[tc.prev]*100)
		})
	}
	t.Run("quarterly growth needs two complete quarters", func(t *testing.T) {
		r := call(t, st, "fx", "kpi_summary", `{}`)[0]
		if r["revenue_growth_pct"] != nil {
			t.Errorf("growth = %v with no complete quarter pair, want NULL", r["revenue_growth_pct"])
		}
	})
}

func TestMarketShare(t *testing.T) {
	st := loadFixture(t)
	rows := call(t, st, "fx", "market_share", `{}`)
	rev := sums(fixture, byBrand, revenue, nil)
	order := ranked(rev)
	if diff := cmp.Diff(order, column(rows, "name")); diff != "" {
		t.Fatalf("order (-want +got):\n%s", diff)
	}
	hhi, cum := 0.0, 0.0
	share := map[string]float64{}
	for _, b := range order {
		share[b] = rev[b] / total(rev) * 100
		hhi += share[b] * share[b]
	}
	for i, r := range rows {
		b := order[i]
		cum += share[b]
		checkNear(t, b+" share", r["share_pct"], share[b])
		checkNear(t, b+" cumulative", r["cumulative_share_pct"], cum)
		checkNear(t, "hhi", r["hhi"], hhi)
		checkNear(t, "top3", r["top3_share_pct"], share[order[0]]+share[order[1]]+share[order[2]])
		checkNear(t, "top5", r["top5_share_pct"], 100)
		want := map[bool]string{true: "follower", false: "niche"}[share[b] >= 100.0/float64(len(order))]
		if i == 0 {
			want = "leader"
		} else if i < 3 {
			want = "challenger"
		}
		if r["position"] != want {
			t.Errorf("%s position = %v, want %s", b, r["position"], want)
		}
	}
	t.Run("units by region top 1", func(t *testing.T) {
		rows := call(t, st, "fx", "market_share", `{"dimension":"region","measure":"units","top_n":1}`)
		u := sums(fixture, byRegion, units, nil)
		if len(rows) != 1 || rows[0]["name"] != ranked(u)[0] {
			t.Fatalf("rows = %v, want only %s", rows, ranked(u)[0])
		}
		checkNear(t, "share", rows[0]["share_pct"], u[ranked(u)[0]]/total(u)*100)
	})
}

func TestBrandChurn(t *testing.T) {
	st := loadFixture(t)
	inMonth := func(m string) func(sale) bool { return func(s sale) bool { return s.month() == m } }
	apr, may := sums(fixture, byBrand, revenue, inMonth("2024-04")), sums(fixture, byBrand, revenue, inMonth("2024-05"))
	want := map[string]string{"Alpha": "growing", "Beta": "declining", "Gamma": "lost", "Delta": "new"}
	for _, args := range []string{`{"period":"month"}`, `{"period":"month","current":"2024-05","previous":"2024-04"}`} {
		t.Run(args, func(t *testing.T) {
			rows := byKey(call(t, st, "fx", "brand_churn", args), "brand")
			got := map[string]string{}
			for b, r := range rows {
				got[b] = str(r["status"])
				checkNear(t, b+" previous", r["previous_value"], apr[b])
				checkNear(t, b+" current", r["current_value"], may[b])
				if apr[b] != 0 {
					checkNear(t, b+" change %", r["change_pct"], (may[b]-apr[b])/apr[b]*100)
				}
				if r["current_period"] != "2024-05" || r["previous_period"] != "2024-04" {
					t.Errorf("%s periods %v vs %v", b, r["current_period"], r["previous_period"])
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("threshold makes Beta stable", func(t *testing.T) {
		rows := byKey(call(t, st, "fx", "brand_churn", `{"period":"month","threshold_pct":50}`), "brand")
		if rows["Beta"]["status"] != "stable" || rows["Alpha"]["status"] != "stable" {
			t.Errorf("Alpha %v, Beta %v, want stable", rows["Alpha"]["status"], rows["Beta"]["status"])
		}
	})
	t.Run("February vs March", func(t *testing.T) {
		rows := byKey(call(t, st, "fx", "brand_churn", `{"period":"month","current":"2024-03","previous":"2024-02"}`), "brand")
		feb, mar := sums(fixture, byBrand, revenue, inMonth("2024-02")), sums(fixture, byBrand, revenue, inMonth("2024-03"))
		for _, b := range []string{"Alpha", "Beta", "Gamma"} {
			checkNear(t, b+" change", rows[b]["change"], mar[b]-feb[b])
		}
	})
}

func TestRegionalPerformance(t *testing.T) {
	st := loadFixture(t)
	rows := call(t, st, "fx", "regional_performance", `{"period":"month"}`)
	rev := sums(fixture, byRegion, revenue, nil)
	if diff := cmp.Diff(ranked(rev), column(rows, "region")); diff != "" {
		t.Fatalf("order (-want +got):\n%s", diff)
	}
	for _, r := range rows {
		reg := str(r["region"])
		in := inRegions(reg)
		checkNear(t, reg+" share", r["share_pct"], rev[reg]/total(rev)*100)
		m := sums(fixture, byMonth, revenue, in)
		checkNear(t, reg+" growth", r["growth_pct"], (m["2024-05"]-m["2024-04"])/m["2024-04"]*100)
		b := sums(fixture, byBrand, revenue, in)
		if r["leading_brand"] != ranked(b)[0] {
			t.Errorf("%s leading brand = %v, want %s", reg, r["leading_brand"], ranked(b)[0])
		}
		checkNear(t, reg+" leading share", r["leading_brand_share_pct"], b[ranked(b)[0]]/rev[reg]*100)
	}
}

func TestSeasonality(t *testing.T) {
	st := loadFixture(t)
	complete := func(s sale) bool { return s.month() >= "2024-02" && s.month() <= "2024-05" }
	for _, tc := range []struct {
		name, args, group string
		keep              func(sale) bool
	}{
		{"overall", `{}`, "all", complete},
		{"by brand", `{"by":"brand"}`, "Alpha", func(s sale) bool { return complete(s) && s.brand == "Alpha" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := sums(fixture, byMonth, revenue, tc.keep)
			avg := total(m) / float64(len(m))
			var got []map[string]any
			for _, r := range call(t, st, "fx", "seasonality", tc.args) {
				if r["group_name"] == tc.group {
					got = append(got, r)
				}
			}
			if len(got) != len(m) {
				t.Fatalf("%d months, want %d (partial months left out)", len(got), len(m))
			}
			peak := ranked(m)[0]
			for _, r := range got {
				k := "2024-0" + string(rune('0'+int(num(r["month"]))))
				checkNear(t, k+" index", r["season_index"], m[k]/avg*100)
				if (r["is_peak"] == true) != (k == peak) {
					t.Errorf("%s is_peak = %v, peak is %s", k, r["is_peak"], peak)
				}
			}
		})
	}
}

func TestDatasetProfile(t *testing.T) {
	st := loadCSV(t, "p", csvOf("id,name,score", "1,a,10", "2,,20", "2,,20", "3,c,"))
	for _, limit := range []int64{exactLimit, 0} {
		t.Run(fmt.Sprintf("exact up to %d rows", limit), func(t *testing.T) {
			defer func(old int64) { exactLimit = old }(exactLimit)
			exactLimit = limit
			checkProfile(t, st)
		})
	}
}

// TestDatasetProfileFiltered checks that filters apply before profiling on both paths;
// the sampled path samples the table first and filters after (100% on this tiny table).
func TestDatasetProfileFiltered(t *testing.T) {
	st := loadCSV(t, "pf", csvOf("region,revenue", "North,10", "North,20", "North,20", "South,5", "South,"))
	for _, limit := range []int64{exactLimit, 0} {
		t.Run(fmt.Sprintf("exact up to %d rows", limit), func(t *testing.T) {
			defer func(old int64) { exactLimit = old }(exactLimit)
			exactLimit = limit
			rows := byKey(call(t, st, "pf", "dataset_profile", `{"regions":["North"]}`), "column_name")
			rev, reg := rows["revenue"], rows["region"]
			checkNear(t, "rows", rev["rows"], 3)
			checkNear(t, "revenue nulls", rev["nulls"], 0)
			checkNear(t, "revenue distinct", rev["distinct_values"], 2)
			checkNear(t, "revenue mean", rev["mean"], 50/3.0)
			checkNear(t, "region distinct", reg["distinct_values"], 1)
			checkNear(t, "duplicates", rev["duplicate_rows"], 1)
			checkNear(t, "sample rows", rev["sample_rows"], 3)
			if reg["min"] != "North" || reg["max"] != "North" {
				t.Errorf("region min/max = %v/%v, want North/North", reg["min"], reg["max"])
			}
		})
	}
}

func checkProfile(t *testing.T, st *store.Store) {
	rows := byKey(call(t, st, "p", "dataset_profile", `{}`), "column_name")
	want := map[string]struct{ nulls, distinct, mean float64 }{
		"id": {0, 3, 2}, "name": {2, 2, math.NaN()}, "score": {1, 2, (10 + 20 + 20) / 3.0},
	}
	for col, w := range want {
		r := rows[col]
		checkNear(t, col+" nulls", r["nulls"], w.nulls)
		checkNear(t, col+" distinct", r["distinct_values"], w.distinct)
		checkNear(t, col+" mean", r["mean"], w.mean)
		checkNear(t, col+" duplicates", r["duplicate_rows"], 1)
		checkNear(t, col+" rows", r["rows"], 4)
	}
	if rows["id"]["min"] != "1" || rows["id"]["max"] != "3" {
		t.Errorf("id min/max = %v/%v, want 1/3", rows["id"]["min"], rows["id"]["max"])
	}
}

// TestDatasetProfileBounds checks that the unfiltered profile above exactLimit,
// which reads numeric and date min/max and the absence of NULLs from the store's
// column statistics, reports what the exact path computes from the values, on a
// table of several row groups with NULLs, negative numbers and NaN.
func TestDatasetProfileBounds(t *testing.T) {
	lines := []string{"id,amount,day,name,share,empty"}
	for i := range 300_000 {
		amount, day, name, share := fmt.Sprintf("%d.25", (i*7919)%100_003-50_000), fmt.Sprintf("2024-%02d-%02d", 1+i%12, 1+i%28), fmt.Sprintf("n%d", i%97), "0.5"
		switch {
		case i == 250_001:
			amount, share = "", "nan"
		case i%50_000 == 7:
			day, name = "", ""
		}
		lines = append(lines, fmt.Sprintf("%d,%s,%s,%s,%s,", i-1000, amount, day, name, share))
	}
	st := loadCSV(t, "big", csvOf(lines...))
	profile := func(limit int64) map[string]map[string]any {
		defer func(old int64) { exactLimit = old }(exactLimit)
		exactLimit = limit
		return byKey(call(t, st, "big", "dataset_profile", `{}`), "column_name")
	}
	exact, sampled := profile(1<<40), profile(0)
	for col, want := range exact {
		got := sampled[col]
		for _, k := range []string{"rows", "non_null", "nulls", "mean"} {
			if fmt.Sprint(got[k]) != fmt.Sprint(want[k]) {
				t.Errorf("%s %s = %v, exact %v", col, k, got[k], want[k])
			}
		}
		if got["type"] == "VARCHAR" {
			continue // text min/max come from the sample above exactLimit
		}
		if got["min"] != want["min"] || got["max"] != want["max"] {
			t.Errorf("%s: min/max %v/%v, exact %v/%v", col, got["min"], got["max"], want["min"], want["max"])
		}
	}
	if len(exact) != 6 || fmt.Sprintf("%v %v %v", exact["amount"]["nulls"], exact["day"]["nulls"], exact["share"]["max"]) != "1 6 nan" {
		t.Errorf("exact profile: %v", exact)
	}
}
