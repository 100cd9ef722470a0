package store

import (
	"context"
	dbsql "database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// ingest reads src into a staging table, checks it, infers roles and swaps it
// in for the dataset in one transaction. On any error the staging table is
// dropped and the old dataset is untouched. The caller holds the name's lock.
func (s *Store) ingest(ctx context.Context, name string, src *source, overrides map[Role]string, start time.Time) (Dataset, error) {
	if src.size == 0 || src.fp == emptySHA256 {
		return Dataset{}, fmt.Errorf("%w: %s: line 1: file is empty", ErrInvalid, src.display)
	}
	if err := s.ensureTenantSchema(ctx); err != nil {
		return Dataset{}, fmt.Errorf("tenant schema: %w", err)
	}
	stage := "_load_" + randHex(6)
	defer s.db.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS `+s.TableRef(ctx, stage))
	cols, err := s.createStage(ctx, stage, *src)
	if err != nil {
		return Dataset{}, err
	}
	if err := src.settle(); err != nil {
		return Dataset{}, err
	}
	rec, err := s.describeStage(ctx, stage, cols, *src, overrides)
	if err != nil {
		return Dataset{}, err
	}
	rec.Tenant, rec.Name, rec.LoadedAt, rec.LoadDuration = TenantOf(ctx), name, time.Now().UTC().Truncate(time.Microsecond), time.Since(start)
	err = s.datasetTx(ctx, func(tx *dbsql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS `+s.TableRef(ctx, name)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+s.TableRef(ctx, stage)+` RENAME TO `+quoteIdent(name)); err != nil {
			return err
		}
		if err := dropFacts(ctx, tx, name); err != nil {
			return err
		}
		return putDataset(ctx, tx, rec)
	})
	if err != nil {
		return Dataset{}, fmt.Errorf("replace table: %w", err)
	}
	return rec.Dataset, nil
}

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// createStage reads src into the staging table, converting on the way the text
// columns that hold numbers or dates as people write them (clean.go), and
// returns the staging table's columns with what was converted.
func (s *Store) createStage(ctx context.Context, stage string, src source) ([]Column, error) {
	read := src
	if src.format == FormatXLSX {
		csvPath, err := s.xlsxToCSV(ctx, src)
		if err != nil {
			return nil, err
		}
		defer os.Remove(csvPath)
		read.path, read.format = csvPath, FormatCSV
	}
	delim := ""
	if read.format == FormatCSV {
		var err error
		if delim, err = sniffDelim(read.path); err != nil {
			return nil, err
		}
	}
	plans, err := s.readClean(ctx, stage, read, delim)
	if err != nil {
		return nil, err
	}
	cols, err := tableColumns(ctx, s.db, tenantSchema(TenantOf(ctx)), stage)
	if err != nil {
		return nil, err
	}
	withConversions(cols, plans)
	if read.format == FormatCSV && readerDecimal(src.opts, delim) == "," {
		readerCommas(cols, src.opts)
	}
	return cols, nil
}

// readerCommas reports the DOUBLE columns that the CSV reader itself read with
// a decimal comma, so that the load lists that conversion too.
func readerCommas(cols []Column, o readOptions) {
	why := "the file is separated by ';'"
	if o.decimal != "" {
		why = "the decimal option"
	}
	for i, c := range cols {
		if c.Conversion == nil && (c.Type == "DOUBLE" || strings.HasPrefix(c.Type, "DECIMAL")) {
			cols[i].Conversion = &Conversion{Column: c.Name, From: "VARCHAR", To: c.Type,
				Detail: fmt.Sprintf("text numbers with a decimal comma read as %s by the CSV reader (decimal \",\": %s)", c.Type, why)}
		}
	}
}

