package tools

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mrswarm/mrswarm/sql/store"
)

// TestKPISummaryPartialPeriods: with start_date 2025-02-01 no quarter of the data is
// complete (2025-Q1 holds Feb–Mar only); the tool used to call 2025-Q1 the last complete
// period. Now it names none, flags both cut quarters and says why growth is left out.
func TestKPISummaryPartialPeriods(t *testing.T) {
	st := loadReal(t)
	r := call(t, st, "sales", "kpi_summary", `{"start_date":"2025-02-01"}`)[0]
	if r["last_period"] != nil || r["last_period_revenue"] != nil || r["revenue_growth_pct"] != nil {
		t.Errorf("last period %v (%v), growth %v; want none: no complete quarter", r["last_period"], r["last_period_revenue"], r["revenue_growth_pct"])
	}
	if p := str(r["partial_periods"]); p != "2025-Q1 from 2025-02-01, 2025-Q2 to 2025-06-19" {
		t.Errorf("partial_periods = %q", p)
	}
	if n := str(r["growth_note"]); !strings.Contains(n, "no complete quarter between 2025-02-01 and 2025-06-19") {
		t.Errorf("growth_note = %q", n)
	}
	full := call(t, st, "sales", "kpi_summary", `{}`)[0]
	if full["last_period"] != "2025-Q1" || full["previous_period"] != "2024-Q4" || full["growth_note"] != nil ||
		str(full["partial_periods"]) != "2022-Q2 from 2022-06-20, 2025-Q2 to 2025-06-19" {
		t.Errorf("whole data: last %v previous %v note %v partial %v", full["last_period"], full["previous_period"], full["growth_note"], full["partial_periods"])
	}
}

// brandSums sums revenue per brand between two days by SQL, independently of the tool.
func brandSums(t *testing.T, st *store.Store, from, to string) map[string]float64 {
	t.Helper()
	rows, err := st.Query(t.Context(), `SELECT brand, sum(total_revenue) FROM sales
		WHERE sale_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) GROUP BY 1`, from, to)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var b string
		var v float64
		if err := rows.Scan(&b, &v); err != nil {
			t.Fatal(err)
		}
		out[b] = v
	}
	return out
}

// TestBrandChurnPartialPeriod: 2025 holds January to 19 June only; compared with all of
// 2024 every brand was "declining" at about −50%. Like for like it compares the same days
// of 2024; a period without a day in common with its predecessor is refused.
func TestBrandChurnPartialPeriod(t *testing.T) {
	st := loadReal(t)
	rows := call(t, st, "sales", "brand_churn", `{"period":"year","current":"2025"}`)
	prev, cur := brandSums(t, st, "2024-01-01", "2024-06-19"), brandSums(t, st, "2025-01-01", "2025-06-19")
	declining := 0
	for _, r := range rows {
		b := str(r["brand"])
		if str(r["previous_from"]) != "2024-01-01" || str(r["previous_to"]) != "2024-06-19" ||
			str(r["current_from"]) != "2025-01-01" || str(r["current_to"]) != "2025-06-19" ||
			!strings.HasPrefix(str(r["comparison"]), "like for like") {
			t.Fatalf("%s: windows %v–%v vs %v–%v (%v)", b, r["previous_from"], r["previous_to"], r["current_from"], r["current_to"], r["comparison"])
		}
		checkNear(t, b+" previous", r["previous_value"], prev[b])
		checkNear(t, b+" current", r["current_value"], cur[b])
		if str(r["status"]) == "declining" {
			declining++
		}
	}
	if len(rows) != 17 || declining == len(rows) {
		t.Errorf("%d brands, %d declining", len(rows), declining)
	}
	full := call(t, st, "sales", "brand_churn", `{"period":"year","current":"2024"}`)[0]
	if full["comparison"] != "full periods" || str(full["previous_from"]) != "2023-01-01" || str(full["current_to"]) != "2024-12-31" {
		t.Errorf("2024 vs 2023: %v", full)
	}
	_, err := Call(t.Context(), st, "sales", "brand_churn", json.RawMessage(`{"period":"month","current":"2022-06"}`))
	if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "no days of 2022-06 that 2022-05 also covers") {
		t.Errorf("2022-06 vs 2022-05 (no data): err = %v, want a refusal", err)
	}
}

