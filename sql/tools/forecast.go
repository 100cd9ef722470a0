package tools

import (
	"context"
	dbsql "database/sql"
	"fmt"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/mrswarm/mrswarm/sql/store"
)

// minForecastMonths is the fewest complete months sales_forecast fits a trend on.
const minForecastMonths = 3

// runForecast counts the complete months the forecast would fit on, fails with
// ErrPrecondition below minForecastMonths, binds the Student-t quantiles of the two
// possible models' residual degrees of freedom, and runs the SQL.
func runForecast(ctx context.Context, st *store.Store, t *tool, e *env, a args) (store.Summary, error) {
	r := &render{e: e, a: a}
	var q strings.Builder
	if err := templates.ExecuteTemplate(&q, "forecast_months.sql", r); err != nil {
		return store.Summary{}, fmt.Errorf("tools: %s: render sql: %w", t.Name, err)
	}
	var n, k int64
	var lo, hi dbsql.NullString
	if err := queryRow(ctx, st, q.String(), r.params, &n, &k, &lo, &hi); err != nil {
		return store.Summary{}, fmt.Errorf("tools: %s: count complete months: %w", t.Name, err)
	}
	if n < minForecastMonths {
		return store.Summary{}, fmt.Errorf("tools: %s: %d complete months between %s and %s after the filters; the forecast needs at least %d (widen the date range or the filters): %w",
			t.Name, n, orNone(lo), orNone(hi), minForecastMonths, store.ErrPrecondition)
	}
	level := 1 - (1-float64(a["confidence"].(int64))/100)/2
	a["t_linear"] = tQuantile(level, n-2)
	a["t_seasonal"] = a["t_linear"]
	if n-k-1 > 0 {
		a["t_seasonal"] = tQuantile(level, n-k-1)
	}
	return saveSQL(ctx, st, t, e, a)
}

// tQuantile is the level quantile of Student's t with df degrees of freedom.
func tQuantile(level float64, df int64) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Quantile(level)
}

func orNone(s dbsql.NullString) string {
	if !s.Valid {
		return "(no data)"
	}
	return s.String
}

// queryRow runs q with params and scans its one row into dest.
func queryRow(ctx context.Context, st *store.Store, q string, params []any, dest ...any) error {
	rows, err := st.Query(ctx, q, params...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return dbsql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}
