package store

import (
	"context"
	dbsql "database/sql"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

//go:embed schema/*.sql
var schemaFS embed.FS

// Defaults for zero Options fields.
const (
	DefaultStatementTimeout = 30 * time.Second
	DefaultMaxPageSize      = 10000
	DefaultHeadRows         = 5
	DefaultPageSize         = 100
	DefaultLoadTimeout      = 10 * time.Minute
)

// Store is the embedded DuckDB database shared by every part of mrswarm.
// It is safe for concurrent use.
type Store struct {
	db       *dbsql.DB
	opts     Options
	root     string   // DataRoot, absolute with symlinks resolved
	catalog  string   // the database's catalog name, for fully qualified table names
	private  []string // the database's own files (resolved), which user SQL must not read
	cwd      string   // the process's folder, against which DuckDB resolves relative paths
	staging  string   // folder for uploads in flight, inside DuckDB's allowed directories
	ownStage bool     // staging was created by Open and is removed by Close
	keywords map[string]bool

	// names serialises the changes of one dataset (load, replace, drop, roles)
	// so that its staging-table swap and metadata change never interleave;
	// other datasets' changes go on meanwhile.
	names nameLocks

	materializeMu sync.Mutex // one inline result made a table at a time

	pendingMu sync.Mutex // guards pending
	// deferredMu is held while a RunBatch writes deferred results and while a
	// result is deleted, so a deletion never runs beside the write of the same
	// result and then sees it come back when that write commits.
	deferredMu sync.Mutex
	pending    map[string]*Pending // deferred results not yet written, by handle

	datasets datasetCache // metadata rows of datasets, emptied by every datasetTx
	results  resultCache  // summaries of stored results, by tenant and handle

	retainMu  sync.Mutex     // one eviction pass at a time
	touches   touches        // when this process last wrote (or stored) each result's last_used
	holdMu    sync.Mutex     // guards held
	held      map[string]int // handles retention keeps for the callers of Hold, by count
	evictions atomic.Int64   // results evicted since Open

	ckpt *checkpointer // checkpoints when writes pause; nil in memory

	file        string       // the database file, absolute; "" in memory
	inst        *instances   // the DuckDB instance connections come from (instance.go)
	recycleMu   sync.Mutex   // one replacement of the instance at a time
	heapBase    atomic.Int64 // the C heap in use when the current instance opened
	recycleNext time.Time    // no replacement before; the checkpointer's own
}

// Open opens (or creates) the DuckDB file at path; "" opens an in-memory database.
// It confines DuckDB's own file access to the data root and the staging folder
// and then locks DuckDB's configuration.
//
// The file is attached under a fixed catalog name, so a file called
// mrswarm.duckdb does not make the schema name mrswarm ambiguous.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	s := &Store{opts: withDefaults(opts), pending: map[string]*Pending{}}
	if err := s.setupDirs(path); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	abs, err := s.resolveFile(path)
	if err != nil {
		s.removeStaging()
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	first, err := s.openInstance(ctx, abs)
	if err != nil {
		s.removeStaging()
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	s.file = abs
	s.inst = &instances{cur: first, open: func(ctx context.Context) (*duckdb.Connector, error) {
		return s.openInstance(ctx, abs)
	}}
	s.db = dbsql.OpenDB(s.inst)
	if err := s.setup(ctx); err != nil {
		s.db.Close()
		s.removeStaging()
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	s.heapBase.Store(heapInUse())
	s.startCheckpointer()
	return s, nil
}

// catalog is the name the database file is attached under.
const catalog = "mrswarm_store"

// storageVersion is the DuckDB storage format the database file is written
// in. DuckDB writes a new file in the format of v1.0 unless told otherwise,
// and that format stores a segment of a string column uncompressed as soon as
// one of its strings exceeds 4 KiB (a run record, a run_finished event, a
// report's rows): the run log's JSON took its full size on disk and in
// DuckDB's buffer pool. From v1.2 DuckDB compresses such strings (ZSTD,
// FSST; the run tables ask for ZSTD, schema/20_runs.sql). Attaching a file of
// an older format upgrades it in place (one way: DuckDB cannot lower it).
const storageVersion = "v1.5.0"

func withDefaults(o Options) Options {
	if o.StatementTimeout <= 0 {
		o.StatementTimeout = DefaultStatementTimeout
	}
	if o.MaxPageSize <= 0 {
		o.MaxPageSize = DefaultMaxPageSize
	}
	if o.HeadRows <= 0 {
		o.HeadRows = DefaultHeadRows
	}
	if o.LoadTimeout <= 0 {
		o.LoadTimeout = DefaultLoadTimeout
	}
	if o.RecycleAfter == 0 {
		o.RecycleAfter = DefaultRecycleAfter
	}
	return o
}

// setupDirs resolves the data root and creates the staging folder.
func (s *Store) setupDirs(path string) error {
	if s.opts.DataRoot == "" {
		return fmt.Errorf("%w: data root is required", ErrInvalid)
	}
	root, err := resolveDir(s.opts.DataRoot)
	if err != nil {
		return fmt.Errorf("%w: data root: %v", ErrInvalid, err)
	}
	s.root = root
	if err := s.checkOutsideRoot(path); err != nil {
		return err
	}
	switch {
	case s.opts.StagingDir != "":
		s.staging = s.opts.StagingDir
	case path != "":
		s.staging = path + ".staging"
	default:
		dir, err := os.MkdirTemp("", "mrswarm-staging-")
		if err != nil {
			return err
		}
		s.staging, s.ownStage = dir, true
	}
	if err := os.MkdirAll(s.staging, 0o700); err != nil {
		return fmt.Errorf("staging folder: %w", err)
	}
	s.staging, err = resolveDir(s.staging)
	return err
}

// checkOutsideRoot refuses a database file inside the data root: user SQL may
// read any file there, and the database file and its write-ahead log hold
// every dataset, result and deleted row.
func (s *Store) checkOutsideRoot(path string) error {
	if path == "" {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(dir, filepath.Base(abs))
	}
	if within(s.root, abs) {
		return fmt.Errorf("%w: the database file %s lies inside the data root %s, where user SQL could read it "+
			"(and its write-ahead log): put the database (--db) outside the data root (--data-root)", ErrInvalid, abs, s.root)
	}
	return nil
}

func resolveDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	abs, err = filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		return "", fmt.Errorf("%s is not a directory", dir)
	}
	return abs, nil
}

// resolveFile makes path absolute and notes the database's own files, which
// user SQL must not read; "" (in memory) stays "".
func (s *Store) resolveFile(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		s.private = privateFiles(filepath.Join(dir, filepath.Base(abs)))
	}
	s.private = append(s.private, privateFiles(abs)...)
	if s.cwd, err = os.Getwd(); err != nil {
		return "", err
	}
	return abs, nil
}

