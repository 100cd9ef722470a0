// Package bench is mrswarm's benchmark suite: it measures data loading, the SQL
// tools at several scales, the pipeline scheduler with scripted LLM latencies,
// the same pipeline on a real Ollama, validation and bookkeeping costs, and the
// server's memory, and renders one markdown table plus JSON. Every number comes
// from a measurement of the same run; ratios compare rows measured side by side.
//
// `make bench` runs it through bench/cmd/benchreport; TestQuick runs every
// measurement once on small inputs so that the suite cannot rot.
package bench

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"time"
)

// Row is one measured number.
type Row struct {
	Section string  `json:"section"`
	Name    string  `json:"name"`
	Scale   string  `json:"scale,omitempty"` // e.g. "15k rows"
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"` // "ms", "µs", "tokens", "MiB", "%", "×"
	// Ratio compares this row with another row of the same run; RatioOf says how.
	Ratio   float64 `json:"ratio,omitempty"`
	RatioOf string  `json:"ratio_of,omitempty"`
	Samples int     `json:"samples,omitempty"` // repetitions behind a median
	Note    string  `json:"note,omitempty"`
	// Key names the headline number this row is (keys.go), "" for most rows.
	Key string `json:"key,omitempty"`
}

// Machine describes where the suite ran.
type Machine struct {
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpu_model,omitempty"`
	MemTotal string `json:"mem_total,omitempty"`
	Go       string `json:"go"`
}

// Report is the outcome of one suite run.
type Report struct {
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	Command  string        `json:"command,omitempty"`
	Machine  Machine       `json:"machine"`
	Rows     []Row         `json:"rows"`
	// Skipped lists sections or rows that did not run, with the reason, and runs
	// that ended with failed steps.
	Skipped []string `json:"skipped,omitempty"`
	// Peers are the frameworks measured on the same DAGs (peers.go).
	Peers []Peer `json:"peers,omitempty"`
}

// ThisMachine describes the running machine from runtime and /proc.
func ThisMachine() Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), Go: runtime.Version()}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	m.MemTotal = procField("/proc/meminfo", "MemTotal")
	return m
}

// procField returns the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Markdown renders the report as one markdown table with a short header.
func (r Report) Markdown() string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "Measured %s in %s on %s/%s, %d CPUs", r.Started.UTC().Format("2006-01-02 15:04 MST"),
		r.Duration.Round(time.Second), m.OS, m.Arch, m.CPUs)
	if m.CPUModel != "" {
		fmt.Fprintf(&b, " (%s)", m.CPUModel)
	}
	if m.MemTotal != "" {
		fmt.Fprintf(&b, ", %s RAM", m.MemTotal)
	}
	fmt.Fprintf(&b, ", %s.", m.Go)
	if r.Command != "" {
		fmt.Fprintf(&b, " Command: `%s`.", r.Command)
	}
	b.WriteString(" Times are medians of the repetitions in the n column.\n\n")
	b.WriteString("| section | measurement | scale | value | ratio | n | note |\n")
	b.WriteString("|---|---|---|--:|--:|--:|---|\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", cell(row.Section), cell(row.Name), cell(row.Scale),
			formatValue(row.Value, row.Unit), formatRatio(row), formatSamples(row.Samples), cell(row.Note))
	}
	b.WriteString(r.peerMarkdown())
	if len(r.Skipped) > 0 {
		b.WriteString("\nNotes: what was not measured, and runs whose steps failed:\n")
		for _, s := range r.Skipped {
			fmt.Fprintf(&b, "- %s\n", s)
		}
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func formatSamples(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

// formatValue prints three significant digits (integers for counts) and the unit.
func formatValue(v float64, unit string) string {
	switch unit {
	case "tokens", "calls", "steps":
		return fmt.Sprintf("%.0f %s", v, unit)
	case "%":
		return fmt.Sprintf("%.1f %%", v)
	}
	return sig3(v) + " " + unit
}

func formatRatio(r Row) string {
	if r.RatioOf == "" {
		return ""
	}
	return fmt.Sprintf("%s× (%s)", sig3(r.Ratio), cell(r.RatioOf))
}

func sig3(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}
