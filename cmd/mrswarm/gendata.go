package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mrswarm/mrswarm/sql/gendata"
)

// runGenData writes sample data to --out ("-" is stdout).
func runGenData(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen-data", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rows := fs.Int("rows", 15000, "number of `rows`")
	seed := fs.Int64("seed", 7, "random `seed`; the same seed and rows give the same file")
	out := fs.String("out", "-", "output `file`, - for stdout")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	if *out == "-" {
		return writeData(stdout, *rows, *seed)
	}
	return writeFile(*out, *rows, *seed)
}

// writeFile writes to a temporary file beside path and renames it into place,
// so a failed run never leaves a truncated file.
func writeFile(path string, rows int, seed int64) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".gen-data-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := writeData(f, rows, seed); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func writeData(w io.Writer, rows int, seed int64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := gendata.Generate(bw, rows, seed); err != nil {
		return err
	}
	return bw.Flush()
}
