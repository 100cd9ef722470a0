package store

import (
	"encoding/json"
	"math"
	"strconv"
)

// storedStats is how ColumnStats are kept in mrswarm.results: the same JSON,
// except that a non-finite number (a column holding NaN or ±Inf) is written
// as the string "NaN", "+Inf" or "-Inf", which JSON numbers cannot carry.
type storedStats struct {
	Column              string
	Min, Max, Mean, Sum jsonFloat
	Nulls               int64
}

// jsonFloat is a float64 whose JSON carries NaN and ±Inf as strings.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return json.Marshal(strconv.FormatFloat(v, 'g', -1, 64))
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		v, err := strconv.ParseFloat(s, 64)
		*f = jsonFloat(v)
		return err
	}
	var v float64
	err := json.Unmarshal(b, &v)
	*f = jsonFloat(v)
	return err
}

// encodeStats is the stored JSON of stats.
func encodeStats(stats []ColumnStats) string {
	out := make([]storedStats, len(stats))
	for i, s := range stats {
		out[i] = storedStats{s.Column, jsonFloat(s.Min), jsonFloat(s.Max), jsonFloat(s.Mean), jsonFloat(s.Sum), s.Nulls}
	}
	b, _ := json.Marshal(out) // every value is encodable
	return string(b)
}

// decodeStats reads stats stored by encodeStats (or plain JSON numbers).
func decodeStats(data string) ([]ColumnStats, error) {
	var in []storedStats
	if err := json.Unmarshal([]byte(data), &in); err != nil {
		return nil, err
	}
	var out []ColumnStats
	for _, s := range in {
		out = append(out, ColumnStats{s.Column, float64(s.Min), float64(s.Max), float64(s.Mean), float64(s.Sum), s.Nulls})
	}
	return out, nil
}
