// Command benchreport runs mrswarm's benchmark suite (package bench) and writes
// one markdown table and its JSON into a results folder:
// results/bench-<time>.{md,json} and results/latest.{md,json}.
//
// By default it starts the pinned Ollama with the tiny model
// (OLLAMA_NUM_PARALLEL from -num-parallel) and the mrswarm binary bin/mrswarm as
// child processes; -ollama=off and -server="" skip those rows.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/mrswarm/mrswarm/bench"
	"github.com/mrswarm/mrswarm/internal/ollamaproc"
	"github.com/mrswarm/mrswarm/internal/tinymodel"
)

type options struct {
	out, ollama, host, model, server, goBench, command, data string
	quick                                                    bool
	reps, genRows, bigRows, numParallel, numCtx, oReps       int
	compareCtx                                               int
	peers                                                    string
	peerRuns                                                 int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("benchreport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	big := 0
	if os.Getenv("MRSWARM_BENCH_10M") == "1" {
		big = 10_000_000
	}
	fs.StringVar(&o.out, "out", "results", "results `folder`")
	fs.StringVar(&o.data, "data", "", "the original beverage_sales.csv (default <module root>/data/beverage_sales.csv)")
	fs.BoolVar(&o.quick, "quick", false, "run every measurement once on small inputs")
	fs.IntVar(&o.reps, "reps", 5, "repetitions of each timed measurement")
	fs.IntVar(&o.genRows, "gen-rows", 1_000_000, "rows of the generated data set")
	fs.IntVar(&o.bigRows, "big-rows", big, "rows of the largest tool data set, 0 skips it (MRSWARM_BENCH_10M=1 sets 10M)")
	fs.StringVar(&o.ollama, "ollama", "managed", `"managed" starts the pinned Ollama with the tiny model, "host" uses -ollama-host, "off" skips`)
	fs.StringVar(&o.host, "ollama-host", "", "Ollama base URL for -ollama=host")
	fs.StringVar(&o.model, "model", "", "model on -ollama-host")
	fs.IntVar(&o.numParallel, "num-parallel", 2, "OLLAMA_NUM_PARALLEL of the managed Ollama (and MaxParallel of the parallel runs)")
	fs.IntVar(&o.numCtx, "num-ctx", 0, "num_ctx asked of the model (0: the tiny model's own for -ollama=managed, else the model default)")
	fs.IntVar(&o.compareCtx, "compare-ctx", 16384, "num_ctx of the handles-versus-full comparison runs (0: -num-ctx)")
	fs.IntVar(&o.oReps, "ollama-reps", 1, "repetitions of the sequential and parallel runs on Ollama")
	fs.StringVar(&o.server, "server", "bin/mrswarm", `mrswarm binary for the RSS rows ("" skips them)`)
	fs.StringVar(&o.goBench, "gobench", "", "`file` of `go test -bench` output to add to the table")
	fs.StringVar(&o.command, "command", "make bench", "command named in the report header")
	fs.StringVar(&o.peers, "peers", ".cache/bench-node", "`folder` with LangGraph.js in node_modules (scripts/bench-node.sh installs it; \"\" skips the peers)")
	fs.IntVar(&o.peerRuns, "peer-runs", 30, "measured runs of each peer DAG")
	err := fs.Parse(args)
	return o, err
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "mrswarm-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	cfg := bench.Config{Quick: o.quick, DataCSV: o.data, WorkDir: work, GenRows: o.genRows, BigRows: o.bigRows, Reps: o.reps, Log: stderr}
	stopOllama, err := ollamaTarget(ctx, o, &cfg, work)
	if err != nil {
		return err
	}
	defer stopOllama()
	if o.server != "" {
		if _, err := os.Stat(o.server); err != nil {
			return fmt.Errorf("-server: %w (run `make build` or pass -server=\"\")", err)
		}
		cfg.Server = &bench.ServerTarget{Bin: o.server, Args: []string{"serve"}}
	}
	if o.peers != "" {
		dir, err := filepath.Abs(o.peers)
		if err != nil {
			return err
		}
		cfg.Peers = &bench.PeerTarget{Modules: dir, Runs: o.peerRuns}
	}
	rep, runErr := bench.Run(ctx, cfg)
	rep.Command = o.command
	if o.goBench != "" {
		rows, err := goBenchRows(o.goBench)
		if err != nil {
			return err
		}
		rep.Rows = append(rep.Rows, rows...)
	}
	if err := write(o.out, rep); err != nil {
		return errors.Join(runErr, err)
	}
	fmt.Fprintf(stderr, "wrote %s\n", filepath.Join(o.out, "latest.md"))
	fmt.Print(rep.Markdown())
	return runErr
}

// ollamaTarget fills cfg.Ollama and returns the function that stops a managed server.
func ollamaTarget(ctx context.Context, o options, cfg *bench.Config, work string) (func(), error) {
	switch o.ollama {
	case "off":
		return func() {}, nil
	case "host":
		if o.host == "" || o.model == "" {
			return nil, errors.New("-ollama=host needs -ollama-host and -model")
		}
		cfg.Ollama = &bench.OllamaTarget{Host: o.host, Model: o.model, NumParallel: o.numParallel, NumCtx: o.numCtx, CompareCtx: o.compareCtx, Reps: o.oReps}
		return func() {}, nil
	case "managed":
		logf, err := os.Create(filepath.Join(work, "ollama.log"))
		if err != nil {
			return nil, err
		}
		p, err := ollamaproc.Launch(ctx, ollamaproc.Config{NumParallel: o.numParallel, ToolsModel: "-", Log: logf})
		if err != nil {
			logf.Close()
			return nil, fmt.Errorf("start Ollama (make ollama; or -ollama=off): %w", err)
		}
		numCtx := o.numCtx
		if numCtx == 0 {
			numCtx = tinymodel.NumCtx
		}
		cfg.Ollama = &bench.OllamaTarget{Host: p.Host, Model: p.Model, NumParallel: o.numParallel, NumCtx: numCtx, CompareCtx: o.compareCtx, Reps: o.oReps}
		return func() { p.Stop(); logf.Close() }, nil
	}
	return nil, fmt.Errorf("-ollama=%q: want managed, host or off", o.ollama)
}

func goBenchRows(path string) ([]bench.Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := bench.ParseGoBench(f)
	for i, r := range rows {
		if name, ok := goBenchNames[r.Name]; ok {
			rows[i].Name = name
		}
	}
	return bench.RunsRSSRows(rows), err
}

// goBenchNames are readable names of the go benchmarks bench.sh runs.
var goBenchNames = map[string]string{
	"Tracker": "token tracker, cost per LLM call (BenchmarkTracker)",
}

// write stores the report as bench-<time>.{md,json} and latest.{md,json}.
func write(dir string, rep bench.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	stamp := rep.Started.UTC().Format("20060102-150405")
	md := rep.Markdown()
	for _, base := range []string{"bench-" + stamp, "latest"} {
		if err := os.WriteFile(filepath.Join(dir, base+".md"), []byte(md), 0o644); err != nil {
			return err
		}
		var b strings.Builder
		if err := rep.WriteJSON(&b); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, base+".json"), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}