// TestTimeSeriesGapsAndPartialBuckets: a month and days without sales are listed with
// zero, so the trend runs over elapsed time, and growth from or against a partial bucket
// is flagged.
func TestTimeSeriesGapsAndPartialBuckets(t *testing.T) {
	st := loadCSV(t, "ts", csvOf("sale_date,brand,total_revenue",
		"2024-01-15,A,50", "2024-02-01,A,100", "2024-02-20,A,100", "2024-04-03,A,300", "2024-05-10,A,400", "2024-06-10,A,1"))
	rows := call(t, st, "ts", "time_series", `{"bucket":"month"}`)
	if len(rows) != 6 {
		t.Fatalf("%d months, want 6 (March without sales included)", len(rows))
	}
	mar := rows[2]
	if str(mar["bucket_start"]) != "2024-03-01" || num(mar["value"]) != 0 || num(mar["rows"]) != 0 || num(mar["empty_buckets"]) != 1 {
		t.Errorf("March = %v", mar)
	}
	// complete months Feb..May at elapsed months 2..5 with 200, 0, 300, 400
	checkNear(t, "trend over elapsed months", rows[0]["trend_slope"], slope([]float64{2, 3, 4, 5}, []float64{200, 0, 300, 400}))
	wantPartial := []any{nil, true, false, nil, false, true} // April: growth against 0 is undefined
	for i, r := range rows {
		if r["growth_partial"] != wantPartial[i] {
			t.Errorf("%s growth_partial = %v, want %v", r["bucket_start"], r["growth_partial"], wantPartial[i])
		}
	}
	days := call(t, st, "ts", "time_series", `{"bucket":"day"}`)
	if len(days) != 148 { // 2024-01-15 … 2024-06-10
		t.Errorf("%d day buckets, want 148 including days without sales", len(days))
	}
}

// TestSeasonalityObservations: each month-of-year index says how many months it rests on
// and warns when that is one.
func TestSeasonalityObservations(t *testing.T) {
	st := loadReal(t)
	for _, r := range call(t, st, "sales", "seasonality", `{"start_date":"2023-07-01"}`) {
		n, w := num(r["months_observed"]), str(r["warning"])
		if (n < 2) != (w != "") {
			t.Errorf("month %v rests on %v months, warning %q", r["month"], n, w)
		}
	}
	one := call(t, st, "sales", "seasonality", `{"start_date":"2024-07-01","end_date":"2025-06-30"}`)
	if len(one) != 11 || !strings.Contains(str(one[0]["warning"]), "rests on 1 month") {
		t.Errorf("one year of data (June cut): %d months, first warning %v", len(one), one[0]["warning"])
	}
}

// TestArgumentsThatCannotWork: all priority weights 0 used to split the budget equally in
// silence; weight_by profit on data without profit used to fail as an enum mismatch.
func TestArgumentsThatCannotWork(t *testing.T) {
	st := loadCSV(t, "np", csvOf("sale_date,brand,total_revenue", "2024-01-15,A,50", "2024-02-01,B,100"))
	for _, tc := range []struct {
		name, tool, args string
		want             error
		says             string
	}{
		{"zero priorities", "budget_plan", `{"priority_weights":{"high":0,"medium":0,"low":0}}`, store.ErrInvalid, "/priority_weights"},
		{"missing profit", "budget_plan", `{"weight_by":"profit"}`, store.ErrPrecondition, `no column with role "profit"`},
		{"missing units", "cross_sectional", `{"measure":"units"}`, store.ErrPrecondition, `no column with role "units"`},
		{"missing store", "cross_sectional", `{"dimension":"store"}`, store.ErrPrecondition, `no column with role "store"`},
		{"not a role at all", "budget_plan", `{"weight_by":"banana"}`, store.ErrInvalid, "/weight_by"},
		{"role the argument never takes", "budget_plan", `{"weight_by":"brand"}`, store.ErrInvalid, "/weight_by"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Call(t.Context(), st, "np", tc.tool, json.RawMessage(tc.args))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err = %v, want %v saying %q", err, tc.want, tc.says)
			}
		})
	}
}
