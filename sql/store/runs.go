package store

import (
	"context"
	dbsql "database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// RunRecord is a persisted pipeline run. Data is the pipeline package's JSON of the run.
type RunRecord struct {
	Tenant     string // owner ("" is the default tenant)
	ID         string
	Status     string
	Dataset    string
	Pipeline   string
	CreatedAt  time.Time
	FinishedAt time.Time // zero while running
	Data       []byte
	// Stored says the run's first record was written by an earlier batch, so
	// this one updates it (see [RunBatch]).
	Stored bool
}

// StepRecord is a persisted step of a run. Data is the pipeline package's JSON of the step.
type StepRecord struct {
	RunID     string
	StepID    string
	Status    string
	MemoKey   string
	UpdatedAt time.Time
	Data      []byte
}

// EventRecord is one persisted, numbered event of a run.
type EventRecord struct {
	RunID string
	Seq   int64
	Type  string
	Time  time.Time
	Data  []byte
}

// nullTime maps the zero time to SQL NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// runTenant is the owner of r, the default tenant when unset.
func runTenant(r RunRecord) string {
	if r.Tenant == "" {
		return DefaultTenant
	}
	return r.Tenant
}

// placeholders returns n comma-separated "?" (at least one, so "IN ()" never occurs).
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", max(n, 1)), ", ")
}

const runColumns = `tenant, id, status, dataset, pipeline, created_at, finished_at, data`

func scanRun(sc interface{ Scan(...any) error }) (RunRecord, error) {
	var r RunRecord
	var fin dbsql.NullTime
	var data string
	if err := sc.Scan(&r.Tenant, &r.ID, &r.Status, &r.Dataset, &r.Pipeline, &r.CreatedAt, &fin, &data); err != nil {
		return RunRecord{}, err
	}
	r.FinishedAt, r.Data = fin.Time, []byte(data)
	return r, nil
}

// Run returns one run; an unknown id wraps ErrNotFound.
func (s *Store) Run(ctx context.Context, id string) (RunRecord, error) {
	q, args := `SELECT `+runColumns+` FROM mrswarm.runs WHERE id = ?`, []any{id}
	if t, ok := tenantScoped(ctx); ok {
		q, args = q+` AND tenant = ?`, append(args, t)
	}
	row := s.db.QueryRowContext(ctx, q, args...)
	r, err := scanRun(row)
	if errors.Is(err, dbsql.ErrNoRows) {
		return RunRecord{}, fmt.Errorf("run %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return RunRecord{}, fmt.Errorf("run %q: %w", id, err)
	}
	return r, nil
}

// RunVisible reports whether a run owned by owner ("" is the default tenant)
// is one [Store.Runs] lists for ctx: any run without a tenant in ctx, else
// only that tenant's.
func RunVisible(ctx context.Context, owner string) bool {
	t, ok := tenantScoped(ctx)
	return !ok || t == runTenant(RunRecord{Tenant: owner})
}

// Runs lists up to limit runs (all when limit <= 0), newest first; with statuses set,
// only runs in one of them.
func (s *Store) Runs(ctx context.Context, limit int, statuses ...string) ([]RunRecord, error) {
	q, args := `SELECT `+runColumns+` FROM mrswarm.runs WHERE true`, []any{}
	if t, ok := tenantScoped(ctx); ok {
		q, args = q+` AND tenant = ?`, append(args, t)
	}
	if len(statuses) > 0 {
		q += ` AND status IN (` + placeholders(len(statuses)) + `)`
		for _, st := range statuses {
			args = append(args, st)
		}
	}
	q += ` ORDER BY created_at DESC, id`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []RunRecord
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

const stepColumns = `run_id, step_id, status, memo_key, updated_at, data`

func scanStep(sc interface{ Scan(...any) error }) (StepRecord, error) {
	var r StepRecord
	var data string
	err := sc.Scan(&r.RunID, &r.StepID, &r.Status, &r.MemoKey, &r.UpdatedAt, &data)
	r.Data = []byte(data)
	return r, err
}

// Steps returns the stored steps of a run in no particular order.
func (s *Store) Steps(ctx context.Context, runID string) ([]StepRecord, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT `+stepColumns+` FROM mrswarm.run_steps WHERE run_id = ?`, runID)
	if err != nil {
		return nil, fmt.Errorf("steps of run %q: %w", runID, err)
	}
	defer rows.Close()
	var out []StepRecord
	for rows.Next() {
		r, err := scanStep(rows)
		if err != nil {
			return nil, fmt.Errorf("steps of run %q: %w", runID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// MemoStep returns the newest step stored with memoKey in one of statuses;
// none wraps ErrNotFound.
func (s *Store) MemoStep(ctx context.Context, memoKey string, statuses ...string) (StepRecord, error) {
	args := []any{memoKey, TenantOf(ctx)}
	for _, st := range statuses {
		args = append(args, st)
	}
	row := s.db.QueryRowContext(ctx, `SELECT `+stepColumns+` FROM mrswarm.run_steps
		WHERE memo_key = ? AND run_id IN (SELECT id FROM mrswarm.runs WHERE tenant = ?)
		AND status IN (`+placeholders(len(statuses))+`)
		ORDER BY updated_at DESC LIMIT 1`, args...)
	r, err := scanStep(row)
	if errors.Is(err, dbsql.ErrNoRows) {
		return StepRecord{}, fmt.Errorf("memo %q: %w", memoKey, ErrNotFound)
	}
	if err != nil {
		return StepRecord{}, fmt.Errorf("memo %q: %w", memoKey, err)
	}
	return r, nil
}

// Events returns the events of a run with seq > afterSeq, in seq order.
func (s *Store) Events(ctx context.Context, runID string, afterSeq int64) ([]EventRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, seq, type, time, data FROM mrswarm.run_events
		WHERE run_id = ? AND seq > ? ORDER BY seq`, runID, afterSeq)
	if err != nil {
		return nil, fmt.Errorf("events of run %q: %w", runID, err)
	}
	defer rows.Close()
	var out []EventRecord
	for rows.Next() {
		var e EventRecord
		var data string
		if err := rows.Scan(&e.RunID, &e.Seq, &e.Type, &e.Time, &data); err != nil {
			return nil, fmt.Errorf("events of run %q: %w", runID, err)
		}
		e.Data = []byte(data)
		out = append(out, e)
	}
	return out, rows.Err()
}

// LastEventSeq returns the highest stored seq of a run (0 when it has none).
func (s *Store) LastEventSeq(ctx context.Context, runID string) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx,
		`SELECT coalesce(max(seq), 0) FROM mrswarm.run_events WHERE run_id = ?`, runID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("last event of run %q: %w", runID, err)
	}
	return n, nil
}

