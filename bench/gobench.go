package bench

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// ParseGoBench turns `go test -bench` output into rows: one per benchmark, its
// ns/op as the value (in µs) and its other metrics (B/op, allocs/op, custom
// b.ReportMetric units) in the note. The section names the package.
func ParseGoBench(r io.Reader) ([]Row, error) {
	var rows []Row
	pkg := ""
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = path.Base(strings.TrimSpace(p))
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		row, ok := parseBenchLine(line)
		if !ok {
			continue
		}
		row.Section = "go test -bench " + pkg
		rows = append(rows, row)
	}
	return rows, sc.Err()
}

// parseBenchLine parses "BenchmarkX/sub-2  1000  1234 ns/op  56 B/op  3 allocs/op".
func parseBenchLine(line string) (Row, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 {
		return Row{}, false
	}
	n, err := strconv.Atoi(f[1])
	if err != nil {
		return Row{}, false
	}
	name := strings.TrimPrefix(f[0], "Benchmark")
	if i := strings.LastIndex(name, "-"); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	row := Row{Name: name, Samples: n, Unit: "µs"}
	var extra []string
	found := false
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return Row{}, false
		}
		if f[i+1] == "ns/op" {
			row.Value, found = v/1000, true
			continue
		}
		extra = append(extra, fmt.Sprintf("%s %s", f[i], f[i+1]))
	}
	row.Note = strings.Join(extra, ", ")
	return row, found
}
