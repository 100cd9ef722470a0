package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Facts derived from a dataset's content are kept by content fingerprint
// across a restart, are never returned for other content, and go with the
// content: a load that replaces the dataset and dropping it remove them.
func TestDatasetFacts(t *testing.T) {
	ctx := t.Context()
	dir, dbPath := t.TempDir(), filepath.Join(t.TempDir(), "db.duckdb")
	writeFile(t, dir, "a.csv", "brand,units\nA,1\nB,2\n")
	writeFile(t, dir, "b.csv", "brand,units\nC,3\n")
	s, err := Open(ctx, dbPath, Options{DataRoot: dir})
	if err != nil {
		t.Fatal(err)
	}
	load := func(s *Store, file string) Dataset {
		t.Helper()
		res, err := s.LoadFile(ctx, "x", file, FormatCSV, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res.Dataset
	}
	factsOf := func(t *testing.T, ctx context.Context, s *Store, fp string) map[string]string {
		t.Helper()
		got, err := s.DatasetFacts(ctx, "x", fp)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	facts := func(s *Store, fp string) map[string]string {
		t.Helper()
		return factsOf(t, ctx, s, fp)
	}
	a := load(s, "a.csv")
	if err := s.PutDatasetFacts(ctx, "x", a.Fingerprint, map[string]string{"brands": `["A","B"]`, "n": "2"}); err != nil {
		t.Fatal(err)
	}
	// A key already kept keeps its value.
	if err := s.PutDatasetFacts(ctx, "x", a.Fingerprint, map[string]string{"n": "3"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"brands": `["A","B"]`, "n": "2"}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(ctx, dbPath, Options{DataRoot: dir}); err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	if diff := cmp.Diff(want, facts(s, a.Fingerprint)); diff != "" {
		t.Errorf("facts after a restart (-want +got):\n%s", diff)
	}
	if got := factsOf(t, WithTenant(ctx, "acme"), s, a.Fingerprint); len(got) != 0 {
		t.Errorf("another tenant reads %v", got)
	}
	b := load(s, "b.csv")
	if got := facts(s, a.Fingerprint); len(got) != 0 {
		t.Errorf("facts of the replaced content: %v", got)
	}
	// Facts of content the dataset no longer has are not kept.
	if err := s.PutDatasetFacts(ctx, "x", a.Fingerprint, want); err != nil {
		t.Fatal(err)
	}
	if got := facts(s, a.Fingerprint); len(got) != 0 {
		t.Errorf("facts kept for a stale fingerprint: %v", got)
	}
	if err := s.PutDatasetFacts(ctx, "x", b.Fingerprint, map[string]string{"n": "1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DropDataset(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "mrswarm.dataset_facts"); n != 0 {
		t.Errorf("%d facts left after the drop", n)
	}
}
