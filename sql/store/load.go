package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	dbsql "database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// source is a file to ingest and how to name it in messages and metadata.
type source struct {
	path    string // absolute path DuckDB reads
	display string // name used in messages: path under the data root, or the upload's filename
	origin  string // Dataset.Source
	format  Format
	size    int64
	mtime   int64
	fp      string
	opts    readOptions
	// hashing, when set, is the content hash still being computed while the
	// file loads; settle waits for it before fp is compared or stored.
	hashing <-chan hashResult
}

// hashResult is the outcome of hashing a file in the background.
type hashResult struct {
	h   hashed
	err error
}

// settle waits for a background hash and sets fp from it.
func (src *source) settle() error {
	if src.hashing == nil {
		return nil
	}
	r := <-src.hashing
	src.hashing = nil
	if r.err != nil {
		return fmt.Errorf("hash %s: %w", src.display, r.err)
	}
	src.fp = withOptions(r.h.fp, src.opts)
	return nil
}

// LoadFile loads a file under the data root as dataset name. A path is relative
// to the data root or absolute inside it; anything else is ErrPermission.
func (s *Store) LoadFile(ctx context.Context, name, path string, f Format, roles map[Role]string, opts ...ReadOption) (LoadResult, error) {
	start := time.Now()
	src, err := s.fileSource(name, path, f)
	if err == nil {
		src.opts, err = settle(opts)
	}
	if err != nil {
		return LoadResult{}, fmt.Errorf("load dataset %q: %w", name, err)
	}
	if res, ok := s.unchangedFile(ctx, name, src, roles, start); ok {
		return res, nil
	}
	// The content hash (the fingerprint) is computed while DuckDB reads the file:
	// it is needed only to recognise a reload of the same content and to record it.
	hctx, stop := context.WithCancel(ctx)
	hashing := make(chan hashResult, 1)
	go func() {
		h, err := hashFile(hctx, src.path)
		hashing <- hashResult{h, err}
	}()
	src.hashing = hashing
	defer func() { stop(); src.settle() }() // the hash goroutine ends before LoadFile returns
	res, err := s.loadSource(ctx, name, &src, roles, start)
	res.BytesRead = src.size
	return res, err
}

// fileSource validates the name, confines path to the data root and picks the format.
func (s *Store) fileSource(name, path string, f Format) (source, error) {
	if err := s.checkName(name); err != nil {
		return source{}, err
	}
	abs, rel, err := s.confine(path)
	if err != nil {
		return source{}, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return source{}, fmt.Errorf("%w: %s: %v", ErrNotFound, rel, err)
	}
	if !st.Mode().IsRegular() {
		return source{}, fmt.Errorf("%w: %s is not a regular file", ErrInvalid, rel)
	}
	format, err := pickFormat(f, abs)
	if err != nil {
		return source{}, fmt.Errorf("%s: %w", rel, err)
	}
	return source{path: abs, display: rel, origin: rel, format: format,
		size: st.Size(), mtime: st.ModTime().UnixNano()}, nil
}

// confine resolves path (relative to the data root, or absolute) with symlinks and
// returns it with its slash path relative to the root; outside the root is ErrPermission.
func (s *Store) confine(path string) (abs, rel string, err error) {
	if path == "" {
		return "", "", fmt.Errorf("%w: empty path", ErrInvalid)
	}
	p := path
	if !filepath.IsAbs(p) {
		p = filepath.Join(s.root, p)
	}
	p = filepath.Clean(p)
	if !within(s.root, p) {
		return "", "", fmt.Errorf("%w: %q is outside the data root", ErrPermission, path)
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", "", fmt.Errorf("%w: %q: %v", ErrNotFound, path, errors.Unwrap(err))
	}
	if !within(s.root, real) {
		return "", "", fmt.Errorf("%w: %q resolves outside the data root", ErrPermission, path)
	}
	r, _ := filepath.Rel(s.root, real)
	return real, filepath.ToSlash(r), nil
}

func within(root, p string) bool {
	r, err := filepath.Rel(root, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r)
}

