package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Cleaning turns text columns that hold numbers or dates as people write them
// ("$4,968.25", "842,4", "(12)", "12.5%", "31/01/2024", "2024-W05") into typed
// columns. The decision per column is made in Go from a sample of its values
// (numbers.go, dates.go); the conversion itself is one set-based DuckDB
// statement over the whole table, and the cells it could not convert are
// counted and located afterwards, so nothing changes silently.

// cleanSample is how many rows are sampled to decide how to read each column.
const cleanSample = 2000

// maxFailedShare is the share of non-blank cells that may fail to convert
// before a column is kept as text instead.
const maxFailedShare = 0.05

// plan is how one column is converted.
type plan struct {
	col      string
	expr     string // SQL over the quoted column giving the typed value
	conv     Conversion
	nonBlank int64 // non-blank cells in the whole column, counted when some failed
}

// cleanStage converts what the plans for stage's columns say and returns the
// table to keep (stage itself when nothing needed converting) with its columns.
// A planned column with too many cells that fail is kept as text with a warning.
func (s *Store) cleanStage(ctx context.Context, stage string, cols []Column, o readOptions, delim string) (string, []Column, error) {
	plans, err := s.planStage(ctx, stage, cols, o, delim)
	if err != nil || len(plans) == 0 {
		return stage, cols, err
	}
	var dropped []plan
	for {
		out, kept, err := s.convert(ctx, stage, plans)
		if err != nil {
			return "", nil, err
		}
		if len(kept) == len(plans) {
			return s.withConversions(ctx, out, append(plans, dropped...))
		}
		if _, err := s.db.ExecContext(ctx, `DROP TABLE IF EXISTS main.`+quoteIdent(out)); err != nil {
			return "", nil, err
		}
		dropped = append(dropped, keptAsText(plans, kept)...)
		if plans = kept; len(plans) == 0 {
			return s.withConversions(ctx, stage, dropped)
		}
	}
}

// keptAsText returns the plans not in kept, turned into reports of a column left as text.
func keptAsText(all, kept []plan) []plan {
	var out []plan
	for _, p := range all {
		if slices.ContainsFunc(kept, func(k plan) bool { return k.col == p.col }) {
			continue
		}
		share := 100 * float64(p.conv.Failed) / float64(max(p.nonBlank, 1))
		p.conv.Warning = fmt.Sprintf("kept as text: %.0f%% of its cells (%d) are not %s, e.g. %s; clean them or set the role by hand",
			share, p.conv.Failed, strings.ToLower(p.conv.To)+" values", examples(p.conv))
		p.conv.To = p.conv.From
		out = append(out, p)
	}
	return out
}

// withConversions reads the converted table's columns and attaches each plan's report.
func (s *Store) withConversions(ctx context.Context, table string, plans []plan) (string, []Column, error) {
	cols, err := tableColumns(ctx, s.db, "main", table)
	if err != nil {
		return "", nil, err
	}
	for i := range cols {
		for _, p := range plans {
			if p.col == cols[i].Name {
				c := p.conv
				cols[i].Conversion = &c
			}
		}
	}
	return table, cols, nil
}

// planStage samples the stage's text columns (and numeric columns named like
// dates) and plans a conversion for each that reads as numbers or dates.
func (s *Store) planStage(ctx context.Context, stage string, cols []Column, o readOptions, delim string) ([]plan, error) {
	var text []Column
	for _, c := range cols {
		if c.Type == "VARCHAR" {
			text = append(text, c)
		}
	}
	samples, err := s.sampleText(ctx, stage, text)
	if err != nil {
		return nil, err
	}
	hint := decimalHint(o, delim, samples)
	var plans []plan
	for _, c := range text {
		if p, ok := planNumber(c.Name, samples[c.Name], hint, o.decimal != ""); ok {
			plans = append(plans, p)
		} else if p, ok := planDate(c.Name, samples[c.Name], o.dateOrder, hint.sep); ok {
			plans = append(plans, p)
		}
	}
	for _, c := range cols {
		if isNumeric(c.Type) && dateName(c.Name) {
			p, ok, err := s.planNumericDate(ctx, stage, c)
			if err != nil {
				return nil, err
			}
			if ok {
				plans = append(plans, p)
			}
		}
	}
	return plans, nil
}

// sampleText reads up to cleanSample non-blank values of each text column.
func (s *Store) sampleText(ctx context.Context, table string, text []Column) (map[string][]string, error) {
	out := map[string][]string{}
	if len(text) == 0 {
		return out, nil
	}
	sel := make([]string, len(text))
	for i, c := range text {
		sel[i] = quoteIdent(c.Name)
	}
	q := fmt.Sprintf(`SELECT %s FROM main.%s USING SAMPLE reservoir(%d ROWS) REPEATABLE (42)`,
		strings.Join(sel, ", "), quoteIdent(table), cleanSample)
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("sample text columns: %w", err)
	}
	defer rows.Close()
	vals := make([]*string, len(text))
	ptrs := make([]any, len(text))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			if v != nil && !blank(*v) {
				out[text[i].Name] = append(out[text[i].Name], *v)
			}
		}
	}
	return out, rows.Err()
}

