package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/sql/gendata"
	"github.com/mrswarm/mrswarm/sql/store"
)

// channelTruth is the generated data of the marketing-mix tests: six channels with known
// curves over two years, and "podcast", which never spent.
func channelTruth() gendata.ChannelConfig {
	chs := append(gendata.DefaultChannels(6), gendata.ChannelTruth{Name: "podcast", Baseline: 40})
	return gendata.ChannelConfig{Seed: 11, Start: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), Days: 730,
		Channels: chs, Seasonality: 0.2, Noise: 0.05, RowsPerDay: 2}
}

// loadChannelData writes cfg's CSV to a temp folder and loads it as dataset "ch".
func loadChannelData(t testing.TB, cfg gendata.ChannelConfig) *store.Store {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "ch.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := gendata.WriteChannels(f, cfg); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, dir)
	if _, err := st.LoadFile(context.Background(), "ch", "ch.csv", store.FormatCSV, nil); err != nil {
		t.Fatal(err)
	}
	return st
}

func byChannel(rows []map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range rows {
		out[str(r["channel"])] = r
	}
	return out
}

// TestResponseCurvesRecoverParameters: on data generated with known adstock and Hill
// parameters and 5% noise, every fitted parameter is within its stated tolerance of the
// truth and within four standard errors of it, so the reported uncertainty is honest.
func TestResponseCurvesRecoverParameters(t *testing.T) {
	cfg := channelTruth()
	st := loadChannelData(t, cfg)
	rows := byChannel(call(t, st, "ch", "response_curves", `{}`))
	if len(rows) != len(cfg.Channels) {
		t.Fatalf("%d channels, want %d", len(rows), len(cfg.Channels))
	}
	for _, c := range cfg.Channels[:6] {
		r := rows[c.Name]
		if str(r["status"]) != "fitted" || r["seasonality"] != true {
			t.Fatalf("%s: status %v seasonality %v", c.Name, r["status"], r["seasonality"])
		}
		for _, p := range []struct {
			col      string
			truth    float64
			tol      float64 // absolute for decay, else relative
			relative bool
		}{{"decay", c.Decay, 0.05, false}, {"half_saturation", c.HalfSat, 0.2, true},
			{"hill_shape", c.Shape, 0.15, true}, {"max_effect_per_day", c.Beta, 0.12, true}} {
			got, se := num(r[p.col]), num(r[p.col+"_se"])
			if p.col == "max_effect_per_day" {
				se = num(r["max_effect_se"])
			}
			tol := p.tol
			if p.relative {
				tol *= p.truth
			}
			if math.Abs(got-p.truth) > tol {
				t.Errorf("%s %s = %.4g, want %.4g ± %.3g", c.Name, p.col, got, p.truth, tol)
			}
			if math.Abs(got-p.truth) > 4*se {
				t.Errorf("%s %s = %.4g ± %.3g (se): truth %.4g is more than 4 se away", c.Name, p.col, got, se, p.truth)
			}
		}
		if r2, mape := num(r["r2"]), num(r["holdout_mape_pct"]); r2 < 0.85 || mape > 12 {
			t.Errorf("%s: R² %.3f, holdout MAPE %.1f%%", c.Name, r2, mape)
		}
		x := num(r["current_daily_spend"])
		want := c.Beta * c.Shape * math.Pow(c.HalfSat/x, c.Shape) / x / math.Pow(1+math.Pow(c.HalfSat/x, c.Shape), 2)
		if got := num(r["marginal_roas"]); math.Abs(got-want) > 0.15*want {
			t.Errorf("%s: marginal ROAS %.4g, true %.4g", c.Name, got, want)
		}
	}
	if p := rows["podcast"]; str(p["status"]) != "no_spend_history" || p["decay"] != nil || p["marginal_roas"] != nil {
		t.Errorf("zero-spend channel not flagged or extrapolated: %v", p)
	}
}

