package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mrswarm/mrswarm/internal/profiling"
	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/llm/ollama"
	"github.com/mrswarm/mrswarm/pipeline/llm/pool"
)

// Defaults of [Config] fields.
const (
	DefaultGRPCAddr         = "127.0.0.1:7070"
	DefaultHTTPAddr         = "127.0.0.1:8080"
	DefaultDataRoot         = "."
	DefaultOllamaHost       = ollama.DefaultHost
	DefaultModel            = "llama3.2"
	DefaultMaxParallel      = pipeline.DefaultMaxParallel
	DefaultStatementTimeout = 30 * time.Second
	DefaultMaxPageSize      = 10000
	DefaultMaxUploadBytes   = 2 << 30
	DefaultShutdownTimeout  = 10 * time.Second
	DefaultProfileDir       = ".cache/profiles"
	DefaultMemoryPercent    = 25       // DuckDB's memory limit as a share of RAM
	DefaultMaxBodyBytes     = 16 << 20 // largest REST request body (uploads have their own limit)
	DefaultLoadTimeout      = 10 * time.Minute
	DefaultResultMaxBytes   = 2 << 30
	DefaultResultMaxAge     = 7 * 24 * time.Hour
)

// DefaultDBPath is the DuckDB file of a server started without --db: in the
// user's cache folder, outside any data root (user SQL may read every file of
// the data root, and the database must not be one of them).
func DefaultDBPath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "mrswarm", "mrswarm.duckdb")
	}
	return filepath.Join(dir, "mrswarm", "mrswarm.duckdb")
}

// Config is everything the server needs. [ParseConfig] fills it from flags with
// environment fallbacks; tests build it directly.
type Config struct {
	GRPCAddr         string        // gRPC listen address
	HTTPAddr         string        // REST gateway listen address
	DBPath           string        // DuckDB file; "" is an in-memory database
	DataRoot         string        // folder file loads and user SQL are confined to
	OllamaHost       string        // Ollama base URL (a pool of one when LLMHosts is empty)
	LLMHosts         []pool.Spec   // the LLM pool (--llm); empty means OllamaHost alone
	Model            string        // default model of agent steps
	ManagedOllama    bool          // start the pinned Ollama with the tiny model (Run only)
	MaxParallel      int           // default LLM slots of a run; 0 means the LLM pool's capacity
	StatementTimeout time.Duration // bound on user SQL and tool queries
	MaxPageSize      int           // largest page GetResultPage serves
	MaxUploadBytes   int64         // largest upload UploadDataset accepts
	ShutdownTimeout  time.Duration // how long in-flight calls may finish at shutdown
	MemoryLimit      int64         // DuckDB's memory limit in bytes (0: DefaultMemoryPercent of RAM)
	MaxBodyBytes     int64         // largest REST request body (uploads excepted)
	LoadTimeout      time.Duration // bound on one dataset load
	ResultMaxBytes   int64         // stored results' byte budget; older unpinned ones are evicted
	ResultMaxAge     time.Duration // unpinned results older than this are evicted
	LogLevel         slog.Level
	Profile          string // pkg/profile mode written on shutdown (Run only); "" is off
	ProfileDir       string // folder of the profile files
	AdminAddr        string // net/http/pprof listen address (Run only); "" is off
	// LLMOptions are the model options of every agent call; nil fields keep
	// the model's defaults.
	LLMOptions llm.Options
	// KeepAlive is how long Ollama keeps the model loaded after a call; nil
	// keeps Ollama's default.
	KeepAlive *time.Duration
	// LLMTimeout bounds one LLM call; 0 means no bound beyond the run's.
	LLMTimeout time.Duration

	// Access: authentication, tenants, browser checks and TLS (access_config.go).
	Access

	// Logger overrides the logger built from LogLevel.
	Logger *slog.Logger
	// LLM overrides the Ollama client (tests, embedding).
	LLM llm.Client
}

