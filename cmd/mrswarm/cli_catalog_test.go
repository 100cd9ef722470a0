package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mrswarm/mrswarm/server/servertest"
)

func TestCLIPresetsAndAgents(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	out := mustCLI(t, srv.GRPCAddr, "presets", "-v")
	for _, want := range []string{"campaign_optimization", "roi_analysis", "agent market_research_analyst",
		"after market_research_analyst, competitive_analyst"} {
		if !strings.Contains(out, want) {
			t.Errorf("presets -v lacks %q:\n%s", want, out)
		}
	}
	out = mustCLI(t, srv.GRPCAddr, "agents")
	for _, want := range []string{"market_research_analyst", "campaign_optimizer", "market_share"} {
		if !strings.Contains(out, want) {
			t.Errorf("agents lacks %q:\n%s", want, out)
		}
	}
}

// TestCLIGlobalFlagsAndHelp: client flags before the command name, and
// mrswarm help COMMAND.
func TestCLIGlobalFlagsAndHelp(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{})
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"--addr before the command", []string{"--addr", srv.GRPCAddr, "runs"}, 0, "RUN  STATUS", ""},
		{"--addr= before the command", []string{"--addr=" + srv.GRPCAddr, "--timeout", "10s", "presets"}, 0, "campaign_optimization", ""},
		{"the command's own flag wins", []string{"--addr", "127.0.0.1:1", "agents", "--addr", srv.GRPCAddr}, 0, "data_analyst", ""},
		{"unknown global flag", []string{"--bogus", "runs"}, 2, "", "unknown flag --bogus"},
		{"global flag without a value", []string{"--addr"}, 2, "", "needs a value"},
		{"help run", []string{"help", "run"}, 0, "usage: mrswarm run --dataset D", ""},
		{"help run lists its flags", []string{"help", "run"}, 0, "-preset", ""},
		{"--help after globals", []string{"--addr", "x:1", "--help"}, 0, "commands:", ""},
		{"help unknown", []string{"help", "frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"unreachable through the global flag", []string{"--addr", "127.0.0.1:1", "runs"}, 1, "",
			"server not reachable at 127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(t.Context(), tt.args, &out, &errOut)
			if code != tt.wantCode || !strings.Contains(out.String(), tt.wantStdout) || !strings.Contains(errOut.String(), tt.wantStderr) {
				t.Errorf("mrswarm %v: exit %d, stdout %.300q, stderr %.300q; want exit %d, stdout with %q, stderr with %q",
					tt.args, code, out.String(), errOut.String(), tt.wantCode, tt.wantStdout, tt.wantStderr)
			}
		})
	}
}
