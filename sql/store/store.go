package store

import (
	"context"
	dbsql "database/sql"
	"errors"
	"io"
)

var errUnimplemented = errors.New("store: unimplemented")

// Store is the embedded DuckDB database shared by every part of mrswarm.
type Store struct {
	db   *dbsql.DB
	opts Options
}

// Open opens (or creates) the DuckDB file at path; "" opens an in-memory database.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	return nil, errUnimplemented
}

// Close closes the database.
func (s *Store) Close() error { return errUnimplemented }

// DataRoot is the folder file loads and user SQL are confined to.
func (s *Store) DataRoot() string { return s.opts.DataRoot }

// LoadFile loads a file under the data root as dataset name.
func (s *Store) LoadFile(ctx context.Context, name, path string, f Format, roles map[Role]string) (LoadResult, error) {
	return LoadResult{}, errUnimplemented
}

// LoadReader loads streamed bytes as dataset name; filename helps infer the format.
func (s *Store) LoadReader(ctx context.Context, name, filename string, f Format, r io.Reader, roles map[Role]string) (LoadResult, error) {
	return LoadResult{}, errUnimplemented
}

// Dataset describes one dataset.
func (s *Store) Dataset(ctx context.Context, name string) (Dataset, error) {
	return Dataset{}, errUnimplemented
}

// Datasets lists every dataset by name.
func (s *Store) Datasets(ctx context.Context) ([]Dataset, error) { return nil, errUnimplemented }

// DropDataset removes a dataset and its table.
func (s *Store) DropDataset(ctx context.Context, name string) error { return errUnimplemented }

// SetRoles overrides column roles; an empty column clears a role.
func (s *Store) SetRoles(ctx context.Context, name string, roles map[Role]string) (Dataset, error) {
	return Dataset{}, errUnimplemented
}

// RunSQL runs one untrusted, read-only SELECT/WITH statement and stores its result.
func (s *Store) RunSQL(ctx context.Context, query string) (Summary, error) {
	return Summary{}, errUnimplemented
}

// SaveQuery runs trusted SQL with bound args and stores its result as a handle.
func (s *Store) SaveQuery(ctx context.Context, source, dataset, query string, args ...any) (Summary, error) {
	return Summary{}, errUnimplemented
}

// SaveRows stores rows built in Go (reports, findings) as a handle.
func (s *Store) SaveRows(ctx context.Context, source, dataset string, cols []Column, rows [][]any) (Summary, error) {
	return Summary{}, errUnimplemented
}

// Query runs trusted read-only SQL under the statement timeout.
func (s *Store) Query(ctx context.Context, query string, args ...any) (*dbsql.Rows, error) {
	return nil, errUnimplemented
}

// Result returns the summary of a handle.
func (s *Store) Result(ctx context.Context, handle string) (Summary, error) {
	return Summary{}, errUnimplemented
}

// Results lists stored results, newest first.
func (s *Store) Results(ctx context.Context) ([]Summary, error) { return nil, errUnimplemented }

// DeleteResult removes a handle and its table.
func (s *Store) DeleteResult(ctx context.Context, handle string) error { return errUnimplemented }

// GetPage returns up to limit rows from offset, as values or as CSV.
func (s *Store) GetPage(ctx context.Context, handle string, offset int64, limit int, csv bool) (Page, error) {
	return Page{}, errUnimplemented
}

// StreamRows calls fn with consecutive pages of chunkRows rows until the result ends.
func (s *Store) StreamRows(ctx context.Context, handle string, chunkRows int, csv bool, fn func(Page) error) error {
	return errUnimplemented
}

// ResultTable is the SQL name of a handle's table.
func (s *Store) ResultTable(handle string) string { return "results." + handle }
