package server

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/pipeline/llm/pool"
)

func TestParseConfig(t *testing.T) {
	defaults := Config{
		GRPCAddr: DefaultGRPCAddr, HTTPAddr: DefaultHTTPAddr, DBPath: DefaultDBPath(), DataRoot: DefaultDataRoot,
		OllamaHost: DefaultOllamaHost, Model: DefaultModel,
		StatementTimeout: DefaultStatementTimeout, MaxPageSize: DefaultMaxPageSize,
		MaxUploadBytes: DefaultMaxUploadBytes, ShutdownTimeout: DefaultShutdownTimeout, LogLevel: slog.LevelInfo,
		ProfileDir: DefaultProfileDir, MemoryLimit: percentOfRAM(DefaultMemoryPercent),
		MaxBodyBytes: DefaultMaxBodyBytes, LoadTimeout: DefaultLoadTimeout,
		ResultMaxBytes: DefaultResultMaxBytes, ResultMaxAge: DefaultResultMaxAge,
	}
	with := func(f func(*Config)) Config {
		c := defaults
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{name: "defaults", want: defaults},
		{
			name: "environment",
			env: map[string]string{
				"MRSWARM_GRPC_ADDR": ":9000", "MRSWARM_DB": "/tmp/x.duckdb", "MRSWARM_MANAGED_OLLAMA": "1",
				"MRSWARM_MAX_PARALLEL": "4", "MRSWARM_STATEMENT_TIMEOUT": "5s", "MRSWARM_LOG_LEVEL": "debug",
				"MRSWARM_MODEL": "qwen2.5", "MRSWARM_DATA_ROOT": "/data",
			},
			want: with(func(c *Config) {
				c.GRPCAddr, c.DBPath, c.ManagedOllama, c.MaxParallel = ":9000", "/tmp/x.duckdb", true, 4
				c.StatementTimeout, c.LogLevel, c.Model, c.DataRoot = 5*time.Second, slog.LevelDebug, "qwen2.5", "/data"
			}),
		},
		{
			name: "flags win over environment",
			args: []string{"--grpc-addr", ":9001", "--max-parallel=3"},
			env:  map[string]string{"MRSWARM_GRPC_ADDR": ":9000", "MRSWARM_MAX_PARALLEL": "4"},
			want: with(func(c *Config) { c.GRPCAddr, c.MaxParallel = ":9001", 3 }),
		},
		{
			name: "OLLAMA_HOST is the fallback",
			env:  map[string]string{"OLLAMA_HOST": "http://gpu:11434"},
			want: with(func(c *Config) { c.OllamaHost = "http://gpu:11434" }),
		},
		{
			name: "MRSWARM_OLLAMA_HOST wins over OLLAMA_HOST",
			env:  map[string]string{"OLLAMA_HOST": "http://gpu:11434", "MRSWARM_OLLAMA_HOST": "http://mine:1"},
			want: with(func(c *Config) { c.OllamaHost = "http://mine:1" }),
		},
		{
			name: "model options stay unset unless given",
			args: []string{"--num-ctx", "8192", "--temperature", "0"},
			env:  map[string]string{"MRSWARM_SEED": "7"},
			want: with(func(c *Config) { c.LLMOptions = llm.Options{NumCtx: ptr(8192), Temperature: ptr(0.0), Seed: ptr(7)} }),
		},
		{
			name: "limits",
			args: []string{"--memory-limit", "512MiB", "--load-timeout=1m"},
			env: map[string]string{"MRSWARM_MAX_BODY_BYTES": "1024", "MRSWARM_RESULT_MAX_BYTES": "1000000",
				"MRSWARM_RESULT_MAX_AGE": "1h", "MRSWARM_MEMORY_LIMIT": "2GB"},
			want: with(func(c *Config) {
				c.MemoryLimit, c.LoadTimeout, c.MaxBodyBytes = 512<<20, time.Minute, 1024
				c.ResultMaxBytes, c.ResultMaxAge = 1000000, time.Hour
			}),
		},
		{
			name: "memory limit as a share of RAM",
			env:  map[string]string{"MRSWARM_MEMORY_LIMIT": "50%"},
			want: with(func(c *Config) { c.MemoryLimit = percentOfRAM(50) }),
		},
		{
			name:    "bad memory limit",
			args:    []string{"--memory-limit", "lots"},
			wantErr: "not a size",
		},
		{
			name: "profiles",
			env:  map[string]string{"MRSWARM_PROFILE": "cpu", "MRSWARM_ADMIN_ADDR": "127.0.0.1:6060"},
			want: with(func(c *Config) { c.Profile, c.AdminAddr = "cpu", "127.0.0.1:6060" }),
		},
		{
			name: "keep-alive and LLM timeout",
			args: []string{"--llm-timeout", "2m"},
			env:  map[string]string{"MRSWARM_KEEP_ALIVE": "30m"},
			want: with(func(c *Config) { c.KeepAlive, c.LLMTimeout = ptr(30*time.Minute), 2*time.Minute }),
		},
		{name: "bad keep-alive", args: []string{"--keep-alive", "forever"}, wantErr: "not a duration"},
		{name: "unknown profile", args: []string{"--profile", "gpu"}, wantErr: `profile "gpu" is not one of`},
		{name: "bad model option", args: []string{"--num-predict", "lots"}, wantErr: "not a number"},
		{name: "bad env value names the variable", env: map[string]string{"MRSWARM_STATEMENT_TIMEOUT": "soon"}, wantErr: "MRSWARM_STATEMENT_TIMEOUT"},
		{name: "out of range", args: []string{"--max-parallel", "-1"}, wantErr: "max parallel -1 must not be negative"},
		{
			name: "LLM hosts",
			env:  map[string]string{"MRSWARM_LLM": "ollama=http://a:11434?limit=4,openai=http://b:8000/v1"},
			want: with(func(c *Config) {
				c.LLMHosts = []pool.Spec{{Kind: "ollama", URL: "http://a:11434", Limit: 4}, {Kind: "openai", URL: "http://b:8000/v1"}}
			}),
		},
		{name: "bad LLM host", args: []string{"--llm", "vllm=http://b:8000"}, wantErr: `kind "vllm" is not ollama or openai`},
		{name: "managed ollama and LLM hosts", args: []string{"--managed-ollama", "--llm", "http://a:11434"}, wantErr: "exclude each other"},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "flag provided but not defined"},
		{name: "extra argument", args: []string{"extra"}, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			got, err := ParseConfig(tt.args, getenv, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseConfig error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Config{}, "Logger", "LLM")); diff != "" {
				t.Errorf("config mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