// env names the environment variables ParseConfig reads, by flag name.
var env = map[string]string{
	"grpc-addr":         "MRSWARM_GRPC_ADDR",
	"http-addr":         "MRSWARM_HTTP_ADDR",
	"db":                "MRSWARM_DB",
	"data-root":         "MRSWARM_DATA_ROOT",
	"ollama-host":       "MRSWARM_OLLAMA_HOST",
	"llm":               "MRSWARM_LLM",
	"model":             "MRSWARM_MODEL",
	"managed-ollama":    "MRSWARM_MANAGED_OLLAMA",
	"max-parallel":      "MRSWARM_MAX_PARALLEL",
	"statement-timeout": "MRSWARM_STATEMENT_TIMEOUT",
	"max-page-size":     "MRSWARM_MAX_PAGE_SIZE",
	"max-upload-bytes":  "MRSWARM_MAX_UPLOAD_BYTES",
	"shutdown-timeout":  "MRSWARM_SHUTDOWN_TIMEOUT",
	"log-level":         "MRSWARM_LOG_LEVEL",
	"profile":           "MRSWARM_PROFILE",
	"profile-dir":       "MRSWARM_PROFILE_DIR",
	"admin-addr":        "MRSWARM_ADMIN_ADDR",
	"num-ctx":           "MRSWARM_NUM_CTX",
	"num-predict":       "MRSWARM_NUM_PREDICT",
	"temperature":       "MRSWARM_TEMPERATURE",
	"seed":              "MRSWARM_SEED",
	"keep-alive":        "MRSWARM_KEEP_ALIVE",
	"llm-timeout":       "MRSWARM_LLM_TIMEOUT",
	"memory-limit":      "MRSWARM_MEMORY_LIMIT",
	"max-body-bytes":    "MRSWARM_MAX_BODY_BYTES",
	"load-timeout":      "MRSWARM_LOAD_TIMEOUT",
	"result-max-bytes":  "MRSWARM_RESULT_MAX_BYTES",
	"result-max-age":    "MRSWARM_RESULT_MAX_AGE",
	"auth":              "MRSWARM_AUTH",
	"token-file":        "MRSWARM_TOKEN_FILE",
	"tokens":            "MRSWARM_TOKENS_FILE",
	"allowed-hosts":     "MRSWARM_ALLOWED_HOSTS",
	"allowed-origins":   "MRSWARM_ALLOWED_ORIGINS",
	"tls-cert":          "MRSWARM_TLS_CERT",
	"tls-key":           "MRSWARM_TLS_KEY",
}

// ParseConfig reads the serve flags in args. Every flag falls back to its
// environment variable (getenv, usually os.Getenv), then to its default; the
// Ollama host also falls back to OLLAMA_HOST. Usage goes to out.
func ParseConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	c := Config{OllamaHost: DefaultOllamaHost}
	if h := getenv("OLLAMA_HOST"); h != "" {
		c.OllamaHost = h
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.GRPCAddr, "grpc-addr", DefaultGRPCAddr, "gRPC listen `address`")
	fs.StringVar(&c.HTTPAddr, "http-addr", DefaultHTTPAddr, "REST gateway listen `address`")
	fs.StringVar(&c.DBPath, "db", DefaultDBPath(), "DuckDB `file` outside the data root (empty: in memory)")
	fs.StringVar(&c.DataRoot, "data-root", DefaultDataRoot, "`folder` file loads and SQL are confined to")
	fs.StringVar(&c.OllamaHost, "ollama-host", c.OllamaHost, "Ollama base `URL` (also OLLAMA_HOST)")
	fs.Var(specsFlag{&c.LLMHosts}, "llm", "LLM `hosts`: kind=url[?limit=N&weight=W],... (kinds ollama, openai) or a .yaml file; replaces --ollama-host")
	fs.StringVar(&c.Model, "model", DefaultModel, "default Ollama `model` of agent steps")
	fs.BoolVar(&c.ManagedOllama, "managed-ollama", false, "start the pinned Ollama with the tiny generated model")
	fs.IntVar(&c.MaxParallel, "max-parallel", 0, "default `steps` of a run running at once (0: the LLM hosts' total limit)")
	fs.DurationVar(&c.StatementTimeout, "statement-timeout", DefaultStatementTimeout, "bound on user SQL and tool queries")
	fs.IntVar(&c.MaxPageSize, "max-page-size", DefaultMaxPageSize, "largest result page in `rows`")
	fs.Int64Var(&c.MaxUploadBytes, "max-upload-bytes", DefaultMaxUploadBytes, "largest dataset upload in `bytes`")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", DefaultShutdownTimeout, "time in-flight calls get to finish")
	fs.TextVar(&c.LogLevel, "log-level", slog.LevelInfo, "log `level` (debug, info, warn, error)")
	fs.StringVar(&c.Profile, "profile", "", fmt.Sprintf("write a `mode` profile on shutdown, one of %v", profiling.Modes()))
	fs.StringVar(&c.ProfileDir, "profile-dir", DefaultProfileDir, "`folder` of the profile files")
	fs.StringVar(&c.AdminAddr, "admin-addr", "", "serve net/http/pprof on this `address` (off when empty)")
	fs.Var(optional[int]{&c.LLMOptions.NumCtx}, "num-ctx", "model context `tokens` (default: the model's)")
	fs.Var(optional[int]{&c.LLMOptions.NumPredict}, "num-predict", "most `tokens` per answer (default: the model's)")
	fs.Var(optional[float64]{&c.LLMOptions.Temperature}, "temperature", "sampling `temperature` (default: the model's)")
	fs.Var(optional[int]{&c.LLMOptions.Seed}, "seed", "sampling `seed` (default: the model's)")
	fs.Var(optionalDuration{&c.KeepAlive}, "keep-alive", "how long Ollama keeps the model loaded after a call (default: Ollama's)")
	fs.DurationVar(&c.LLMTimeout, "llm-timeout", 0, "bound on one LLM call (0: none)")
	c.MemoryLimit = percentOfRAM(DefaultMemoryPercent)
	fs.Var(byteSize{&c.MemoryLimit}, "memory-limit", "DuckDB's memory `limit` (e.g. 4GiB, 512MB, 25%)")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", DefaultMaxBodyBytes, "largest REST request body in `bytes` (uploads excepted)")
	fs.DurationVar(&c.LoadTimeout, "load-timeout", DefaultLoadTimeout, "bound on one dataset load")
	fs.Int64Var(&c.ResultMaxBytes, "result-max-bytes", DefaultResultMaxBytes, "stored results' budget in `bytes`; least recently used unpinned ones go first")
	fs.DurationVar(&c.ResultMaxAge, "result-max-age", DefaultResultMaxAge, "unpinned results unused for this long are evicted")
	c.Access.flags(fs)
	fs.VisitAll(func(f *flag.Flag) { f.Usage += " [$" + env[f.Name] + "]" })
	if err := applyEnv(fs, getenv); err != nil {
		return Config{}, err
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("serve: unexpected arguments %q", fs.Args())
	}
	if err := c.Access.readTokens(); err != nil {
		return Config{}, err
	}
	return c, c.validate()
}

