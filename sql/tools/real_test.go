package tools

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/mrswarm/mrswarm/sql/store"
)

// TestRealInvariants checks properties that must hold on the original 15,000-row data set.
func TestRealInvariants(t *testing.T) {
	st := loadReal(t)
	ds, err := st.Dataset(t.Context(), "sales")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []store.Role{store.RoleDate, store.RoleBrand, store.RoleRegion, store.RoleCategory,
		store.RoleRevenue, store.RoleCost, store.RoleProfit, store.RoleUnits} {
		if _, ok := ds.Column(r); !ok {
			t.Fatalf("role %s not inferred on the real data set: %v", r, ds.Roles)
		}
	}
	kpi := call(t, st, "sales", "kpi_summary", "")[0]
	totalRev, totalProfit := num(kpi["total_revenue"]), num(kpi["total_profit"])

	t.Run("shares sum to 100", func(t *testing.T) {
		for _, dim := range []string{"brand", "region", "category", "country"} {
			rows := call(t, st, "sales", "market_share", `{"dimension":"`+dim+`","top_n":200}`)
			sum := 0.0
			for _, r := range rows {
				sum += num(r["share_pct"])
			}
			checkNear(t, dim+" shares", sum, 100)
			checkNear(t, dim+" cumulative", rows[len(rows)-1]["cumulative_share_pct"], 100)
		}
	})
	t.Run("totals agree across tools", func(t *testing.T) {
		over := map[string]float64{}
		for _, r := range call(t, st, "sales", "market_overview", "") {
			if r["section"] == "totals" {
				over[str(r["name"])] = num(r["value"])
			}
		}
		overall := call(t, st, "sales", "profitability", `{"dimension":"overall"}`)[0]
		brandSum, regionSum := 0.0, 0.0
		for _, r := range call(t, st, "sales", "brand_performance", "") {
			brandSum += num(r["revenue"])
		}
		for _, r := range call(t, st, "sales", "regional_performance", "") {
			regionSum += num(r["revenue"])
		}
		checkNear(t, "overview revenue", over["total_revenue"], totalRev)
		checkNear(t, "overview profit", over["total_profit"], totalProfit)
		checkNear(t, "overview margin", over["margin_pct"], num(kpi["margin_pct"]))
		checkNear(t, "profitability revenue", overall["revenue"], totalRev)
		checkNear(t, "profitability profit", overall["profit"], totalProfit)
		checkNear(t, "profitability margin", overall["margin_pct"], num(kpi["margin_pct"]))
		checkNear(t, "brand revenue sum", brandSum, totalRev)
		checkNear(t, "region revenue sum", regionSum, totalRev)
		checkNear(t, "transactions", kpi["transactions"], 15000)
	})
	t.Run("filters are honoured", func(t *testing.T) {
		rows := call(t, st, "sales", "market_share", `{"top_n":200}`)
		first := str(rows[0]["name"])
		only := call(t, st, "sales", "kpi_summary", `{"brands":["`+first+`"]}`)[0]
		checkNear(t, "one brand's revenue", only["total_revenue"], num(rows[0]["value"]))
		var others []string
		for _, r := range rows[1:] {
			others = append(others, `"`+str(r["name"])+`"`)
		}
		rest := call(t, st, "sales", "kpi_summary", fmt.Sprintf(`{"brands":[%s]}`, strings.Join(others, ",")))[0]
		checkNear(t, "brand split", num(only["total_revenue"])+num(rest["total_revenue"]), totalRev)
		year := call(t, st, "sales", "kpi_summary", `{"start_date":"2023-01-01","end_date":"2023-12-31"}`)[0]
		ts := call(t, st, "sales", "time_series", `{"bucket":"quarter","start_date":"2023-01-01","end_date":"2023-12-31"}`)
		tsSum := 0.0
		for _, r := range ts {
			tsSum += num(r["value"])
		}
		checkNear(t, "2023 by quarters", tsSum, num(year["total_revenue"]))
		if len(ts) != 4 || num(year["total_revenue"]) >= totalRev {
			t.Errorf("2023: %d quarters, revenue %v of %v", len(ts), year["total_revenue"], totalRev)
		}
		narrow := call(t, st, "sales", "market_overview", `{"regions":["Europe"],"categories":["Juice"]}`)
		if num(narrow[0]["value"]) >= totalRev || num(narrow[0]["value"]) <= 0 {
			t.Errorf("Europe juice revenue %v not within (0, %v)", narrow[0]["value"], totalRev)
		}
	})
	t.Run("forecast intervals contain the point", func(t *testing.T) {
		for _, args := range []string{`{}`, `{"granularity":"quarter","periods":8}`, `{"measure":"units","periods":24,"confidence":99}`,
			`{"brands":["Coca-Cola"],"confidence":80}`} {
			rows := call(t, st, "sales", "sales_forecast", args)
			if len(rows) == 0 {
				t.Fatalf("%s: no forecast", args)
			}
			for _, r := range rows {
				if !(num(r["lower"]) <= num(r["forecast"]) && num(r["forecast"]) <= num(r["upper"])) {
					t.Errorf("%s %v: %v ≤ %v ≤ %v fails", args, r["period_start"], r["lower"], r["forecast"], r["upper"])
				}
				// Partial months 2022-06 and 2025-06 are not fitted.
				if str(r["fit_start"]) != "2022-07-01" || str(r["fit_end"]) != "2025-05-01" {
					t.Errorf("fit window %v … %v", r["fit_start"], r["fit_end"])
				}
			}
		}
	})
	t.Run("partial quarters", func(t *testing.T) {
		rows := call(t, st, "sales", "time_series", `{"bucket":"quarter"}`)
		if rows[0]["complete"] != false || rows[len(rows)-1]["complete"] != false || rows[1]["complete"] != true {
			t.Errorf("complete flags: first %v, second %v, last %v", rows[0]["complete"], rows[1]["complete"], rows[len(rows)-1]["complete"])
		}
		churn := call(t, st, "sales", "brand_churn", `{}`)
		if churn[0]["current_period"] != "2025-Q1" || churn[0]["previous_period"] != "2024-Q4" {
			t.Errorf("churn compares %v with %v, want 2025-Q1 with 2024-Q4", churn[0]["current_period"], churn[0]["previous_period"])
		}
		if kpi["last_period"] != "2025-Q1" {
			t.Errorf("kpi last period %v", kpi["last_period"])
		}
	})
	t.Run("seasonal indices average 100", func(t *testing.T) {
		for _, args := range []string{`{}`, `{"by":"region"}`} {
			sum, n := map[string]float64{}, map[string]int{}
			for _, r := range call(t, st, "sales", "seasonality", args) {
				sum[str(r["group_name"])] += num(r["season_index"])
				n[str(r["group_name"])]++
			}
			for g := range sum {
				checkNear(t, g+" mean index", sum[g]/float64(n[g]), 100)
				if n[g] != 12 {
					t.Errorf("%s has %d months", g, n[g])
				}
			}
		}
	})
	t.Run("budget sums to the total", func(t *testing.T) {
		a := 0.0
		for _, r := range call(t, st, "sales", "budget_plan", `{"total_budget":250000,"allocate_by":"region","top_n":8}`) {
			a += num(r["allocation"])
		}
		checkNear(t, "allocated", a, 250000)
	})
	t.Run("profile", func(t *testing.T) {
		rows := call(t, st, "sales", "dataset_profile", "")
		if len(rows) != 16 || num(rows[0]["rows"]) != 15000 || num(rows[0]["duplicate_rows"]) != 0 {
			t.Errorf("%d columns, %v rows, %v duplicates", len(rows), rows[0]["rows"], rows[0]["duplicate_rows"])
		}
		if math.IsNaN(num(byKey(rows, "column_name")["total_revenue"]["mean"])) {
			t.Error("no mean for total_revenue")
		}
	})
}
