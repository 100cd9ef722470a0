package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMainCommands(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"no command", nil, 2, "", "usage: mrswarm"},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"help lists commands", []string{"help"}, 0, "gen-data", ""},
		{"version", []string{"version"}, 0, "mrswarm dev", ""},
		{"gen-data to stdout", []string{"gen-data", "--rows", "2"}, 0, "sale_date,year,month", ""},
		{"gen-data bad flag", []string{"gen-data", "--rows", "many"}, 2, "", "invalid value"},
		{"gen-data extra argument", []string{"gen-data", "x"}, 2, "", "unexpected arguments"},
		{"gen-data negative rows", []string{"gen-data", "--rows", "-1"}, 1, "", "gen-data"},
		{"serve bad flag", []string{"serve", "--max-parallel", "-1"}, 2, "", "max parallel -1"},
		{"serve help", []string{"serve", "-h"}, 0, "", "MRSWARM_GRPC_ADDR"},
		{"call with malformed arguments", []string{"call", "sales", "brand_performance", "{top_n: 5}"}, 2, "",
			`not a JSON object (invalid character 't' looking for beginning of object key string); give one object in single quotes, e.g.` + "\n" +
				`  mrswarm call beverage_sales brand_performance '{"top_n": 5`},
		{"call with a JSON array", []string{"call", "sales", "brand_performance", "[5]"}, 2, "", "not a JSON object"},
		{"run with a malformed pipeline file", []string{"run", "--dataset", "sales", "--file", "testdata/bad_pipeline.json"}, 1, "",
			`pipeline file testdata/bad_pipeline.json: `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(t.Context(), tt.args, &out, &errOut)
			if code != tt.wantCode || !strings.Contains(out.String(), tt.wantStdout) || !strings.Contains(errOut.String(), tt.wantStderr) {
				t.Errorf("mrswarm %v: exit %d, stdout %.200q, stderr %.300q; want exit %d, stdout with %q, stderr with %q",
					tt.args, code, out.String(), errOut.String(), tt.wantCode, tt.wantStdout, tt.wantStderr)
			}
		})
	}
}

func TestGenDataFileIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	gen := func(name string, seed string) []byte {
		path := filepath.Join(dir, name)
		var out, errOut bytes.Buffer
		if code := run(t.Context(), []string{"gen-data", "--rows", "50", "--seed", seed, "--out", path}, &out, &errOut); code != 0 {
			t.Fatalf("gen-data: exit %d: %s", code, errOut.String())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := gen("a.csv", "7"), gen("b.csv", "7"), gen("c.csv", "8")
	if lines := strings.Count(string(a), "\n"); lines != 51 {
		t.Errorf("50 rows gave %d lines, want 51 with the header", lines)
	}
	if !bytes.Equal(a, b) {
		t.Error("the same seed gave different files")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds gave the same file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("gen-data left %d files in the folder, want 3 (no temporary files)", len(entries))
	}
}
