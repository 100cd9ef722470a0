// Command duckdbsql runs SQL statements on a fresh DuckDB through the Go
// binding mrswarm links (duckdb-go, with no store settings) and prints each
// statement's wall and process CPU time as one JSON line.
// scripts/duckdb-reference.sh runs it next to the official DuckDB build of the
// same version (bench/duckdb-ref/run.mjs) on the same statements.
//
// Usage: duckdbsql DBFILE|"" SQL...
package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"syscall"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// line is what is printed for one statement.
type line struct {
	SQL    string     `json:"sql"`
	WallMs float64    `json:"wall_ms"`
	CPUMs  float64    `json:"cpu_ms"`
	First  [][]string `json:"first"`
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, `usage: duckdbsql DBFILE|"" SQL...`)
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "duckdbsql:", err)
		os.Exit(1)
	}
}

// run opens the database (one connection, so SET applies to what follows) and
// times each statement, reading its result whole.
func run(path string, statements []string) error {
	db, err := sql.Open("duckdb", path)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	enc := json.NewEncoder(os.Stdout)
	for _, q := range statements {
		wall, cpu := time.Now(), cpuTime()
		first, err := query(db, q)
		if err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		l := line{SQL: q, WallMs: ms(time.Since(wall)), CPUMs: ms(cpuTime() - cpu), First: first}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}

// query runs q, reads every row and returns the first as text.
func query(db *sql.DB, q string) ([][]string, error) {
	rows, err := db.Query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	vals, ptrs := make([]any, len(cols)), make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var first [][]string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		if first == nil {
			row := make([]string, len(vals))
			for i, v := range vals {
				row[i] = fmt.Sprint(v)
			}
			first = [][]string{row}
		}
	}
	return first, rows.Err()
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }
