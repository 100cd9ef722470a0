package store

import (
	"context"
	dbsql "database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// ingest reads src into a staging table, checks it, infers roles and swaps it
// in for the dataset in one transaction. On any error the staging table is
// dropped and the old dataset is untouched. The caller holds the name's lock.
func (s *Store) ingest(ctx context.Context, name string, src source, overrides map[Role]string, start time.Time) (Dataset, error) {
	if src.size == 0 || src.fp == emptySHA256 {
		return Dataset{}, fmt.Errorf("%w: %s: line 1: file is empty", ErrInvalid, src.display)
	}
	stage := "_load_" + randHex(6)
	defer s.db.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS `+s.TableRef(stage))
	if err := s.createStage(ctx, stage, src); err != nil {
		return Dataset{}, err
	}
	rec, err := s.describeStage(ctx, stage, src, overrides)
	if err != nil {
		return Dataset{}, err
	}
	rec.Name, rec.LoadedAt, rec.LoadDuration = name, time.Now().UTC().Truncate(time.Microsecond), time.Since(start)
	err = s.inTx(ctx, func(tx *dbsql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS `+s.TableRef(name)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+s.TableRef(stage)+` RENAME TO `+quoteIdent(name)); err != nil {
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

// createStage reads src into the staging table. A CSV whose types were guessed
// from a sample that a later row contradicts is read again with every row
// sampled; other CSV failures get a line-precise diagnosis from a Go pass.
func (s *Store) createStage(ctx context.Context, stage string, src source) error {
	create := func(opts string) error {
		reader, err := readerSQL(src, opts)
		if err != nil {
			return err
		}
		_, err = s.db.ExecContext(ctx, `CREATE OR REPLACE TABLE `+s.TableRef(stage)+` AS SELECT * FROM `+reader)
		return err
	}
	err := create("")
	if err == nil || src.format != FormatCSV || ctx.Err() != nil {
		return loadError(ctx, err, src)
	}
	if strings.Contains(err.Error(), "sample_size=-1") {
		if err = create(", sample_size = -1"); err == nil {
			return nil
		}
	}
	if diag := diagnoseCSV(src.path); diag != "" {
		return fmt.Errorf("%w: %s: %s", ErrInvalid, src.display, diag)
	}
	return loadError(ctx, err, src)
}

// describeStage reads the staging table's schema and size and settles its roles.
func (s *Store) describeStage(ctx context.Context, stage string, src source, overrides map[Role]string) (datasetRecord, error) {
	cols, err := tableColumns(ctx, s.db, "main", stage)
	if err != nil {
		return datasetRecord{}, err
	}
	if len(cols) == 0 {
		return datasetRecord{}, fmt.Errorf("%w: %s: no columns", ErrInvalid, src.display)
	}
	rec := datasetRecord{Dataset: Dataset{Fingerprint: src.fp, Bytes: src.size, Columns: cols,
		Source: src.origin, Format: src.format}}
	if src.origin != "upload" {
		rec.srcPath, rec.srcSize, rec.srcMtime = src.path, src.size, src.mtime
	}
	q := `SELECT count(*) FROM ` + s.TableRef(stage)
	if err := s.db.QueryRowContext(ctx, q).Scan(&rec.Rows); err != nil {
		return rec, err
	}
	if rec.Rows == 0 {
		return rec, fmt.Errorf("%w: %s: no data rows (header only or empty)", ErrInvalid, src.display)
	}
	dateLike, err := s.dateLikeColumns(ctx, stage, cols)
	if err != nil {
		return rec, err
	}
	roles, err := applyRoles(cols, inferRoles(cols, dateLike), overrides)
	if err != nil {
		return rec, err
	}
	rec.Roles, rec.Columns = roles, withRoles(cols, roles)
	return rec, nil
}

// dateLikeColumns finds VARCHAR columns whose non-null values all cast to DATE.
func (s *Store) dateLikeColumns(ctx context.Context, table string, cols []Column) (map[string]bool, error) {
	out := map[string]bool{}
	for _, c := range cols {
		if c.Type != "VARCHAR" || !strings.Contains(normName(c.Name), "date") && !strings.Contains(normName(c.Name), "day") {
			continue
		}
		var ok bool
		q := fmt.Sprintf(`SELECT count(%[1]s) > 0 AND count(%[1]s) = count(try_cast(%[1]s AS DATE)) FROM main.%[2]s`,
			quoteIdent(c.Name), quoteIdent(table))
		if err := s.db.QueryRowContext(ctx, q).Scan(&ok); err != nil {
			return nil, err
		}
		out[c.Name] = ok
	}
	return out, nil
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

// loadError turns a DuckDB read error into ErrInvalid naming the file; DuckDB's
// message carries the line (CSV, JSON) or the column it failed on.
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
	return fmt.Errorf("%w: %s: %s", ErrInvalid, src.display, cleanMsg(msg))
}