// trueOptimum maximises Σ truth_c(x_c/h)·h over allocations x within [lo, hi] summing to
// budget, by a dynamic program over the budget cut into 1000 units (independent of mmm).
func trueOptimum(truth []gendata.ChannelTruth, lo, hi []float64, budget, h float64) float64 {
	const units = 1000
	free := budget
	for _, l := range lo {
		free -= l
	}
	step := free / units
	best := make([]float64, units+1)
	for j := 1; j <= units; j++ {
		best[j] = math.Inf(-1)
	}
	for c, tr := range truth {
		var gain []float64
		for u := 0; u <= units && lo[c]+float64(u)*step <= hi[c]+1e-9; u++ {
			gain = append(gain, h*tr.Response((lo[c]+float64(u)*step)/h))
		}
		next := make([]float64, units+1)
		for j := range next {
			next[j] = math.Inf(-1)
			for u := 0; u <= j && u < len(gain); u++ {
				next[j] = math.Max(next[j], best[j-u]+gain[u])
			}
		}
		best = next
	}
	return best[units]
}

// currentSpend is each channel's mean daily spend over the last 90 days, by SQL.
func currentSpend(t *testing.T, st *store.Store) map[string]float64 {
	rows, err := st.Query(t.Context(), `SELECT channel, sum(spend) / 90 FROM ch
		WHERE date > (SELECT max(date) FROM ch) - INTERVAL 90 DAY GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var k string
		var v float64
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

// TestOptimizeBudget: the allocation sums to the budget, honours every bound exactly,
// leaves the zero-spend channel unfunded, and reaches at least 97% of the outcome of the
// true optimum (computed from the true curves) when judged by the true curves.
func TestOptimizeBudget(t *testing.T) {
	cfg := channelTruth()
	st := loadChannelData(t, cfg)
	cur := currentSpend(t, st)
	const h, budget = 30.0, 600000.0
	for _, tc := range []struct {
		name, args string
		beatsMixes bool // no bound forces a worse mix than the current one
	}{
		{"relative bounds", `{"total_budget":600000,"min_change_pct":-75,"max_change_pct":200}`, true},
		{"per-channel bounds", `{"total_budget":600000,"min_change_pct":-90,"max_change_pct":300,"channel_min":{"tv":250000},"channel_max":{"search":30000,"social":20000}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a struct {
				Min, Max float64            `json:"-"`
				ChMin    map[string]float64 `json:"channel_min"`
				ChMax    map[string]float64 `json:"channel_max"`
				MinPct   float64            `json:"min_change_pct"`
				MaxPct   float64            `json:"max_change_pct"`
			}
			if err := json.Unmarshal([]byte(tc.args), &a); err != nil {
				t.Fatal(err)
			}
			rows := call(t, st, "ch", "optimize_budget", tc.args)
			got := byChannel(rows)
			var truth []gendata.ChannelTruth
			var lo, hi []float64
			total, reached := 0.0, 0.0
			for _, c := range cfg.Channels[:6] {
				r := got[c.Name]
				l, u := cur[c.Name]*h*(1+a.MinPct/100), cur[c.Name]*h*(1+a.MaxPct/100)
				if v, ok := a.ChMin[c.Name]; ok {
					l = v
				}
				if v, ok := a.ChMax[c.Name]; ok {
					u = v
				}
				checkNear(t, c.Name+" lower bound", r["lower_bound"], l)
				checkNear(t, c.Name+" upper bound", r["upper_bound"], u)
				x := num(r["allocation"])
				if x < num(r["lower_bound"]) || x > num(r["upper_bound"]) {
					t.Errorf("%s: allocation %v outside [%v, %v]", c.Name, x, r["lower_bound"], r["upper_bound"])
				}
				if v, ok := a.ChMin[c.Name]; ok && x != v && x < v {
					t.Errorf("%s: allocation %v below channel_min %v", c.Name, x, v)
				}
				if v, ok := a.ChMax[c.Name]; ok && x > v {
					t.Errorf("%s: allocation %v above channel_max %v", c.Name, x, v)
				}
				truth, lo, hi = append(truth, c), append(lo, l), append(hi, u)
				total += x
				reached += h * c.Response(x/h)
			}
			if p := got["podcast"]; num(p["allocation"]) != 0 || str(p["status"]) != "no_spend_history" {
				t.Errorf("zero-spend channel: %v", p)
			}
			if math.Abs(total-budget) > 1e-9*budget || math.Abs(num(got["TOTAL"]["allocation"])-budget) > 1e-9*budget {
				t.Errorf("allocations sum to %.6f (TOTAL %v), want %v", total, got["TOTAL"]["allocation"], budget)
			}
			opt := trueOptimum(truth, lo, hi, budget, h)
			if reached < 0.97*opt {
				t.Errorf("true outcome of the allocation %.1f is %.2f%% of the true optimum %.1f", reached, 100*reached/opt, opt)
			}
			t.Logf("true outcome %.1f = %.2f%% of the true optimum %.1f", reached, 100*reached/opt, opt)
			tot := got["TOTAL"]
			if !(num(tot["predicted_lower"]) < num(tot["predicted_outcome"]) && num(tot["predicted_outcome"]) < num(tot["predicted_upper"])) ||
				tc.beatsMixes && (num(tot["predicted_outcome"]) < num(tot["current_mix_outcome"]) || num(tot["predicted_outcome"]) < num(tot["budget_plan_outcome"])) {
				t.Errorf("total: %v", tot)
			}
		})
	}
}