// optional is a flag for an llm.Options field: unset stays nil.
type optional[T int | float64] struct{ p **T }

func (o optional[T]) String() string {
	if o.p == nil || *o.p == nil {
		return ""
	}
	return fmt.Sprint(**o.p)
}

func (o optional[T]) Set(s string) error {
	var v T
	if _, err := fmt.Sscan(s, &v); err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	*o.p = &v
	return nil
}

// specsFlag is the --llm flag: LLM hosts parsed by pool.ParseSpecs.
type specsFlag struct{ p *[]pool.Spec }

func (f specsFlag) String() string {
	if f.p == nil {
		return ""
	}
	var s []string
	for _, h := range *f.p {
		s = append(s, h.Kind+"="+h.URL)
	}
	return strings.Join(s, ",")
}

func (f specsFlag) Set(s string) error {
	specs, err := pool.ParseSpecs(s)
	if err != nil {
		return err
	}
	*f.p = specs
	return nil
}

// optionalDuration is a duration flag that stays nil unless given.
type optionalDuration struct{ p **time.Duration }

func (o optionalDuration) String() string {
	if o.p == nil || *o.p == nil {
		return ""
	}
	return (**o.p).String()
}

func (o optionalDuration) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration (e.g. 5m, 30s)", s)
	}
	*o.p = &d
	return nil
}

// applyEnv sets every flag whose environment variable is set, so that flags
// given on the command line still win.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := env[f.Name]
		v := getenv(name)
		if name == "" || v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %v", name, v, err))
		}
	})
	return errors.Join(errs...)
}

// validate reports every out-of-range field at once.
func (c Config) validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(c.GRPCAddr != "", "grpc address is empty")
	check(c.HTTPAddr != "", "http address is empty")
	check(c.DataRoot != "", "data root is empty")
	check(c.MaxParallel >= 0, "max parallel %d must not be negative", c.MaxParallel)
	check(c.StatementTimeout > 0, "statement timeout %v must be positive", c.StatementTimeout)
	check(c.MaxPageSize > 0, "max page size %d must be positive", c.MaxPageSize)
	check(c.MaxUploadBytes > 0, "max upload bytes %d must be positive", c.MaxUploadBytes)
	check(c.ShutdownTimeout > 0, "shutdown timeout %v must be positive", c.ShutdownTimeout)
	check(c.MemoryLimit > 0, "memory limit %d must be positive", c.MemoryLimit)
	check(c.MaxBodyBytes > 0, "max body bytes %d must be positive", c.MaxBodyBytes)
	check(c.LoadTimeout > 0, "load timeout %v must be positive", c.LoadTimeout)
	check(c.ResultMaxBytes > 0, "result max bytes %d must be positive", c.ResultMaxBytes)
	check(c.ResultMaxAge > 0, "result max age %v must be positive", c.ResultMaxAge)
	check(!c.ManagedOllama || c.LLM == nil, "managed ollama and an injected LLM exclude each other")
	check(!c.ManagedOllama || len(c.LLMHosts) == 0, "managed ollama and --llm hosts exclude each other")
	check(c.Profile == "" || slices.Contains(profiling.Modes(), c.Profile), "profile %q is not one of %v", c.Profile, profiling.Modes())
	errs = append(errs, c.Access.validate()...)
	return errors.Join(errs...)
}

// withDefaults fills zero fields of a Config built in code.
func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MaxPageSize, DefaultMaxPageSize)
	if c.StatementTimeout == 0 {
		c.StatementTimeout = DefaultStatementTimeout
	}
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	c.withLimitDefaults()
	if c.OllamaHost == "" {
		c.OllamaHost = DefaultOllamaHost
	}
	if c.Model == "" {
		c.Model = DefaultModel
	}
	c.Access = c.Access.withDefaults(c.DBPath)
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: c.LogLevel}))
	}
	return c
}
