package store

import (
	"fmt"
	"testing"
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
