//go:build !unix

package tools

import "time"

// processCPU is not measured off unix; benchmarks then report 0 CPU.
func processCPU() time.Duration { return 0 }