// RunBatch is a set of run writes stored in one transaction. It is the only
// way runs, steps and events are written; the pipeline's run log batches them.
//
// Runs holds run records: those with Stored set update the stored record of
// their run, the others are a run's first record. A step record is written
// once, when the step is final, and events are appended. Plain INSERTs and
// an UPDATE by key cost DuckDB a fraction of an upsert's conflict handling,
// so those are what a batch runs; a batch that still meets a stored key (a
// step written twice, a first record of a stored run) is written again with
// upserts, where the last record per key wins.
type RunBatch struct {
	Runs   []RunRecord
	Steps  []StepRecord
	Events []EventRecord
	// Results are results saved by SaveRowsDeferred, written with the records
	// that cite them.
	Results []*Pending
}

// Len is the number of records in b.
func (b RunBatch) Len() int { return len(b.Runs) + len(b.Steps) + len(b.Events) + len(b.Results) }

// WriteRunBatch stores b in one transaction.
func (s *Store) WriteRunBatch(ctx context.Context, b RunBatch) error {
	if b.Len() == 0 {
		return nil
	}
	if len(b.Results) > 0 {
		s.deferredMu.Lock()
		defer s.deferredMu.Unlock()
	}
	gen := s.results.generation() // before the rows are visible: see resultCache.keepStored
	err := s.writeRunTx(ctx, b, false)
	if errors.Is(err, errStoredKey) {
		err = s.writeRunTx(ctx, b, true)
	}
	if err != nil {
		return fmt.Errorf("write runs: %w", err)
	}
	if len(b.Results) > 0 {
		s.stored(b.Results, gen)
		s.retain(ctx, "")
	}
	return nil
}

// errStoredKey is a plain INSERT meeting a key that is stored already.
var errStoredKey = errors.New("store: key stored already")

// writeRunTx writes b in one transaction, with upserts when upsert is set.
func (s *Store) writeRunTx(ctx context.Context, b RunBatch, upsert bool) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.writePending(ctx, tx, b.Results, upsert); err != nil {
		if !upsert && isConstraintError(err) {
			return fmt.Errorf("%w: results: %w", errStoredKey, err)
		}
		return fmt.Errorf("results: %w", err)
	}
	if err := writeRunBatch(ctx, tx, b, upsert); err != nil {
		if !upsert && isConstraintError(err) {
			return fmt.Errorf("%w: %w", errStoredKey, err)
		}
		return err
	}
	return tx.Commit()
}