// convert writes a new table with every planned column converted and checks
// each conversion over the whole table. It returns the new table and the plans
// to keep: all of them, or those whose failures stay under maxFailedShare.
func (s *Store) convert(ctx context.Context, stage string, plans []plan) (string, []plan, error) {
	out := "_load_" + randHex(6)
	repl := make([]string, len(plans))
	for i, p := range plans {
		repl[i] = p.expr + " AS " + quoteIdent(p.col)
	}
	q := fmt.Sprintf(`CREATE TABLE main.%s AS SELECT * REPLACE (%s) FROM main.%s`,
		quoteIdent(out), strings.Join(repl, ", "), quoteIdent(stage))
	if _, err := s.db.ExecContext(ctx, q); err != nil {
		s.db.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS main.`+quoteIdent(out))
		return "", nil, fmt.Errorf("convert columns: %w", err)
	}
	if err := s.countFailures(ctx, stage, out, plans); err != nil {
		return "", nil, err
	}
	var kept []plan
	for _, p := range plans {
		if float64(p.conv.Failed) <= maxFailedShare*float64(p.nonBlank) {
			kept = append(kept, p)
		}
	}
	for i := range plans {
		if err := s.locateFailures(ctx, stage, &plans[i]); err != nil {
			return "", nil, err
		}
	}
	return out, kept, nil
}

// blankSQL is true for cells that mean "no value": empty, n/a, -, null...
func blankSQL(q string) string {
	return "lower(trim(" + q + ")) IN ('', 'n/a', 'na', 'n.a.', '-', '--', '—', 'null', 'none', '#n/a', 'nan', '?')"
}

// blank is blankSQL in Go.
func blank(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "n/a", "na", "n.a.", "-", "--", "—", "null", "none", "#n/a", "nan", "?":
		return true
	}
	return false
}

// countFailures sets Failed and nonBlank of each plan: cells that had text
// other than a blank marker and are NULL after the conversion. A first cheap
// pass compares null counts; only columns that lost values are looked at cell by cell.
func (s *Store) countFailures(ctx context.Context, stage, out string, plans []plan) error {
	lost := make([]string, len(plans))
	for i, p := range plans {
		q := quoteIdent(p.col)
		lost[i] = fmt.Sprintf("count(a.%s) - count(b.%s)", q, q)
	}
	counts, err := s.counts(ctx, fmt.Sprintf(`SELECT %s FROM main.%s a POSITIONAL JOIN main.%s b`,
		strings.Join(lost, ", "), quoteIdent(stage), quoteIdent(out)), len(plans))
	if err != nil {
		return fmt.Errorf("check conversions: %w", err)
	}
	var sel []string
	var idx []int
	for i, p := range plans {
		if counts[i] == 0 {
			continue
		}
		q := quoteIdent(p.col)
		sel = append(sel, fmt.Sprintf("count(*) FILTER (WHERE b.%s IS NULL AND a.%s IS NOT NULL AND NOT %s)", q, q, blankSQL("a."+q)),
			fmt.Sprintf("count(*) FILTER (WHERE a.%s IS NOT NULL AND NOT %s)", q, blankSQL("a."+q)))
		idx = append(idx, i)
	}
	if len(sel) == 0 {
		return nil
	}
	counts, err = s.counts(ctx, fmt.Sprintf(`SELECT %s FROM main.%s a POSITIONAL JOIN main.%s b`,
		strings.Join(sel, ", "), quoteIdent(stage), quoteIdent(out)), len(sel))
	if err != nil {
		return fmt.Errorf("check conversions: %w", err)
	}
	for k, i := range idx {
		plans[i].conv.Failed, plans[i].nonBlank = counts[2*k], counts[2*k+1]
	}
	return nil
}

// counts runs a one-row query of n BIGINT columns.
func (s *Store) counts(ctx context.Context, q string, n int) ([]int64, error) {
	out := make([]int64, n)
	ptrs := make([]any, n)
	for i := range out {
		ptrs[i] = &out[i]
	}
	return out, s.db.QueryRowContext(ctx, q).Scan(ptrs...)
}

// maxFailedRows is how many failed cells a conversion report names.
const maxFailedRows = 5

// locateFailures names the first failed cells of p by data row and sets its warning.
func (s *Store) locateFailures(ctx context.Context, stage string, p *plan) error {
	if p.conv.Failed == 0 {
		return nil
	}
	q := quoteIdent(p.col)
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(`SELECT rowid + 1, left(%s, 40) FROM main.%s
		WHERE %s IS NOT NULL AND NOT %s AND (%s) IS NULL ORDER BY rowid LIMIT %d`,
		q, quoteIdent(stage), q, blankSQL(q), p.expr, maxFailedRows))
	if err != nil {
		return fmt.Errorf("locate failed cells of %q: %w", p.col, err)
	}
	defer rows.Close()
	for rows.Next() {
		var row int64
		var v string
		if err := rows.Scan(&row, &v); err != nil {
			return err
		}
		p.conv.FailedRows, p.conv.FailedValues = append(p.conv.FailedRows, row), append(p.conv.FailedValues, v)
	}
	p.conv.Warning = fmt.Sprintf("%d cell(s) could not be read as %s and are empty (NULL): %s",
		p.conv.Failed, strings.ToLower(p.conv.To), examples(p.conv))
	return rows.Err()
}

// examples renders the first failed cells as `row 90001 "oops"`.
func examples(c Conversion) string {
	parts := make([]string, len(c.FailedRows))
	for i, r := range c.FailedRows {
		parts[i] = fmt.Sprintf("row %d %q", r, c.FailedValues[i])
	}
	if int64(len(parts)) < c.Failed {
		parts = append(parts, "…")
	}
	return strings.Join(parts, ", ")
}