// setup creates the metadata schema in a new database and notes the catalog
// name and DuckDB's reserved words.
func (s *Store) setup(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.QueryRowContext(ctx, "SELECT current_database()").Scan(&s.catalog); err != nil {
		return fmt.Errorf("catalog name: %w", err)
	}
	if err := s.applySchema(ctx, conn); err != nil {
		return err
	}
	if err := migrateDatasetTenants(ctx, conn); err != nil {
		return err
	}
	if err := s.loadKeywords(ctx, conn); err != nil {
		return err
	}
	return s.removeLeftovers(ctx, conn)
}

// applySchema runs the embedded schema files in file-name order.
func (s *Store) applySchema(ctx context.Context, conn *dbsql.Conn) error {
	names, err := fs.Glob(schemaFS, "schema/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		body, err := schemaFS.ReadFile(name)
		if err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("schema %s: %w", name, err)
		}
	}
	return nil
}

func (s *Store) loadKeywords(ctx context.Context, conn *dbsql.Conn) error {
	rows, err := conn.QueryContext(ctx,
		`SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category <> 'unreserved'`)
	if err != nil {
		return fmt.Errorf("keywords: %w", err)
	}
	defer rows.Close()
	s.keywords = map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return err
		}
		s.keywords[strings.ToLower(k)] = true
	}
	return rows.Err()
}

// removeLeftovers drops what a crash mid-load or mid-result can leave behind:
// staging tables, result tables without metadata and upload files.
func (s *Store) removeLeftovers(ctx context.Context, conn *dbsql.Conn) error {
	rows, err := conn.QueryContext(ctx, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_catalog = current_database() AND (
			(table_schema NOT IN ('mrswarm', 'results') AND starts_with(table_name, '_load_')) OR
			(table_schema = 'results' AND table_name NOT IN (SELECT handle FROM mrswarm.results)))`)
	if err != nil {
		return fmt.Errorf("find leftovers: %w", err)
	}
	var drops []string
	for rows.Next() {
		var schema, table string
		if err := rows.Scan(&schema, &table); err != nil {
			rows.Close()
			return err
		}
		drops = append(drops, "DROP TABLE IF EXISTS "+quoteIdent(schema)+"."+quoteIdent(table))
	}
	rows.Close()
	for _, q := range drops {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("remove leftovers: %w", err)
		}
	}
	uploads, _ := filepath.Glob(filepath.Join(s.staging, "upload-*"))
	for _, f := range uploads {
		os.Remove(f)
	}
	return rows.Err()
}

// Close closes the database; in-flight statements finish first.
func (s *Store) Close() error {
	s.ckpt.close()
	err := s.db.Close()
	s.removeStaging()
	return err
}

func (s *Store) removeStaging() {
	if s.ownStage {
		os.RemoveAll(s.staging)
	}
}

// DataRoot is the folder file loads and user SQL are confined to (absolute, symlinks resolved).
func (s *Store) DataRoot() string { return s.root }

// ResultTable is the fully qualified SQL name of a handle's table.
func (s *Store) ResultTable(handle string) string {
	return quoteIdent(s.catalog) + ".results." + quoteIdent(handle)
}

// TableRef is the fully qualified SQL name of dataset name's table in the
// schema of ctx's tenant: trusted SQL names tables this way so that no
// temporary table can shadow them and no tenant reaches another's.
func (s *Store) TableRef(ctx context.Context, name string) string {
	return quoteIdent(s.catalog) + "." + schemaOf(ctx) + "." + quoteIdent(name)
}

// withTimeout bounds ctx by the statement timeout.
func (s *Store) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.opts.StatementTimeout)
}