// pickFormat returns f, or the format named by the file extension when f is FormatAuto.
func pickFormat(f Format, path string) (Format, error) {
	switch f {
	case FormatCSV, FormatParquet, FormatJSON, FormatXLSX:
		return f, nil
	case FormatAuto:
	default:
		return "", fmt.Errorf("%w: unknown format %q (csv, parquet, json, xlsx)", ErrInvalid, f)
	}
	base := strings.ToLower(filepath.Base(path))
	for _, z := range []string{".gz", ".zst"} { // DuckDB decompresses these itself
		base = strings.TrimSuffix(base, z)
	}
	switch filepath.Ext(base) {
	case ".csv", ".tsv", ".txt":
		return FormatCSV, nil
	case ".parquet", ".pq":
		return FormatParquet, nil
	case ".json", ".jsonl", ".ndjson":
		return FormatJSON, nil
	case ".xlsx":
		return FormatXLSX, nil
	}
	return "", fmt.Errorf("%w: unknown format of %q: use a .csv, .tsv, .csv.gz, .xlsx, .parquet or .json file or name the format", ErrInvalid, filepath.Base(path))
}

// unchangedFile reports a cache hit without reading the file when the dataset
// was loaded from the same path with the same size and modification time.
func (s *Store) unchangedFile(ctx context.Context, name string, src source, roles map[Role]string, start time.Time) (LoadResult, bool) {
	rec, err := s.datasetRecord(ctx, s.db, name)
	if err != nil || rec.srcPath != src.path || rec.srcSize != src.size || rec.srcMtime != src.mtime ||
		src.opts.key() != "" {
		return LoadResult{}, false
	}
	ds := rec.Dataset
	if len(roles) > 0 {
		if ds, err = s.SetRoles(ctx, name, roles); err != nil {
			return LoadResult{}, false
		}
	}
	return LoadResult{Dataset: ds, CacheHit: true, Duration: time.Since(start)}, true
}

type hashed struct {
	fp string
	n  int64
}

func hashFile(ctx context.Context, path string) (hashed, error) {
	f, err := os.Open(path)
	if err != nil {
		return hashed{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, f})
	if err != nil {
		return hashed{}, err
	}
	return hashed{hex.EncodeToString(h.Sum(nil)), n}, nil
}

// ctxReader stops a copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// LoadReader loads streamed bytes as dataset name; filename helps infer the format.
// The bytes go to a file in the staging folder, hashed on the way, then load like a file.
func (s *Store) LoadReader(ctx context.Context, name, filename string, f Format, r io.Reader, roles map[Role]string, opts ...ReadOption) (LoadResult, error) {
	start := time.Now()
	if err := s.checkName(name); err != nil {
		return LoadResult{}, fmt.Errorf("load dataset %q: %w", name, err)
	}
	ro, err := settle(opts)
	if err != nil {
		return LoadResult{}, fmt.Errorf("load dataset %q: %w", name, err)
	}
	format, err := pickFormat(f, filename)
	if err != nil {
		return LoadResult{}, fmt.Errorf("load dataset %q: %w", name, err)
	}
	display := filepath.Base(filename)
	if filename == "" {
		display = "upload"
	}
	tmp, read, err := s.spool(ctx, r, format)
	if tmp != "" {
		defer os.Remove(tmp)
	}
	if err != nil {
		return LoadResult{}, fmt.Errorf("load dataset %q from %s: %w", name, display, err)
	}
	src := source{path: tmp, display: display, origin: "upload", format: format,
		fp: withOptions(read.fp, ro), size: read.n, opts: ro}
	res, err := s.loadSource(ctx, name, &src, roles, start)
	res.BytesRead = read.n
	return res, err
}

// spool copies r into a new staging file, hashing it on the way.
func (s *Store) spool(ctx context.Context, r io.Reader, f Format) (string, hashed, error) {
	file, err := os.CreateTemp(s.staging, "upload-*."+string(f))
	if err != nil {
		return "", hashed{}, err
	}
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(file, h), 1<<20)
	n, err := io.Copy(w, ctxReader{ctx, r})
	if err == nil {
		err = w.Flush()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	return file.Name(), hashed{hex.EncodeToString(h.Sum(nil)), n}, err
}

// loadSource is the shared tail of both loads: a hit when the fingerprint is
// unchanged, else ingest into a staging table and swap it in atomically.
// Only loads of the same name wait for each other; each ingest is bounded by
// the load timeout.
func (s *Store) loadSource(ctx context.Context, name string, src *source, roles map[Role]string, start time.Time) (LoadResult, error) {
	defer s.names.lock(name)()
	old, err := s.datasetRecord(ctx, s.db, name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return LoadResult{}, err
	}
	if err == nil { // a reload: the same content is a hit, so the hash decides first
		if err := src.settle(); err != nil {
			return LoadResult{}, fmt.Errorf("load dataset %q: %w", name, err)
		}
		if old.Fingerprint == src.fp {
			return s.hit(ctx, old, *src, roles, start)
		}
	}
	if src.format == FormatJSON {
		if err := checkJSONDepth(src.path, src.display); err != nil {
			return LoadResult{}, fmt.Errorf("load dataset %q: %w", name, err)
		}
	}
	lctx, cancel := context.WithTimeout(ctx, s.opts.LoadTimeout)
	defer cancel()
	ds, err := s.ingest(lctx, name, src, roles, start)
	if err != nil && ctx.Err() == nil && errors.Is(lctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("%w: the load took longer than the load timeout (%v); raise --load-timeout (MRSWARM_LOAD_TIMEOUT) "+
			"or load a smaller file", ErrTimeout, s.opts.LoadTimeout)
	}
	if err != nil {
		return LoadResult{}, fmt.Errorf("load dataset %q from %s: %w", name, src.display, err)
	}
	return LoadResult{Dataset: ds, Duration: time.Since(start)}, nil
}

// hit records the file's identity (so the next load of it reads nothing) and
// applies role overrides; the table is not touched.
func (s *Store) hit(ctx context.Context, rec datasetRecord, src source, roles map[Role]string, start time.Time) (LoadResult, error) {
	merged, err := applyRoles(rec.Columns, rec.Roles, roles)
	if err != nil {
		return LoadResult{}, fmt.Errorf("load dataset %q: %w", rec.Name, err)
	}
	rec.Roles, rec.Columns = merged, withRoles(rec.Columns, merged)
	if src.origin != "upload" {
		rec.srcPath, rec.srcSize, rec.srcMtime = src.path, src.size, src.mtime
	}
	if err := s.datasetTx(ctx, func(tx *dbsql.Tx) error { return putDataset(ctx, tx, rec) }); err != nil {
		return LoadResult{}, fmt.Errorf("load dataset %q: %w", rec.Name, err)
	}
	return LoadResult{Dataset: rec.Dataset, CacheHit: true, Duration: time.Since(start)}, nil
}

// readerSQL is the table function that reads src.
// opts are extra read_csv options (", name = value").
func readerSQL(src source, opts string) (string, error) {
	p := quoteLit(src.path)
	switch src.format {
	case FormatCSV:
		args, err := csvArgs(src, opts)
		if err != nil {
			return "", err
		}
		return "read_csv(" + p + args + ")", nil
	case FormatParquet:
		return fmt.Sprintf("read_parquet(%s)", p), nil
	case FormatJSON:
		comp, err := compression(src.path)
		if err != nil {
			return "", err
		}
		if comp == "none" {
			return fmt.Sprintf("read_json_auto(%s)", p), nil
		}
		return fmt.Sprintf("read_json_auto(%s, compression = %s)", p, quoteLit(comp)), nil
	}
	return "", fmt.Errorf("%w: unknown format %q", ErrInvalid, src.format)
}

// csvArgs are the options after the path that read_csv (and sniff_csv) read
// the CSV src with; opts are extra options (", name = value").
func csvArgs(src source, opts string) (string, error) {
	delim, err := sniffDelim(src.path)
	if err != nil {
		return "", err
	}
	comp, err := compression(src.path)
	if err != nil {
		return "", err
	}
	// Only ISO dates are typed by the reader; other date forms stay text and
	// are read by the cleaning pass, which decides day/month order from the values.
	return fmt.Sprintf(", header = true, skip = 0, quote = '\"', escape = '\"', strict_mode = true, ignore_errors = false, "+
		"null_padding = false, delim = %s, compression = %s, dateformat = '%%Y-%%m-%%d', decimal_separator = %s%s",
		quoteLit(delim), quoteLit(comp), quoteLit(readerDecimal(src.opts, delim)), opts), nil
}

// withOptions mixes non-default read options into a content fingerprint.
func withOptions(fp string, o readOptions) string {
	if o.key() == "" {
		return fp
	}
	h := sha256.Sum256([]byte(fp + "\x00" + o.key()))
	return hex.EncodeToString(h[:])
}

// readerDecimal is the decimal separator the CSV reader parses numbers with:
// the option, else "," in a file separated by ";" (as European exports are),
// else ".". Numbers it cannot parse stay text for the cleaning pass.
func readerDecimal(o readOptions, delim string) string {
	switch {
	case o.decimal != "":
		return o.decimal
	case delim == ";":
		return ","
	}
	return "."
}
