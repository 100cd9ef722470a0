package store

import (
	"fmt"
	"testing"
	"time"
)

// TestHoldKeepsFromRetention: a held result survives passes that evict every
// other result over the budget, holds nest, and once released it goes like any.
func TestHoldKeepsFromRetention(t *testing.T) {
	s := newStore(t, Options{Retention: Retention{MaxBytes: 4 << 10}})
	ctx := t.Context()
	save := func(i int) string {
		t.Helper()
		sum, err := s.SaveQuery(ctx, "test", "", fmt.Sprintf("SELECT range AS n, %d AS i, repeat('x', 40) AS pad FROM range(200)", i))
		if err != nil {
			t.Fatal(err)
		}
		return sum.Handle
	}
	exists := func(h string) bool {
		_, err := s.Result(ctx, h)
		return err == nil
	}
	held := save(0)
	release := s.Hold(held)
	again := s.Hold(held) // a second holder, e.g. a dependent step
	for i := 1; i <= 5; i++ {
		save(i)
	}
	if s.Evictions() == 0 {
		t.Fatal("nothing was evicted: the budget does not bind")
	}
	if !exists(held) {
		t.Fatal("a held result was evicted")
	}
	release()
	release() // a second call does nothing
	save(6)
	if !exists(held) {
		t.Fatal("the result was evicted while its second holder still held it")
	}
	again()
	for i := 7; i <= 9; i++ {
		save(i)
	}
	if exists(held) {
		t.Error("a released result, least recently used, outlived the budget")
	}
}

// TestReadsRecordUseOncePerInterval: reading a result records its last use at
// most once per interval, without asking DuckDB in between, and a read after
// the interval moves last_used on, as least-recently-used eviction needs.
func TestReadsRecordUseOncePerInterval(t *testing.T) {
	s := newStore(t, Options{})
	s.touches.every = 300 * time.Millisecond
	ctx := t.Context()
	sum, err := s.SaveQuery(ctx, "test", "", "SELECT range AS n FROM range(3)")
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() time.Time {
		t.Helper()
		var at time.Time
		if err := s.db.QueryRowContext(ctx, `SELECT last_used FROM mrswarm.results WHERE handle = ?`, sum.Handle).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	read := func() {
		t.Helper()
		if _, err := s.Result(ctx, sum.Handle); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetPage(ctx, sum.Handle, 0, 2, false); err != nil {
			t.Fatal(err)
		}
	}
	stored, writes := lastUsed(), s.touches.writes.Load()
	for range 3 {
		read() // within the interval since it was stored
	}
	if n := s.touches.writes.Load() - writes; n != 0 {
		t.Errorf("reads right after the result was stored wrote last_used %d times, want 0", n)
	}
	time.Sleep(s.touches.every + 50*time.Millisecond)
	for range 3 {
		read()
	}
	if n := s.touches.writes.Load() - writes; n != 1 {
		t.Errorf("reads after the interval wrote last_used %d times, want 1", n)
	}
	if got := lastUsed(); !got.After(stored) {
		t.Errorf("last_used after a read past the interval = %v, want after %v (when it was stored)", got, stored)
	}
}
