package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/sql/store"
)

func TestRenamedColumns(t *testing.T) {
	lines := []string{"order_date,market,product_line,qty,net_sales,cogs"}
	for _, s := range fixture {
		lines = append(lines, fmt.Sprintf("%s,%s,%s,%g,%g,%g", s.date, s.region, s.brand, s.units, s.revenue, s.cost))
	}
	st := loadCSV(t, "own", csvOf(lines...))
	ds, err := st.SetRoles(t.Context(), "own", map[store.Role]string{store.RoleDate: "order_date",
		store.RoleRegion: "market", store.RoleBrand: "product_line", store.RoleUnits: "qty",
		store.RoleRevenue: "net_sales", store.RoleCost: "cogs"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ds.Column(store.RoleProfit); ok {
		t.Fatal("fixture unexpectedly has a profit column")
	}
	t.Run("profit derived from revenue and cost", func(t *testing.T) {
		rows := byKey(call(t, st, "own", "profitability", `{"dimension":"region","brands":["Alpha","Beta"]}`), "name")
		keepAB := func(s sale) bool { return s.brand == "Alpha" || s.brand == "Beta" }
		prof, cst := sums(fixture, byRegion, profit, keepAB), sums(fixture, byRegion, cost, keepAB)
		for reg, r := range rows {
			checkNear(t, reg+" profit", r["profit"], prof[reg])
			checkNear(t, reg+" roi", r["roi_pct"], prof[reg]/cst[reg]*100)
		}
		if len(rows) != len(prof) {
			t.Errorf("%d regions, want %d", len(rows), len(prof))
		}
	})
	t.Run("every tool that does not need category runs", func(t *testing.T) {
		infos, err := List(t.Context(), st, "own")
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range infos {
			if needsSpend(in.Spec) || needsChannelData(in.Spec) {
				continue // marketing-mix and channel tools have their own tests
			}
			if !in.Available {
				t.Errorf("%s unavailable: %s", in.Name, in.Reason)
				continue
			}
			call(t, st, "own", in.Name, "")
		}
	})
	t.Run("category filter is a precondition failure", func(t *testing.T) {
		_, err := Call(t.Context(), st, "own", "market_overview", json.RawMessage(`{"categories":["Soda"]}`))
		if !errors.Is(err, store.ErrPrecondition) || !strings.Contains(err.Error(), `"category"`) || !strings.Contains(err.Error(), `"own"`) {
			t.Errorf("err = %v, want ErrPrecondition naming role category and dataset own", err)
		}
	})
}

func TestMissingRole(t *testing.T) {
	st := loadCSV(t, "nobrand", csvOf("sale_date,region,total_revenue", "2024-01-01,North,10", "2024-02-01,South,20"))
	for _, tool := range []string{"brand_performance", "brand_churn", "profitability"} {
		t.Run(tool, func(t *testing.T) {
			_, err := Call(t.Context(), st, "nobrand", tool, nil)
			if !errors.Is(err, store.ErrPrecondition) || !strings.Contains(err.Error(), "nobrand") {
				t.Errorf("err = %v, want ErrPrecondition naming the dataset", err)
			}
		})
	}
	infos, err := List(t.Context(), st, "nobrand")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		if in.Name == "brand_performance" && (in.Available || in.Reason != `dataset "nobrand" has no column with role "brand"`) {
			t.Errorf("brand_performance: available=%v reason=%q", in.Available, in.Reason)
		}
		if in.Name == "kpi_summary" && !in.Available {
			t.Errorf("kpi_summary unavailable: %s", in.Reason)
		}
	}
}

func TestInvalidArguments(t *testing.T) {
	st := loadFixture(t)
	tests := []struct {
		name, tool, args string
		want             []string // substrings of the message
	}{
		{"unknown tool", "nope", `{}`, []string{`unknown tool "nope"`, "market_overview", "dataset_profile"}},
		{"unknown argument", "market_overview", `{"top":3}`, []string{`unknown argument "top"`, "top_n"}},
		{"not an object", "market_overview", `[1]`, []string{"JSON object"}},
		{"bad brand", "brand_performance", `{"brands":["Zeta"]}`, []string{"/brands/0", "Alpha"}},
		{"out of range and bad enum together", "brand_performance", `{"top_n":0,"sort_by":"color"}`,
			[]string{"/top_n", "/sort_by", "revenue"}},
		{"bad date", "time_series", `{"start_date":"2024-02-30"}`, []string{"/start_date"}},
		{"reversed dates", "time_series", `{"start_date":"2024-05-01","end_date":"2024-04-01"}`, []string{"after end_date"}},
		{"wrong type", "market_overview", `{"top_n":"5"}`, []string{"/top_n"}},
		{"label of other period", "brand_churn", `{"period":"quarter","current":"2024-05"}`, []string{"/current", "quarter"}},
		{"previous after current", "brand_churn", `{"period":"month","current":"2024-03","previous":"2024-04"}`, []string{"/previous"}},
		{"weights mismatch", "budget_plan", `{"channels":["tv","radio"],"channel_weights":[1]}`, []string{"/channel_weights"}},
		{"too many periods", "sales_forecast", `{"periods":25}`, []string{"/periods"}},
		// A role the dataset lacks ("store") is a missing-role precondition: TestArgumentsThatCannotWork.
		{"dimension not a role", "profitability", `{"dimension":"color"}`, []string{"/dimension", "brand"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Call(t.Context(), st, "fx", tc.tool, json.RawMessage(tc.args))
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err, w)
				}
			}
		})
	}
	t.Run("unknown dataset", func(t *testing.T) {
		if _, err := Call(t.Context(), st, "missing", "market_overview", nil); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestInjection(t *testing.T) {
	evil := []string{`'; DROP TABLE fx; --`, `Al"pha`, `x'); SELECT 1; --`, `SELECT * FROM fx`, `Alpha' OR '1'='1`}
	st := loadFixture(t)
	for _, v := range evil {
		t.Run("enum rejects "+v, func(t *testing.T) {
			b, _ := json.Marshal(map[string]any{"brands": []string{v}})
			if _, err := Call(t.Context(), st, "fx", "market_share", b); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
	// A data set whose values are themselves hostile: they are valid enum members and must
	// be bound, never spliced into SQL.
	lines := []string{"sale_date,brand,total_revenue"}
	for i, v := range evil {
		lines = append(lines, fmt.Sprintf("2024-01-%02d,\"%s\",%d", i+1, strings.ReplaceAll(v, `"`, `""`), 10*(i+1)))
	}
	hs := loadCSV(t, "hostile", csvOf(lines...))
	for i, v := range evil {
		t.Run("bound "+v, func(t *testing.T) {
			b, _ := json.Marshal(map[string]any{"brands": []string{v}})
			rows := call(t, hs, "hostile", "brand_performance", string(b))
			if len(rows) != 1 || rows[0]["brand"] != v {
				t.Fatalf("rows = %v, want only %q", rows, v)
			}
			checkNear(t, "revenue", rows[0]["revenue"], float64(10*(i+1)))
		})
	}
	if ds, err := hs.Dataset(t.Context(), "hostile"); err != nil || ds.Rows != int64(len(evil)) {
		t.Errorf("hostile after injection attempts: rows %d, err %v", ds.Rows, err)
	}
	if ds, err := st.Dataset(t.Context(), "fx"); err != nil || ds.Rows != int64(len(fixture)) {
		t.Errorf("fx after injection attempts: rows %d, err %v", ds.Rows, err)
	}
	rows := call(t, st, "fx", "kpi_summary", "")
	checkNear(t, "fx rows", rows[0]["transactions"], float64(len(fixture)))
}

func TestIntegralFloat(t *testing.T) {
	st := loadFixture(t)
	if rows := call(t, st, "fx", "brand_performance", `{"top_n":2.0}`); len(rows) != 2 {
		t.Errorf("top_n 2.0 gave %d rows, want 2", len(rows))
	}
}

func TestSchemas(t *testing.T) {
	st := loadFixture(t)
	infos, err := List(t.Context(), st, "fx")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range Specs() {
		names = append(names, s.Name)
	}
	want := []string{"market_overview", "brand_performance", "profitability", "cross_sectional", "time_series",
		"sales_forecast", "roi", "kpi_summary", "budget_plan", "market_share", "brand_churn",
		"regional_performance", "seasonality", "dataset_profile", "response_curves", "optimize_budget",
		"channel_performance", "funnel"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Fatalf("tools (-want +got):\n%s", diff)
	}
	for _, in := range infos {
		if needsSpend(in.Spec) || needsChannelData(in.Spec) {
			continue // TestChannelToolsHonourFilters, TestMarketingMixFilters
		}
		t.Run(in.Name, func(t *testing.T) {
			if needsSpend(in.Spec) {
				t.Skip("needs spend; schema checked on channel data in response_test.go")
			}
			if !in.Available {
				t.Fatalf("unavailable: %s", in.Reason)
			}
			var s struct {
				AdditionalProperties bool `json:"additionalProperties"`
				Properties           map[string]struct {
					Type    string
					Enum    []any
					Maximum *float64
					Items   struct{ Enum []string }
				}
			}
			if err := json.Unmarshal(in.Schema, &s); err != nil {
				t.Fatal(err)
			}
			if s.AdditionalProperties {
				t.Error("additionalProperties is not false")
			}
			if got := s.Properties["brands"].Items.Enum; !cmp.Equal(got, []string{"Alpha", "Beta", "Delta", "Gamma"}) {
				t.Errorf("brands enum = %v", got)
			}
			for name, p := range s.Properties {
				bounded := len(p.Enum) > 0 || p.Maximum != nil || p.Type == "array" || p.Type == "object" ||
					slices.Contains([]string{"start_date", "end_date", "current", "previous"}, name)
				if !bounded {
					t.Errorf("argument %s is unbounded", name)
				}
			}
			sch, err := Schema(t.Context(), st, "fx", in.Name)
			if err != nil || string(sch) != string(in.Schema) {
				t.Errorf("Schema() differs from List(): %v", err)
			}
		})
	}
}

func TestManyDistinctValues(t *testing.T) {
	lines := []string{"brand,total_revenue"}
	for i := range enumCap + 50 {
		lines = append(lines, fmt.Sprintf("b%03d,%d", i, i+1))
	}
	st := loadCSV(t, "wide", csvOf(lines...))
	sch, err := Schema(context.Background(), st, "wide", "brand_performance")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sch), "b001") {
		t.Error("schema lists an enum above the cap")
	}
	rows := call(t, st, "wide", "brand_performance", `{"brands":["b007","b230"]}`)
	if len(rows) != 2 {
		t.Fatalf("%d brands, want 2", len(rows))
	}
	checkNear(t, "b230 revenue", rows[0]["revenue"], 231)
	checkNear(t, "b007 revenue", rows[1]["revenue"], 8)
	_, err = Call(t.Context(), st, "wide", "brand_performance", json.RawMessage(`{"brands":["b007","zzz"]}`))
	if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), `"zzz"`) {
		t.Errorf("err = %v, want ErrInvalid naming zzz", err)
	}
}

// TestEveryToolHonoursEveryFilter fails if any tool returns the same rows with and
// without a filter, i.e. silently drops it (the original system's bug).
func TestEveryToolHonoursEveryFilter(t *testing.T) {
	st := loadFixture(t)
	filters := []string{`"brands":["Alpha","Beta"]`, `"regions":["North"]`, `"categories":["Juice"]`,
		`"start_date":"2024-02-10"`, `"end_date":"2024-05-20"`}
	for _, s := range Specs() {
		if needsSpend(s) || needsChannelData(s) {
			continue // marketing-mix and channel tools have their own tests
		}
		base := fmt.Sprint(call(t, st, "fx", s.Name, `{}`))
		for _, f := range filters {
			t.Run(s.Name+" "+f, func(t *testing.T) {
				args := "{" + f + "}"
				if s.Name == "brand_churn" { // compares April with May: cut into April instead
					args = `{"period":"month",` + strings.Replace(f, "2024-02-10", "2024-04-10", 1) + "}"
					base = fmt.Sprint(call(t, st, "fx", s.Name, `{"period":"month"}`))
				}
				if got := fmt.Sprint(call(t, st, "fx", s.Name, args)); got == base {
					t.Errorf("%s gives the same rows with %s as without", s.Name, f)
				}
			})
		}
	}
}

// needsSpend reports a marketing-mix tool, which runs on channel data with spend only.
func needsSpend(s Spec) bool { return slices.Contains(s.RequiredRoles, store.RoleSpend) }
