package store

import (
	"context"
	dbsql "database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Retention bounds the results the store keeps. Results a run cites (its
// steps' and report's handles), held ones ([Store.Hold]) and pinned ones are
// always kept; the others
// are evicted least recently used first while their estimated bytes exceed
// MaxBytes, and once unused for MaxAge. Zero fields set no bound.
type Retention struct {
	MaxBytes int64
	MaxAge   time.Duration
}

// touchEvery is how stale a result's last_used may get before a read updates it.
const touchEvery = time.Minute

// citedHandles selects every handle that run data mentions: the pipeline owns
// that JSON, so the store finds handles by their shape. If the tables are
// missing the query fails and nothing is evicted.
const citedHandles = `SELECT DISTINCT unnest(regexp_extract_all(data, 'res_[0-9a-f]{8}')) AS handle FROM mrswarm.runs
	UNION SELECT DISTINCT unnest(regexp_extract_all(data, 'res_[0-9a-f]{8}')) FROM mrswarm.run_steps`

// Evictions is the number of results the retention policy has removed since Open.
func (s *Store) Evictions() int64 { return s.evictions.Load() }

// retain evicts results outside the retention budget, never keep (the result
// just stored). It runs one cheap aggregate when nothing is over budget; a
// failure leaves every result in place.
func (s *Store) retain(ctx context.Context, keep string) {
	r := s.opts.Retention
	if r.MaxBytes <= 0 && r.MaxAge <= 0 || !s.retainMu.TryLock() {
		return
	}
	defer s.retainMu.Unlock()
	ctx = context.WithoutCancel(ctx)
	now := time.Now().UTC()
	if !s.overBudget(ctx, now) {
		return
	}
	victims, err := s.evictionCandidates(ctx, now, keep)
	if err != nil {
		return
	}
	for _, h := range victims {
		if err := s.evict(ctx, h, now); err == nil {
			s.evictions.Add(1)
		}
	}
}

// overBudget reports whether unpinned results exceed the byte budget or
// include one unused for longer than the age limit.
func (s *Store) overBudget(ctx context.Context, now time.Time) bool {
	var total dbsql.NullInt64
	var oldest dbsql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT sum(bytes), min(coalesce(last_used, created_at))
		FROM mrswarm.results WHERE NOT coalesce(pinned, false)`).Scan(&total, &oldest)
	if err != nil {
		return false
	}
	r := s.opts.Retention
	return r.MaxBytes > 0 && total.Int64 > r.MaxBytes ||
		r.MaxAge > 0 && oldest.Valid && oldest.Time.Before(now.Add(-r.MaxAge))
}

// Hold keeps handles from retention until release is called (once; later
// calls do nothing), whether or not a stored run cites them: a run holds the
// results it made until its records, which cite them, are stored. Holds nest.
func (s *Store) Hold(handles ...string) (release func()) {
	s.holdMu.Lock()
	if s.held == nil {
		s.held = map[string]int{}
	}
	for _, h := range handles {
		s.held[h]++
	}
	s.holdMu.Unlock()
	return sync.OnceFunc(func() {
		s.holdMu.Lock()
		defer s.holdMu.Unlock()
		for _, h := range handles {
			if s.held[h]--; s.held[h] <= 0 {
				delete(s.held, h)
			}
		}
	})
}

// isHeld reports whether a caller of Hold keeps h.
func (s *Store) isHeld(h string) bool {
	s.holdMu.Lock()
	defer s.holdMu.Unlock()
	return s.held[h] > 0
}

// evictionCandidates lists the unpinned, uncited results outside the budget:
// walking from the most recently used, those past the byte budget or the age limit.
func (s *Store) evictionCandidates(ctx context.Context, now time.Time, keep string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `WITH cited AS (`+citedHandles+`)
		SELECT handle, bytes, coalesce(last_used, created_at) AS used FROM mrswarm.results
		WHERE NOT coalesce(pinned, false) AND handle <> ? AND handle NOT IN (SELECT handle FROM cited)
		ORDER BY used DESC, handle`, keep)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	r := s.opts.Retention
	var out []string
	var sum int64
	for rows.Next() {
		var h string
		var n int64
		var used time.Time
		if err := rows.Scan(&h, &n, &used); err != nil {
			return nil, err
		}
		if s.isHeld(h) { // kept like a cited result: not counted against the budget
			continue
		}
		sum += n
		if r.MaxBytes > 0 && sum > r.MaxBytes || r.MaxAge > 0 && used.Before(now.Add(-r.MaxAge)) {
			out = append(out, h)
		}
	}
	return out, rows.Err()
}

// evict drops a result's table and metadata and leaves a tombstone.
func (s *Store) evict(ctx context.Context, h string, now time.Time) error {
	defer s.results.forget(h) // once the transaction has ended
	return s.inTx(ctx, func(tx *dbsql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+s.ResultTable(h)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM mrswarm.results WHERE handle = ?`, h); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO mrswarm.evicted VALUES (?, ?)`, h, now)
		return err
	})
}

// SetPinned pins a result (retention never evicts it) or unpins it (the next
// retention pass may evict it again, by its last use). An unknown or evicted
// handle, or one of another tenant, is ErrNotFound.
func (s *Store) SetPinned(ctx context.Context, handle string, pinned bool) error {
	op := map[bool]string{true: "pin", false: "unpin"}[pinned]
	if _, err := s.Result(ctx, handle); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	// A result its run log's batch has not yet written has no row to update:
	// write it now (the batch then skips it).
	if err := s.flushPending(ctx, handle); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer s.results.forget(handle) // once the update has ended
	if _, err := s.db.ExecContext(ctx, `UPDATE mrswarm.results SET pinned = ? WHERE handle = ? AND tenant = ?`,
		pinned, handle, TenantOf(ctx)); err != nil {
		return fmt.Errorf("%s result %q: %w", op, handle, err)
	}
	return nil
}

// touch records that a result was read, at most once per touchEvery: a read
// within touchEvery of the last one this process recorded (or of storing the
// result) writes nothing, without asking DuckDB, whose UPDATE cost ~0.5 ms
// here even when it changed no row (BenchmarkResultRead).
func (s *Store) touch(ctx context.Context, h string) {
	now := time.Now().UTC()
	if !s.touches.due(h, now) {
		return
	}
	_, _ = s.db.ExecContext(ctx, `UPDATE mrswarm.results SET last_used = ?
		WHERE handle = ? AND (last_used IS NULL OR last_used < ?)`, now, h, now.Add(-s.touches.interval()))
	s.touches.writes.Add(1)
}

// touches remembers when each result's last_used was last written, by handle.
type touches struct {
	mu     sync.Mutex           // guards at
	every  time.Duration        // touchEvery; tests shorten it
	at     map[string]time.Time // at most maxTouches entries
	writes atomic.Int64         // UPDATEs issued
}

// maxTouches bounds the handles touches remembers; past it, those older
// than every are forgotten, or all of them.
const maxTouches = 1024

// stored records that h was just stored, its last_used set to at.
func (t *touches) stored(h string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.setLocked(h, at)
}

// due reports whether a read of h at now should write its last_used, and if
// so records now as written.
func (t *touches) due(h string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if last, ok := t.at[h]; ok && now.Sub(last) < t.interval() {
		return false
	}
	t.setLocked(h, now)
	return true
}

func (t *touches) setLocked(h string, at time.Time) {
	if t.at == nil {
		t.at = map[string]time.Time{}
	}
	if len(t.at) >= maxTouches {
		for k, v := range t.at {
			if at.Sub(v) >= t.interval() {
				delete(t.at, k)
			}
		}
		if len(t.at) >= maxTouches {
			clear(t.at)
		}
	}
	t.at[h] = at
}

func (t *touches) interval() time.Duration {
	if t.every > 0 {
		return t.every
	}
	return touchEvery
}

// missing is the error for a handle without metadata: NotFound, saying when
// the retention policy evicted it if it did.
func (s *Store) missing(ctx context.Context, h string) error {
	var at time.Time
	err := s.db.QueryRowContext(ctx, `SELECT evicted_at FROM mrswarm.evicted WHERE handle = ?`, h).Scan(&at)
	if errors.Is(err, dbsql.ErrNoRows) || err != nil {
		return fmt.Errorf("result %q: %w", h, ErrNotFound)
	}
	return fmt.Errorf("result %q: %w: it expired and was evicted at %s by the result retention policy "+
		"(--result-max-bytes, --result-max-age); run the query again", h, ErrNotFound, at.UTC().Format(time.RFC3339))
}
