package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mrswarm/mrswarm/internal/repo"
	"github.com/mrswarm/mrswarm/sql/gendata"
	"github.com/mrswarm/mrswarm/sql/store"
)

// ErrSection: a section of the suite failed; the report still holds the others.
var ErrSection = errors.New("bench: section failed")

// Config says what the suite measures and how hard.
type Config struct {
	// Quick runs every measurement once on small inputs (the test suite's mode).
	Quick bool
	// DataCSV is the original beverage_sales.csv (15,000 rows); "" means
	// <module root>/data/beverage_sales.csv.
	DataCSV string
	// WorkDir holds generated data and databases. Required.
	WorkDir string
	// GenRows is the size of the generated data set (default 1,000,000; Quick 2,000).
	GenRows int
	// BigRows is the size of the largest tool-latency data set; 0 skips it.
	BigRows int
	// Reps is how often each timed measurement repeats (default 5; Quick 1).
	Reps int
	// Ollama is the real Ollama for the LLM rows; nil skips them.
	Ollama *OllamaTarget
	// Server is the mrswarm binary for the RSS rows; nil skips them.
	Server *ServerTarget
	// Peers runs the peer frameworks (LangGraph.js); nil skips them.
	Peers *PeerTarget
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// OllamaTarget is a running Ollama with a model.
type OllamaTarget struct {
	Host        string // base URL
	Model       string
	NumParallel int // the server's OLLAMA_NUM_PARALLEL, used as MaxParallel
	// NumCtx is the context window asked of the model (0 keeps the model's): the
	// prompts of full-context runs must fit, or Ollama truncates them and counts less.
	NumCtx int
	// CompareCtx is num_ctx for the handles-versus-full comparison (0: NumCtx);
	// large enough that Ollama does not truncate the full-context prompts.
	CompareCtx int
	// Reps is how often the sequential and parallel runs repeat (default 1: a run
	// of the tiny model takes tens of seconds on two cores).
	Reps int
	// Rounds is how many measured runs each pool of the adaptive-concurrency
	// section makes, taking turns (default 30; Quick 1): one campaign's wall
	// time varies ±40 % with the model's outputs.
	Rounds int
}

// ServerTarget is the mrswarm binary to start as a child process.
type ServerTarget struct {
	Bin  string
	Args []string // e.g. ["serve"]
}

func (c Config) withDefaults() Config {
	if c.GenRows == 0 {
		c.GenRows = 1_000_000
		if c.Quick {
			c.GenRows = 2_000
		}
	}
	if c.Reps == 0 {
		c.Reps = 5
	}
	if c.Quick {
		c.Reps = 1
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return c
}

// suite is one run of the measurements.
type suite struct {
	cfg     Config
	dataDir string // the stores' data root

	genMu sync.Mutex
	files map[int]string // generated CSVs by row count

	peerTable []Peer // the peer table's rows, filled by the peers section
	floor     Peer   // the bare goroutines' row of the peer table, filled by the overhead section
}

// section is one group of rows.
type section struct {
	name string
	run  func(*suite, context.Context) ([]Row, []string, error) // rows, skipped notes
}

var sections = []section{
	{"data loading", (*suite).loading},
	{"SQL tools", (*suite).toolLatency},
	{"pipeline, scripted LLM", (*suite).scripted},
	{"pipeline bookkeeping", (*suite).bookkeeping},
	{sectionOverhead, (*suite).overhead},
	{"pipeline, real Ollama", (*suite).ollama},
	{sectionAdaptive, (*suite).adaptive},
	{"server memory", (*suite).serverRSS},
	{"peers", (*suite).peers},
}

// Run runs every section. A failing section is named in Report.Skipped and in the
// returned error (wrapping ErrSection); the other sections still run.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg = cfg.withDefaults()
	rep := Report{Started: time.Now(), Machine: ThisMachine()}
	s, err := newSuite(cfg)
	if err != nil {
		return rep, err
	}
	var errs []error
	for _, sec := range sections {
		start := time.Now()
		s.logf("== %s", sec.name)
		rows, skipped, err := sec.run(s, ctx)
		rep.Rows = append(rep.Rows, rows...)
		rep.Skipped = append(rep.Skipped, skipped...)
		if err != nil {
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s: failed: %v", sec.name, err))
			errs = append(errs, fmt.Errorf("%w: %s: %w", ErrSection, sec.name, err))
		}
		s.logf("   %s done in %s", sec.name, time.Since(start).Round(time.Millisecond))
		if ctx.Err() != nil {
			break
		}
	}
	rep.Duration = time.Since(rep.Started)
	rep.Peers = s.peerTable
	if len(s.floor.Stats) > 0 {
		rep.Peers = append(rep.Peers, s.floor)
	}
	return rep, errors.Join(errs...)
}

func newSuite(cfg Config) (*suite, error) {
	if cfg.WorkDir == "" {
		return nil, errors.New("bench: Config.WorkDir is required")
	}
	if cfg.DataCSV == "" {
		p, err := DefaultDataCSV()
		if err != nil {
			return nil, err
		}
		cfg.DataCSV = p
	}
	s := &suite{cfg: cfg, dataDir: filepath.Join(cfg.WorkDir, "data"), files: map[int]string{}}
	if err := os.MkdirAll(s.dataDir, 0o755); err != nil {
		return nil, err
	}
	if err := copyFile(cfg.DataCSV, s.realCSV()); err != nil {
		return nil, fmt.Errorf("bench: beverage data: %w", err)
	}
	return s, nil
}

func (s *suite) logf(format string, args ...any) {
	fmt.Fprintf(s.cfg.Log, format+"\n", args...)
}

// realCSV is the copy of the original beverage_sales.csv inside the data root.
func (s *suite) realCSV() string { return filepath.Join(s.dataDir, "beverage_sales.csv") }

// generated returns a CSV of rows generated rows, writing it on first use.
func (s *suite) generated(rows int) (string, error) {
	s.genMu.Lock()
	defer s.genMu.Unlock()
	if p, ok := s.files[rows]; ok {
		return p, nil
	}
	p := filepath.Join(s.dataDir, fmt.Sprintf("generated_%d.csv", rows))
	start := time.Now()
	f, err := os.Create(p)
	if err != nil {
		return "", err
	}
	err = gendata.Generate(f, rows, 1)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("generate %d rows: %w", rows, err)
	}
	s.logf("   generated %s rows in %s", scaleName(rows), time.Since(start).Round(time.Millisecond))
	s.files[rows] = p
	return p, nil
}

