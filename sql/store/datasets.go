package store

import (
	"context"
	dbsql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// datasetRecord is a dataset plus what the store needs to recognise an unchanged file.
type datasetRecord struct {
	Dataset
	srcPath  string
	srcSize  int64
	srcMtime int64
}

const datasetCols = `tenant, name, fingerprint, row_count, bytes, columns, roles, loaded_at, load_ns,
	source, format, src_path, src_size, src_mtime`

// Dataset describes one dataset.
func (s *Store) Dataset(ctx context.Context, name string) (Dataset, error) {
	rec, err := s.datasetRecord(ctx, s.db, name)
	if err != nil {
		return Dataset{}, err
	}
	return rec.Dataset, nil
}

// Datasets lists every dataset by name.
func (s *Store) Datasets(ctx context.Context) ([]Dataset, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+datasetCols+` FROM mrswarm.datasets WHERE tenant = ? ORDER BY name`, TenantOf(ctx))
	if err != nil {
		return nil, fmt.Errorf("list datasets: %w", err)
	}
	defer rows.Close()
	var out []Dataset
	for rows.Next() {
		rec, err := scanDataset(rows)
		if err != nil {
			return nil, fmt.Errorf("list datasets: %w", err)
		}
		out = append(out, rec.Dataset)
	}
	return out, rows.Err()
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *dbsql.Row
}

func (s *Store) datasetRecord(ctx context.Context, q queryer, name string) (datasetRecord, error) {
	if q != queryer(s.db) { // inside a transaction: read what it sees
		return s.readDatasetRecord(ctx, q, name)
	}
	key := datasetKey{TenantOf(ctx), name}
	rec, ok, gen := s.datasets.get(key)
	if ok {
		return rec, nil
	}
	rec, err := s.readDatasetRecord(ctx, q, name)
	if err == nil {
		s.datasets.put(key, rec, gen)
	}
	return rec, err
}

// readDatasetRecord reads the metadata row of dataset name from q.
func (s *Store) readDatasetRecord(ctx context.Context, q queryer, name string) (datasetRecord, error) {
	row := q.QueryRowContext(ctx, `SELECT `+datasetCols+` FROM mrswarm.datasets WHERE tenant = ? AND name = ?`, TenantOf(ctx), name)
	rec, err := scanDataset(row)
	if errors.Is(err, dbsql.ErrNoRows) {
		return rec, fmt.Errorf("dataset %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return rec, fmt.Errorf("dataset %q: %w", name, err)
	}
	return rec, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanDataset(sc scanner) (datasetRecord, error) {
	var r datasetRecord
	var cols, roles, format string
	var loadNs int64
	err := sc.Scan(&r.Tenant, &r.Name, &r.Fingerprint, &r.Rows, &r.Bytes, &cols, &roles, &r.LoadedAt, &loadNs,
		&r.Source, &format, &r.srcPath, &r.srcSize, &r.srcMtime)
	if err != nil {
		return r, err
	}
	r.LoadDuration, r.Format = time.Duration(loadNs), Format(format)
	r.LoadedAt = r.LoadedAt.UTC()
	if err := json.Unmarshal([]byte(cols), &r.Columns); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(roles), &r.Roles); err != nil {
		return r, err
	}
	return r, nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (dbsql.Result, error)
}

// putDataset replaces the metadata row of rec.Name.
func putDataset(ctx context.Context, x execer, rec datasetRecord) error {
	cols, _ := json.Marshal(rec.Columns)
	roles, _ := json.Marshal(rec.Roles)
	tenant := TenantOf(ctx)
	if _, err := x.ExecContext(ctx, `DELETE FROM mrswarm.datasets WHERE tenant = ? AND name = ?`, tenant, rec.Name); err != nil {
		return err
	}
	_, err := x.ExecContext(ctx, `INSERT INTO mrswarm.datasets (`+datasetCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tenant, rec.Name, rec.Fingerprint, rec.Rows, rec.Bytes, string(cols), string(roles), rec.LoadedAt.UTC(),
		int64(rec.LoadDuration), rec.Source, string(rec.Format), rec.srcPath, rec.srcSize, rec.srcMtime)
	return err
}

// DropDataset removes a dataset and its table.
func (s *Store) DropDataset(ctx context.Context, name string) error {
	defer s.names.lock(name)()
	if _, err := s.datasetRecord(ctx, s.db, name); err != nil {
		return fmt.Errorf("drop: %w", err)
	}
	return s.datasetTx(ctx, func(tx *dbsql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS `+s.TableRef(ctx, name)); err != nil {
			return err
		}
		if err := dropFacts(ctx, tx, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM mrswarm.datasets WHERE tenant = ? AND name = ?`, TenantOf(ctx), name)
		return err
	})
}

// SetRoles overrides column roles; an empty column clears a role.
func (s *Store) SetRoles(ctx context.Context, name string, roles map[Role]string) (Dataset, error) {
	defer s.names.lock(name)()
	rec, err := s.datasetRecord(ctx, s.db, name)
	if err != nil {
		return Dataset{}, fmt.Errorf("set roles: %w", err)
	}
	merged, err := applyRoles(rec.Columns, rec.Roles, roles)
	if err != nil {
		return Dataset{}, fmt.Errorf("set roles of %q: %w", name, err)
	}
	rec.Roles = merged
	rec.Columns = withRoles(rec.Columns, merged)
	if err := s.datasetTx(ctx, func(tx *dbsql.Tx) error { return putDataset(ctx, tx, rec) }); err != nil {
		return Dataset{}, fmt.Errorf("set roles of %q: %w", name, err)
	}
	return rec.Dataset, nil
}

// datasetTx is inTx for a transaction that writes mrswarm.datasets: the
// cached dataset rows are forgotten once it ends.
func (s *Store) datasetTx(ctx context.Context, fn func(*dbsql.Tx) error) error {
	defer s.datasets.changed() // after the commit or rollback
	return s.inTx(ctx, fn)
}

// inTx runs fn in a transaction and commits it, or rolls back on error.
func (s *Store) inTx(ctx context.Context, fn func(*dbsql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
