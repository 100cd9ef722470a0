package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"google.golang.org/protobuf/testing/protocmp"
)

func TestRunRequestFromFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(file, []byte(`{"name": "mine", "steps": [{"id": "s", "sql": {"sql": "SELECT 1"}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		want    *mrswarmv1.StartRunRequest
		wantErr bool
	}{
		{
			name: "preset with inputs",
			args: []string{"--dataset", "d", "--preset", "campaign_optimization", "--audience", "students",
				"--budget", "1500.5", "--duration", "6 months", "--brands", "Red Bull, Pepsi,", "--force",
				"--context", "full", "--tool-mode", "native", "--max-parallel", "3", "--model", "llama3.2"},
			want: &mrswarmv1.StartRunRequest{
				Dataset: "d",
				Source:  &mrswarmv1.StartRunRequest_Preset{Preset: "campaign_optimization"},
				Inputs: &mrswarmv1.RunInputs{TargetAudience: "students", Budget: 1500.5, Duration: "6 months",
					Brands: []string{"Red Bull", "Pepsi"}},
				Options: &mrswarmv1.RunOptions{Force: true, ContextMode: mrswarmv1.ContextMode_CONTEXT_MODE_FULL,
					ToolMode: mrswarmv1.ToolMode_TOOL_MODE_NATIVE, MaxParallel: 3, Model: "llama3.2"},
			},
		},
		{
			name: "pipeline file",
			args: []string{"--dataset", "d", "--file", file},
			want: &mrswarmv1.StartRunRequest{
				Dataset: "d",
				Source: &mrswarmv1.StartRunRequest_Pipeline{Pipeline: &mrswarmv1.Pipeline{Name: "mine", Steps: []*mrswarmv1.Step{
					{Id: "s", Kind: &mrswarmv1.Step_Sql{Sql: &mrswarmv1.SQLStep{Sql: "SELECT 1"}}}}}},
				Inputs:  &mrswarmv1.RunInputs{},
				Options: &mrswarmv1.RunOptions{},
			},
		},
		{name: "no source", args: []string{"--dataset", "d"}, wantErr: true},
		{name: "bad context mode", args: []string{"--dataset", "d", "--preset", "p", "--context", "some"}, wantErr: true},
		{name: "missing file", args: []string{"--dataset", "d", "--file", file + ".nope"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, _ := newFlagSet("run", io.Discard)
			var rf runFlags
			rf.register(fs)
			if _, err := parseArgs(fs, tt.args, 0, 0, ""); err != nil {
				t.Fatal(err)
			}
			got, err := rf.request()
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseArgsInterleaved(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantPos   []string
		wantRoles map[string]string
		wantUsage bool
	}{
		{"flags last", []string{"n", "p.csv", "--role", "brand=b"}, []string{"n", "p.csv"}, map[string]string{"brand": "b"}, false},
		{"flags between", []string{"n", "--role", "brand=b", "p.csv", "--role", "date=d"}, []string{"n", "p.csv"},
			map[string]string{"brand": "b", "date": "d"}, false},
		{"double dash", []string{"n", "--", "--odd-name.csv"}, []string{"n", "--odd-name.csv"}, map[string]string{}, false},
		{"too few", []string{"n"}, nil, nil, true},
		{"bad role", []string{"n", "p", "--role", "brand"}, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, _ := newFlagSet("load", io.Discard)
			roles := rolesFlag{}
			fs.Var(roles, "role", "")
			pos, err := parseArgs(fs, tt.args, 2, 2, "NAME PATH")
			var uerr usageError
			if got := errors.As(err, &uerr); got != tt.wantUsage {
				t.Fatalf("err = %v, want usage error %v", err, tt.wantUsage)
			}
			if tt.wantUsage {
				return
			}
			if diff := cmp.Diff(tt.wantPos, pos); diff != "" {
				t.Errorf("positional (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantRoles, map[string]string(roles)); diff != "" {
				t.Errorf("roles (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormatting(t *testing.T) {
	cells := map[any]string{nil: "NULL", 3.0: "3", 1013685.43: "1013685.43", 10.98334: "10.9833", -0.00001: "0", "x": "x", true: "true"}
	for in, want := range cells {
		if got := formatCell(in); got != want {
			t.Errorf("formatCell(%v) = %q, want %q", in, got, want)
		}
	}
	durs := map[time.Duration]string{
		1549 * time.Millisecond:   "1.55s",
		12345 * time.Millisecond:  "12.3s",
		42216 * time.Microsecond:  "42.2ms",
		1234567 * time.Nanosecond: "1.235ms",
		170 * time.Microsecond:    "170µs",
	}
	for in, want := range durs {
		if got := fmtDur(in); got != want {
			t.Errorf("fmtDur(%v) = %q, want %q", in, got, want)
		}
	}
}
