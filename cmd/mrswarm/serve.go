package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"

	"github.com/mrswarm/mrswarm/server"
)

// runServe parses the serve flags (with environment fallbacks) and serves until
// the process gets SIGINT or SIGTERM.
func runServe(ctx context.Context, args []string, _, stderr io.Writer) error {
	cfg, err := server.ParseConfig(args, os.Getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return server.Run(ctx, cfg)
}