// openStore opens a fresh store over the suite's data root, in a DuckDB file
// as `mrswarm serve` keeps it (DuckDB compresses file-backed tables, which
// makes grouping by text several times faster than in an in-memory database).
func (s *suite) openStore(ctx context.Context) (*store.Store, error) {
	dir, err := os.MkdirTemp(s.cfg.WorkDir, "db-")
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, filepath.Join(dir, "bench.duckdb"),
		store.Options{DataRoot: s.dataDir, StatementTimeout: 10 * time.Minute})
}

// dataSet is a file to load and the label of its scale.
type dataSet struct {
	path  string
	scale string
	rows  int
}

// dataSets returns the real CSV and the generated one (and the big one if asked).
func (s *suite) dataSets(big bool) ([]dataSet, error) {
	sets := []dataSet{{s.realCSV(), "15k rows (original CSV)", 15000}}
	sizes := []int{s.cfg.GenRows}
	if big && s.cfg.BigRows > 0 {
		sizes = append(sizes, s.cfg.BigRows)
	}
	for _, n := range sizes {
		p, err := s.generated(n)
		if err != nil {
			return nil, err
		}
		sets = append(sets, dataSet{p, scaleName(n) + " rows (generated)", n})
	}
	return sets, nil
}

// repsFor is the repetitions of a measurement whose cost grows with rows: fewer
// on big data sets, so that the suite stays within its time budget.
func (s *suite) repsFor(rows int) int {
	if rows >= 500_000 {
		return max(1, s.cfg.Reps/2)
	}
	return s.cfg.Reps
}

// scaleName writes 15000 as 15k and 1000000 as 1M.
func scaleName(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// DefaultDataCSV is <module root>/data/beverage_sales.csv.
func DefaultDataCSV() (string, error) {
	dir, err := repo.DataDir()
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	return filepath.Join(dir, "beverage_sales.csv"), nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
