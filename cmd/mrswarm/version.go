package main

import (
	"context"
	"fmt"
	"io"

	"github.com/mrswarm/mrswarm/internal/version"
)

// runVersion prints the binary's module version and VCS revision, stamped by
// the go command when it builds from a checkout (see internal/version).
func runVersion(_ context.Context, _ []string, stdout, _ io.Writer) error {
	_, err := fmt.Fprintf(stdout, "mrswarm %s\n", version.Get())
	return err
}