// readClean reads src into the staging table in one pass with the planned
// conversions applied. A CSV is sniffed once and read with what was sniffed
// pinned; when that read fails, the file is read again as DuckDB sniffs it on
// every read, so that its errors are the ones reported: a CSV whose types
// were guessed from a sample that a later row contradicts is planned and read
// again with every row sampled (the contradicted column then comes back as
// text, and its conversion reports the bad cells); other CSV failures get a
// line-precise diagnosis.
func (s *Store) readClean(ctx context.Context, stage string, src source, delim string) ([]plan, error) {
	if src.format == FormatCSV {
		plans, err := s.readPinned(ctx, stage, src, delim)
		if err == nil || ctx.Err() != nil || outOfMemory(err) {
			return plans, loadError(ctx, err, src)
		}
	}
	plans, err := s.readPlanned(ctx, stage, src, delim, "")
	if err == nil || src.format != FormatCSV || ctx.Err() != nil {
		return plans, loadError(ctx, err, src)
	}
	if strings.Contains(err.Error(), "sample_size=-1") {
		if plans, err = s.readPlanned(ctx, stage, src, delim, ", sample_size = -1"); err == nil {
			return plans, nil
		}
	}
	if diag := diagnoseCSV(src.path); diag != "" {
		return nil, fmt.Errorf("%w: %s: %s", ErrInvalid, src.display, diag)
	}
	return nil, loadError(ctx, err, src)
}

// outOfMemory reports whether DuckDB ran out of memory.
func outOfMemory(err error) bool {
	var de *duckdb.Error
	return errors.As(err, &de) && de.Type == duckdb.ErrorTypeOutOfMemory
}

// readPinned reads the CSV src sniffed once (sniffedCSV).
func (s *Store) readPinned(ctx context.Context, stage string, src source, delim string) ([]plan, error) {
	reader, cols, err := s.sniffedCSV(ctx, src)
	if err != nil {
		return nil, err
	}
	return s.readWith(ctx, stage, src, delim, reader, cols)
}

// readPlanned reads src with a reader that sniffs it on each read.
func (s *Store) readPlanned(ctx context.Context, stage string, src source, delim, opts string) ([]plan, error) {
	reader, err := readerSQL(src, opts)
	if err != nil {
		return nil, err
	}
	cols, err := s.describeReader(ctx, reader)
	if err != nil {
		return nil, err
	}
	if err := checkColumnNames(cols, src.display); err != nil {
		return nil, err
	}
	return s.readWith(ctx, stage, src, delim, reader, cols)
}

// readWith plans conversions from a sample of the reader's rows and reads
// it with them; a planned column whose cells fail too often is read again
// as text (with a warning).
func (s *Store) readWith(ctx context.Context, stage string, src source, delim, reader string, cols []Column) ([]plan, error) {
	plans, err := s.planReader(ctx, reader, cols, src.opts, delim)
	if err != nil {
		return nil, err
	}
	var dropped []plan
	for {
		if err := s.readInto(ctx, stage, reader, plans); err != nil {
			return nil, err
		}
		kept, err := s.checkConversions(ctx, stage, plans)
		if err != nil {
			return nil, err
		}
		if len(kept) == len(plans) {
			return append(plans, dropped...), s.dropRaw(ctx, stage, plans)
		}
		dropped, plans = append(dropped, keptAsText(plans, kept)...), kept
	}
}

// describeReader lists the columns and types the reader produces.
func (s *Store) describeReader(ctx context.Context, reader string) ([]Column, error) {
	rows, err := s.db.QueryContext(ctx, `DESCRIBE SELECT * FROM `+reader)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var cols []Column
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		name, _ := vals[0].(string)
		typ, _ := vals[1].(string)
		cols = append(cols, Column{Name: name, Type: typ})
	}
	return cols, rows.Err()
}

// describeStage reads the table's size and settles its roles.
func (s *Store) describeStage(ctx context.Context, table string, cols []Column, src source, overrides map[Role]string) (datasetRecord, error) {
	if len(cols) == 0 {
		return datasetRecord{}, fmt.Errorf("%w: %s: no columns", ErrInvalid, src.display)
	}
	rec := datasetRecord{Dataset: Dataset{Fingerprint: src.fp, Bytes: src.size, Columns: cols,
		Source: src.origin, Format: src.format}}
	if src.origin != "upload" {
		rec.srcPath, rec.srcSize, rec.srcMtime = src.path, src.size, src.mtime
	}
	q := `SELECT count(*) FROM ` + s.TableRef(ctx, table)
	if err := s.db.QueryRowContext(ctx, q).Scan(&rec.Rows); err != nil {
		return rec, err
	}
	if rec.Rows == 0 {
		return rec, fmt.Errorf("%w: %s: no data rows (header only or empty)", ErrInvalid, src.display)
	}
	ps, err := s.profiles(ctx, table, cols, rec.Rows)
	if err != nil {
		return rec, err
	}
	inferred, roles := infer(ps)
	roles, err = applyRoles(inferred, roles, overrides)
	if err != nil {
		return rec, err
	}
	rec.Roles, rec.Columns = roles, withRoles(inferred, roles)
	return rec, nil
}

