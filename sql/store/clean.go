package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Cleaning turns text columns that hold numbers or dates as people write them
// ("$4,968.25", "842,4", "(12)", "12.5%", "31/01/2024", "2024-W05") into typed
// columns. How to read each column is decided in Go from a sample of its first
// rows (numbers.go, dates.go); the conversion itself runs inside the one
// set-based statement that reads the file, which also keeps the text of every
// cell it could not convert in a side column, so failures are counted and
// located without a second pass and nothing changes silently.

// cleanSample is how many leading rows are sampled to decide how to read each column.
const cleanSample = 20000

// maxFailedShare is the share of non-blank cells that may fail to convert
// before a column is kept as text instead.
const maxFailedShare = 0.05

// rawPrefix names the side columns that hold the text of failed cells while loading.
const rawPrefix = "__mrswarm_raw_"

// plan is how one column is converted.
type plan struct {
	col      string
	expr     string // SQL over the quoted column giving the typed value
	conv     Conversion
	nonBlank int64 // non-blank cells in the whole column, counted when some failed
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

// withConversions attaches each plan's report to its column.
func withConversions(cols []Column, plans []plan) {
	for i := range cols {
		for _, p := range plans {
			if p.col == cols[i].Name {
				c := p.conv
				cols[i].Conversion = &c
			}
		}
	}
}

// planReader samples the reader's text columns (and numeric columns named like
// dates) and plans a conversion for each that reads as numbers or dates.
func (s *Store) planReader(ctx context.Context, reader string, cols []Column, o readOptions, delim string) ([]plan, error) {
	var probe []Column
	for _, c := range cols {
		if c.Type == "VARCHAR" || isNumeric(c.Type) && dateName(c.Name) {
			probe = append(probe, c)
		}
	}
	samples, err := s.sample(ctx, reader, probe)
	if err != nil {
		return nil, err
	}
	text := map[string][]string{}
	for _, c := range probe {
		if c.Type == "VARCHAR" {
			text[c.Name] = samples[c.Name]
		}
	}
	h := decimalHint(o, delim, text)
	var plans []plan
	for _, c := range probe {
		vals := samples[c.Name]
		if c.Type != "VARCHAR" {
			if p, ok := planNumericDate(c, vals); ok {
				plans = append(plans, p)
			}
		} else if p, ok := planNumber(c.Name, vals, h, o.decimal != ""); ok {
			plans = append(plans, p)
		} else if p, ok := planDate(c.Name, vals, o.dateOrder, h.sep); ok {
			plans = append(plans, p)
		}
	}
	return plans, nil
}

// sample reads the non-blank values of cols in the reader's first cleanSample rows.
func (s *Store) sample(ctx context.Context, reader string, cols []Column) (map[string][]string, error) {
	out := map[string][]string{}
	if len(cols) == 0 {
		return out, nil
	}
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = "CAST(" + quoteIdent(c.Name) + " AS VARCHAR)"
	}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM %s LIMIT %d`, strings.Join(sel, ", "), reader, cleanSample))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	vals := make([]*string, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			if v != nil && !blank(*v) {
				out[cols[i].Name] = append(out[cols[i].Name], *v)
			}
		}
	}
	return out, rows.Err()
}

// readInto creates the staging table from the reader with every planned column
// converted, plus one side column per plan holding the text of cells that
// failed (NULL elsewhere, so it costs next to nothing).
func (s *Store) readInto(ctx context.Context, stage, reader string, plans []plan) error {
	sel := "*"
	if len(plans) > 0 {
		repl := make([]string, len(plans))
		raw := make([]string, len(plans))
		for i, p := range plans {
			q := quoteIdent(p.col)
			repl[i] = p.expr + " AS " + q
			raw[i] = fmt.Sprintf("CASE WHEN (%s) IS NULL AND %s IS NOT NULL AND NOT %s THEN CAST(%s AS VARCHAR) END AS %s",
				p.expr, q, blankSQL("CAST("+q+" AS VARCHAR)"), q, quoteIdent(rawPrefix+strconv.Itoa(i)))
		}
		sel = "* REPLACE (" + strings.Join(repl, ", ") + "), " + strings.Join(raw, ", ")
	}
	_, err := s.db.ExecContext(ctx, `CREATE OR REPLACE TABLE `+s.TableRef(ctx, stage)+` AS SELECT `+sel+` FROM `+reader)
	return err
}

// checkConversions counts each plan's failed and non-blank cells, names the
// first failed rows, and returns the plans to keep: those whose failures stay
// under maxFailedShare.
func (s *Store) checkConversions(ctx context.Context, stage string, plans []plan) ([]plan, error) {
	if len(plans) == 0 {
		return nil, nil
	}
	sel := make([]string, 0, 2*len(plans))
	for i, p := range plans {
		sel = append(sel, "count("+quoteIdent(rawPrefix+strconv.Itoa(i))+")", "count("+quoteIdent(p.col)+")")
	}
	counts := make([]int64, len(sel))
	ptrs := make([]any, len(sel))
	for i := range counts {
		ptrs[i] = &counts[i]
	}
	q := `SELECT ` + strings.Join(sel, ", ") + ` FROM ` + s.TableRef(ctx, stage)
	if err := s.db.QueryRowContext(ctx, q).Scan(ptrs...); err != nil {
		return nil, fmt.Errorf("check conversions: %w", err)
	}
	var kept []plan
	for i := range plans {
		plans[i].conv.Failed, plans[i].nonBlank = counts[2*i], counts[2*i]+counts[2*i+1]
		if err := s.locateFailures(ctx, stage, i, &plans[i]); err != nil {
			return nil, err
		}
		if float64(plans[i].conv.Failed) <= maxFailedShare*float64(plans[i].nonBlank) {
			kept = append(kept, plans[i])
		}
	}
	return kept, nil
}

// dropRaw removes the side columns of failed cells.
func (s *Store) dropRaw(ctx context.Context, stage string, plans []plan) error {
	for i := range plans {
		q := `ALTER TABLE ` + s.TableRef(ctx, stage) + ` DROP COLUMN ` + quoteIdent(rawPrefix+strconv.Itoa(i))
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("drop failed-cell column: %w", err)
		}
	}
	return nil
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

// maxFailedRows is how many failed cells a conversion report names.
const maxFailedRows = 5

// locateFailures names the first failed cells of plan i by data row and sets its warning.
func (s *Store) locateFailures(ctx context.Context, stage string, i int, p *plan) error {
	if p.conv.Failed == 0 {
		return nil
	}
	raw := quoteIdent(rawPrefix + strconv.Itoa(i))
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(`SELECT rowid + 1, left(%s, 40), strlen(%s) FROM %s
		WHERE %s IS NOT NULL ORDER BY rowid LIMIT %d`, raw, raw, s.TableRef(ctx, stage), raw, maxFailedRows))
	if err != nil {
		return fmt.Errorf("locate failed cells of %q: %w", p.col, err)
	}
	defer rows.Close()
	p.conv.FailedRows, p.conv.FailedValues = nil, nil
	for rows.Next() {
		var row, size int64
		var v string
		if err := rows.Scan(&row, &v, &size); err != nil {
			return err
		}
		if size > int64(len(v)) { // a preview: say how long the cell is
			v += fmt.Sprintf("… (%d bytes)", size)
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
