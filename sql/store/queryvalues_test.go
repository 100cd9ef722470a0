package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestQueryValues: a tool's small query reads back its column names and the
// values as the driver scans them, and fails as SaveQuery fails: bad SQL is
// ErrInvalid, the statement timeout ErrTimeout, a cancelled caller's context
// context.Canceled.
func TestQueryValues(t *testing.T) {
	s := salesStore(t, Options{StatementTimeout: time.Second})
	names, rows, err := s.QueryValues(t.Context(), "SELECT count(*) AS n, avg(units)::DOUBLE AS mean, min(region) AS lo, NULL::VARCHAR AS none FROM sales WHERE units > ?", 5)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	var mean float64
	var lo string
	if err := s.db.QueryRowContext(t.Context(), "SELECT count(*), avg(units)::DOUBLE, min(region) FROM sales WHERE units > 5").Scan(&n, &mean, &lo); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"n", "mean", "lo", "none"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]any{{n, mean, lo, nil}}, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	slow := "SELECT sum(a.range * b.range) AS x FROM range(1000000) a, range(1000000) b"
	for _, c := range []struct {
		name, query string
		cancel      bool
		want        error
	}{
		{"invalid sql", "SELECT nope FROM sales", false, ErrInvalid},
		{"timeout", slow, false, ErrTimeout},
		{"canceled", slow, true, context.Canceled},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			if c.cancel {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				time.AfterFunc(50*time.Millisecond, cancel)
			}
			_, _, err := s.QueryValues(ctx, c.query)
			if !errors.Is(err, c.want) {
				t.Errorf("error = %v, want %v", err, c.want)
			}
		})
	}
}
