package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// TestNotFoundListsWhatExists: loading a file that is not there lists the data
// files under the data root; asking for a dataset that is not loaded lists the
// loaded ones.
func TestNotFoundListsWhatExists(t *testing.T) {
	cfg := testConfig(t)
	copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")
	writeFile(t, cfg.DataRoot, "notes.txt", "not data")
	if err := os.MkdirAll(filepath.Join(cfg.DataRoot, "2026", "deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(cfg.DataRoot, "2026"), "q1.parquet", "")
	writeFile(t, filepath.Join(cfg.DataRoot, "2026", "deep"), "hidden.csv", "a\n1\n")
	ts := startServer(t, cfg)
	ctx := t.Context()

	_, err := ts.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "sales.csv"})
	wantCode(t, err, codes.NotFound)
	msg := status.Convert(err).Message()
	if !strings.Contains(msg, "sales.csv") || !strings.HasSuffix(msg, "files under the data root "+cfg.DataRoot+": 2026/q1.parquet, beverage_sales.csv") {
		t.Errorf("load of a missing file says %q, want the data files listed", msg)
	}

	_, err = ts.datasets.GetDataset(ctx, &mrswarmv1.GetDatasetRequest{Name: "sales"})
	wantCode(t, err, codes.NotFound)
	if msg := status.Convert(err).Message(); !strings.HasSuffix(msg, "no dataset is loaded (mrswarm load NAME FILE)") {
		t.Errorf("unknown dataset with none loaded says %q", msg)
	}
	for _, name := range []string{"beverage", "other"} {
		if _, err := ts.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: name, Path: "beverage_sales.csv"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, call := range []func() error{
		func() error {
			_, err := ts.datasets.GetDataset(ctx, &mrswarmv1.GetDatasetRequest{Name: "sales"})
			return err
		},
		func() error {
			_, err := ts.datasets.DropDataset(ctx, &mrswarmv1.DropDatasetRequest{Name: "sales"})
			return err
		},
	} {
		err := call()
		wantCode(t, err, codes.NotFound)
		if msg := status.Convert(err).Message(); !strings.HasSuffix(msg, "loaded datasets: beverage, other") {
			t.Errorf("unknown dataset says %q, want the loaded ones listed", msg)
		}
	}

	empty := testConfig(t)
	ts2 := startServer(t, empty)
	_, err = ts2.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "sales.csv"})
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "holds no data files (upload a local file") {
		t.Errorf("load from an empty data root says %q", msg)
	}
}

func TestHintList(t *testing.T) {
	var names []string
	for range maxHints + 3 {
		names = append(names, "x")
	}
	if got := list(names); !strings.HasSuffix(got, "x and 3 more") || strings.Count(got, "x") != maxHints {
		t.Errorf("list = %q", got)
	}
}
