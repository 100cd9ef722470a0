package bench

import (
	"encoding/json"
	"io"
	"maps"
	"slices"
)

// Keys are the headline numbers of issue 17 that results/latest.json carries
// at its top level (e.g. "prompt_tokens_handles"), each the value of the row
// whose Key names it.
const (
	KeyPromptTokensHandles = "prompt_tokens_handles"
	KeyPromptTokensFull    = "prompt_tokens_full"
	KeyDatasetProfileMs1M  = "dataset_profile_ms_1m"
	KeyCSVLoadRowsPerS1M   = "csv_load_rows_per_s_1m"
	// KeyDuckDBWriteRowsPerS1M is not one of issue 17's keys: DuckDB copying
	// the 1M-row table, already typed, into a new table of a database file, in
	// the same run as the cold loads. A load cannot be faster than its write.
	KeyDuckDBWriteRowsPerS1M = "duckdb_write_rows_per_s_1m"
	KeyLangGraphSeedL0       = "langgraph_step_overhead_ms_seed_l0"
	KeyLangGraphFan8L0       = "langgraph_step_overhead_ms_fan8_l0"
	KeyStepOverheadSeedL0    = "step_overhead_ms_seed_l0"
	KeyStepOverheadFan8L0    = "step_overhead_ms_fan8_l0"
	KeyWallOverCriticalSeed  = "wall_over_critical_seed_l20"
	KeyWallOverCriticalFan8  = "wall_over_critical_fan8_l20"
	KeyRSSAfter200RunsMiB    = "rss_after_200_runs_mib" // BenchmarkRunsRSS after 200 scripted runs (rss.go)
)

// withKey names r as the source of a headline key.
func withKey(r Row, key string) Row {
	r.Key = key
	return r
}

// Keys returns the value of every keyed row; a key set twice keeps the last row.
func (r Report) Keys() map[string]float64 {
	out := map[string]float64{}
	for _, row := range r.Rows {
		if row.Key != "" {
			out[row.Key] = row.Value
		}
	}
	return out
}

// WriteJSON writes the report as indented JSON, with the headline keys
// (Report.Keys) as top-level numbers beside its fields.
func (r Report) WriteJSON(w io.Writer) error {
	doc, err := json.Marshal(reportJSON(r))
	if err != nil {
		return err
	}
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(doc, &fields); err != nil {
		return err
	}
	keys := r.Keys()
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if _, taken := fields[k]; !taken {
			fields[k], _ = json.Marshal(keys[k])
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(fields)
}

// reportJSON is Report without its WriteJSON, for the plain encoding.
type reportJSON Report
