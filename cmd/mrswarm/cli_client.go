package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/clients/mrswarm"
)

// clientFlags are the flags every client command takes.
type clientFlags struct {
	addr    string
	timeout time.Duration
	caFile  string
}

// newFlagSet returns a flag set with the client flags registered on it.
func newFlagSet(name string, out io.Writer) (*flag.FlagSet, *clientFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	cf := &clientFlags{}
	addr := os.Getenv("MRSWARM_ADDR")
	if addr == "" {
		addr = mrswarm.DefaultAddr
	}
	fs.StringVar(&cf.addr, "addr", addr, "gRPC `address` of the mrswarm server (env MRSWARM_ADDR)")
	fs.DurationVar(&cf.timeout, "timeout", 5*time.Minute, "bound on each unary call")
	fs.StringVar(&cf.caFile, "ca-file", os.Getenv("MRSWARM_CA_FILE"), "PEM `file` of the certificate to trust for a TLS server (env MRSWARM_CA_FILE)")
	return fs, cf
}

// parseArgs parses flags anywhere among the arguments (flag stops at the
// first positional one) and checks the number of positional arguments.
func parseArgs(fs *flag.FlagSet, args []string, minPos, maxPos int, usage string) ([]string, error) {
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: mrswarm %s %s\n", fs.Name(), usage)
		fs.PrintDefaults()
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	if len(pos) < minPos || (maxPos >= 0 && len(pos) > maxPos) {
		fs.Usage()
		return nil, usageError{fmt.Errorf("want: mrswarm %s %s", fs.Name(), usage)}
	}
	return pos, nil
}

// dial connects to the server named by the client flags. The token comes
// from $MRSWARM_TOKEN, $MRSWARM_TOKEN_FILE or a local server's token file
// (mrswarm.FindToken).
func (cf *clientFlags) dial(ctx context.Context) (*mrswarm.Client, error) {
	opts := []mrswarm.Option{mrswarm.WithTimeout(cf.timeout)}
	if cf.caFile != "" {
		opts = append(opts, mrswarm.WithCAFile(cf.caFile))
	}
	return mrswarm.Dial(ctx, cf.addr, opts...)
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// rolesFlag collects repeated --role role=column flags.
type rolesFlag map[string]string

func (r rolesFlag) String() string { return fmt.Sprint(map[string]string(r)) }

func (r rolesFlag) Set(v string) error {
	role, col, ok := strings.Cut(v, "=")
	if !ok || role == "" {
		return fmt.Errorf("want role=column, got %q", v)
	}
	r[role] = col
	return nil
}
