// Command mrswarm is the mrswarm server and its tools: `mrswarm serve` starts the
// gRPC API and REST gateway, `mrswarm gen-data` writes sample sales data.
// Run `mrswarm help` for every subcommand.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
)

// command is one subcommand. run gets the arguments after the subcommand name;
// a flag.ErrHelp or usage error from it exits with code 2.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands are the subcommands. Adding one is one line here plus its file.
var commands = map[string]command{
	"serve":    {"run the gRPC API and REST gateway", runServe},
	"gen-data": {"write deterministic sample beverage sales as CSV", runGenData},
	"version":  {"print the version", runVersion},
	"load":     {"load a file under the server's data root as a dataset", cmdLoad},
	"upload":   {"upload a local file as a dataset", cmdUpload},
	"datasets": {"list the loaded datasets", cmdDatasets},
	"tools":    {"list the analysis tools for a dataset", cmdTools},
	"call":     {"call a tool on a dataset and show its result", cmdCall},
	"sql":      {"run read-only SQL and show its result", cmdSQL},
	"show":     {"print a result handle as a table or CSV", cmdShow},
	"pin":      {"keep a result handle through result retention", cmdPin},
	"unpin":    {"let result retention evict a pinned handle again", cmdUnpin},
	"run":      {"run a preset or pipeline file and watch its stages live", cmdRun},
	"presets":  {"list the preset pipelines", cmdPresets},
	"agents":   {"list the agents pipelines can use", cmdAgents},
	"watch":    {"follow a run's events from a sequence number", cmdWatch},
	"runs":     {"list recent runs", cmdRuns},
	"cancel":   {"cancel a run", cmdCancel},
	"report":   {"print a run's report (markdown, or --html)", cmdReport},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches args to a subcommand and returns the exit code. Client
// flags may come before the command (mrswarm --addr X runs).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	globals, args, err := splitGlobals(args)
	if err != nil {
		fmt.Fprintf(stderr, "mrswarm: %v\n", err)
		return 2
	}
	switch {
	case len(args) == 0:
		usage(stderr)
		return 2
	case args[0] == "help":
		return help(ctx, args[1:], stdout, stderr)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "mrswarm: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	cmdArgs := append(globals, args[1:]...)
	err = cmd.run(ctx, cmdArgs, stdout, stderr)
	var uerr usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &uerr):
		fmt.Fprintf(stderr, "mrswarm %s: %v\n", args[0], err)
		return 2
	}
	fmt.Fprintf(stderr, "mrswarm %s: %s\n", args[0], describeError(err, addrOf(cmdArgs)))
	return 1
}

// help prints the command list, or one command's usage and flags
// (mrswarm help run), to stdout.
func help(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "mrswarm help: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	fmt.Fprintf(stdout, "mrswarm %s: %s\n\n", args[0], cmd.summary)
	if err := cmd.run(ctx, []string{"-h"}, stdout, stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 0
}

// usageError is a bad command line (exit code 2).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: mrswarm [--addr host:port] [--timeout d] <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun `mrswarm help <command>` for its flags.")
}