// TestOptimizeBudgetBoundsExact: a channel bound that binds is met to the last bit, and a
// minimum on the zero-spend channel is funded without a predicted outcome.
func TestOptimizeBudgetBoundsExact(t *testing.T) {
	st := loadChannelData(t, channelTruth())
	rows := byChannel(call(t, st, "ch", "optimize_budget",
		`{"total_budget":500000,"channel_min":{"podcast":12345.67,"email":7777.77},"channel_max":{"tv":123456.78,"search":11111.11}}`))
	for ch, want := range map[string]float64{"podcast": 12345.67, "tv": 123456.78, "search": 11111.11} {
		if got := num(rows[ch]["allocation"]); got != want {
			t.Errorf("%s: allocation %v, want exactly %v", ch, got, want)
		}
	}
	if p := rows["podcast"]; p["predicted_outcome"] != nil {
		t.Errorf("zero-spend channel's outcome extrapolated: %v", p["predicted_outcome"])
	}
	if got := num(rows["email"]["allocation"]); got < 7777.77 {
		t.Errorf("email below its minimum: %v", got)
	}
}

func TestOptimizeBudgetErrors(t *testing.T) {
	st := loadChannelData(t, channelTruth())
	for _, tc := range []struct {
		name, args string
		want       error
	}{
		{"budget above the bounds", `{"total_budget":1e9}`, store.ErrInvalid},
		{"unknown channel", `{"channel_max":{"cinema":10}}`, store.ErrInvalid},
		{"min above max", `{"channel_min":{"tv":10},"channel_max":{"tv":5}}`, store.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Call(t.Context(), st, "ch", "optimize_budget", json.RawMessage(tc.args))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			t.Log(err)
		})
	}
	real := loadReal(t)
	for _, name := range []string{"response_curves", "optimize_budget"} {
		_, err := Call(t.Context(), real, "sales", name, nil)
		if !errors.Is(err, store.ErrPrecondition) {
			t.Errorf("%s on data without spend: err = %v, want precondition", name, err)
		}
		t.Log(err)
	}
}

// TestMarketingMixFilters: the date filters change what the curves are fitted on, and the
// schema on channel data is closed and bounded.
func TestMarketingMixFilters(t *testing.T) {
	st := loadChannelData(t, channelTruth())
	for _, name := range []string{"response_curves", "optimize_budget"} {
		base := fmt.Sprint(call(t, st, "ch", name, `{}`))
		for _, f := range []string{`{"start_date":"2023-03-01"}`, `{"end_date":"2024-10-31"}`} {
			if got := fmt.Sprint(call(t, st, "ch", name, f)); got == base {
				t.Errorf("%s gives the same rows with %s as without", name, f)
			}
		}
		sch, err := Schema(t.Context(), st, "ch", name)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			AdditionalProperties bool `json:"additionalProperties"`
			Properties           map[string]struct {
				Enum []string
			}
		}
		if err := json.Unmarshal(sch, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.AdditionalProperties || !slices.Equal(doc.Properties["by"].Enum, []string{"channel", "campaign"}) ||
			!slices.Equal(doc.Properties["outcome"].Enum, []string{"conversions"}) {
			t.Errorf("%s schema: %s", name, sch)
		}
	}
}