// inferSample is how many rows role inference looks at.
const inferSample = 2000

// inferScanRows is the table size above which the sample is drawn from about
// that many rows (whole row vectors, a system sample) instead of every row.
const inferScanRows = 100_000

// profiles samples the table's rows once and describes each column for inference.
func (s *Store) profiles(ctx context.Context, table string, cols []Column, rows int64) ([]profile, error) {
	ps := newProfiles(cols)
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = "CAST(" + quoteIdent(c.Name) + " AS VARCHAR)"
		if ps[i].numeric {
			sel[i] = "CAST(" + quoteIdent(c.Name) + " AS DOUBLE)"
		}
	}
	from := s.TableRef(ctx, table)
	if rows > inferScanRows {
		from = fmt.Sprintf("(SELECT * FROM %s TABLESAMPLE %.4f%% (system, 7))", from, 100*float64(inferScanRows)/float64(rows))
	}
	res, err := s.db.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM %s USING SAMPLE reservoir(%d ROWS) REPEATABLE (7)`,
		strings.Join(sel, ", "), from, inferSample))
	if err != nil {
		return nil, fmt.Errorf("sample for roles: %w", err)
	}
	defer res.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	seen := make([]map[string]bool, len(cols))
	for res.Next() {
		if err := res.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i := range ps {
			ps[i].observe(vals[i], &seen[i])
		}
	}
	return ps, res.Err()
}

// newProfiles describes columns by name, type and unit, with no values yet.
func newProfiles(cols []Column) []profile {
	ps := make([]profile, len(cols))
	for i, c := range cols {
		norm := normName(c.Name)
		ps[i] = profile{Column: c, idx: i, norm: norm, words: strings.Split(norm, "_"),
			numeric: isNumeric(c.Type), temporal: isTemporal(c.Type), whole: true}
		if c.Conversion != nil {
			ps[i].unit = c.Conversion.Unit
		}
	}
	return ps
}

// observe adds one sampled value to the profile.
func (p *profile) observe(v any, seen *map[string]bool) {
	if !p.numeric {
		if sv, ok := v.(string); ok {
			if *seen == nil {
				*seen = map[string]bool{}
			}
			if !(*seen)[sv] {
				(*seen)[sv], p.distinct = true, p.distinct+1
			}
		}
		return
	}
	f, ok := v.(float64)
	if !ok {
		p.vals = append(p.vals, math.NaN())
		return
	}
	if len(p.vals) == 0 || f < p.lo {
		p.lo = f
	}
	if len(p.vals) == 0 || f > p.hi {
		p.hi = f
	}
	p.whole = p.whole && f == math.Trunc(f)
	p.negative = p.negative || f < 0
	p.vals = append(p.vals, f)
}

// tableColumns lists a table's columns and DuckDB types in order.
func tableColumns(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*dbsql.Rows, error)
}, schema, table string) ([]Column, error) {
	rows, err := q.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?
		ORDER BY ordinal_position`, schema, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []Column
	for rows.Next() {
		var c Column
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// loadError turns a DuckDB read error into ErrInvalid naming the file (DuckDB's
// message carries the line (CSV, JSON) or the column it failed on), or into
// ErrLimit when the read ran out of memory.
func loadError(ctx context.Context, err error, src source) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %v", ctx.Err(), err)
	}
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return err
	}
	msg := strings.ReplaceAll(de.Msg, src.path, src.display)
	if de.Type == duckdb.ErrorTypeOutOfMemory {
		return fmt.Errorf("%w: %s: out of memory while reading it: the load needs more than the server's memory limit allows; "+
			"load fewer columns or rows at once, or raise --memory-limit (MRSWARM_MEMORY_LIMIT) (%s)", ErrLimit, src.display, cleanMsg(msg))
	}
	return fmt.Errorf("%w: %s: %s", ErrInvalid, src.display, cleanMsg(msg))
}