// isConstraintError reports DuckDB's duplicate-key error.
func isConstraintError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Constraint Error") || strings.Contains(msg, "Duplicate key")
}

// batchRows is the most rows one INSERT of writeRunBatch carries.
const batchRows = 200

// writeRunBatch writes each kind of record with one multi-row INSERT per
// batchRows rows (a statement costs DuckDB far more than a row does) and
// updates stored runs by key; with upsert, every run and step is upserted.
func writeRunBatch(ctx context.Context, tx *dbsql.Tx, b RunBatch, upsert bool) error {
	runs := lastPerKey(b.Runs, func(r RunRecord) string { return r.ID })
	if err := writeRuns(ctx, tx, runs, upsert); err != nil {
		return fmt.Errorf("runs: %w", err)
	}
	steps := lastPerKey(b.Steps, func(r StepRecord) string { return r.RunID + "\x00" + r.StepID })
	verb := `INSERT`
	if upsert {
		verb = `INSERT OR REPLACE`
	}
	err := insertMany(ctx, tx, verb+` INTO mrswarm.run_steps (`+stepColumns+`) VALUES `, 6, steps,
		func(r StepRecord) []any {
			return []any{r.RunID, r.StepID, r.Status, r.MemoKey, r.UpdatedAt.UTC(), string(r.Data)}
		})
	if err != nil {
		return fmt.Errorf("steps: %w", err)
	}
	err = insertMany(ctx, tx, `INSERT INTO mrswarm.run_events (run_id, seq, type, time, data) VALUES `, 5, b.Events,
		func(e EventRecord) []any { return []any{e.RunID, e.Seq, e.Type, e.Time.UTC(), string(e.Data)} })
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	return nil
}

// writeRuns inserts first records and updates stored ones (upserts all with
// upsert). A batch holding a run's first and later records writes the last
// as its first.
func writeRuns(ctx context.Context, tx *dbsql.Tx, runs []RunRecord, upsert bool) error {
	values := func(r RunRecord) []any {
		return []any{runTenant(r), r.ID, r.Status, r.Dataset, r.Pipeline, r.CreatedAt.UTC(), nullTime(r.FinishedAt), string(r.Data)}
	}
	if upsert {
		return insertMany(ctx, tx, `INSERT OR REPLACE INTO mrswarm.runs (`+runColumns+`) VALUES `, 8, runs, values)
	}
	var fresh []RunRecord
	for _, r := range runs {
		if !r.Stored {
			fresh = append(fresh, r)
			continue
		}
		res, err := tx.ExecContext(ctx, `UPDATE mrswarm.runs SET status = ?, finished_at = ?, data = ? WHERE id = ?`,
			r.Status, nullTime(r.FinishedAt), string(r.Data), r.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			fresh = append(fresh, r) // its first record never reached storage
		}
	}
	return insertMany(ctx, tx, `INSERT INTO mrswarm.runs (`+runColumns+`) VALUES `, 8, fresh, values)
}

// lastPerKey keeps the last record of each key, in the order of those last records:
// an upsert of the same key twice in one statement is an error in DuckDB.
func lastPerKey[R any](rs []R, key func(R) string) []R {
	last := make(map[string]int, len(rs))
	for i, r := range rs {
		last[key(r)] = i
	}
	out := make([]R, 0, len(last))
	for i, r := range rs {
		if last[key(r)] == i {
			out = append(out, r)
		}
	}
	return out
}

// insertMany runs insert (ending in "VALUES ") over rs in tx.
func insertMany[R any](ctx context.Context, tx *dbsql.Tx, insert string, cols int, rs []R, args func(R) []any) error {
	return insertManyWith(ctx, tx, insert, cols, rs, args)
}

// insertManyWith runs insert (ending in "VALUES ") over rs, batchRows rows a
// statement, each row's cols values given by args.
func insertManyWith[R any](ctx context.Context, tx execer, insert string, cols int, rs []R, args func(R) []any) error {
	mark := "(" + placeholders(cols) + ")"
	for start := 0; start < len(rs); start += batchRows {
		chunk := rs[start:min(start+batchRows, len(rs))]
		vals := make([]any, 0, len(chunk)*cols)
		for _, r := range chunk {
			vals = append(vals, args(r)...)
		}
		marks := strings.TrimSuffix(strings.Repeat(mark+", ", len(chunk)), ", ")
		if _, err := tx.ExecContext(ctx, insert+marks, vals...); err != nil {
			return fmt.Errorf("rows %d to %d: %w", start, start+len(chunk)-1, err)
		}
	}
	return nil
}
