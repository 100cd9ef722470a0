package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mrswarm/mrswarm/sql/store"
)

// maxHints bounds the names a not-found error lists.
const maxHints = 20

// loadable are the extensions of files a load can read (also with .gz).
var loadable = []string{".csv", ".tsv", ".parquet", ".json", ".jsonl", ".ndjson"}

// fileHint adds what a failed load could have read to a not-found error: the
// data files under the data root (two folders deep), or that there are none.
func fileHint(err error, root string) error {
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	files := dataFiles(root)
	if len(files) == 0 {
		return fmt.Errorf("%w; the data root %s holds no data files (upload a local file: mrswarm upload NAME FILE)", err, root)
	}
	return fmt.Errorf("%w; files under the data root %s: %s", err, root, list(files))
}

// dataFiles lists the loadable files under root, relative to it, sorted.
func dataFiles(root string) []string {
	var files []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, p)
		switch {
		case err != nil:
			return nil // unreadable: skip
		case d.IsDir() && strings.Count(rel, string(os.PathSeparator)) >= 1:
			return fs.SkipDir
		case d.Type().IsRegular() && slices.Contains(loadable, filepath.Ext(strings.TrimSuffix(strings.ToLower(d.Name()), ".gz"))):
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(files)
	return files
}

// datasetHint adds the loaded datasets to a not-found error about a dataset.
func datasetHint(ctx context.Context, err error, st *store.Store) error {
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	ds, lerr := st.Datasets(ctx)
	if lerr != nil {
		return err
	}
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d.Name
	}
	if len(names) == 0 {
		return fmt.Errorf("%w; no dataset is loaded (mrswarm load NAME FILE)", err)
	}
	return fmt.Errorf("%w; loaded datasets: %s", err, list(names))
}

// list joins names, at most maxHints of them.
func list(names []string) string {
	if len(names) <= maxHints {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxHints], ", "), len(names)-maxHints)
}
