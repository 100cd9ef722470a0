package server

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// uploadScript uploads one CSV the three ways a Python user would with requests.
const uploadScript = `
import json, os, sys, requests
base, path = sys.argv[1], sys.argv[2]
auth = {"Authorization": "Bearer " + os.environ["MRSWARM_TOKEN"]}
out = {}
with open(path, "rb") as f:
    r = requests.post(base + "/v1/datasets/py_raw:upload", params={"format": "csv"}, data=f, headers=auth)
    out["raw body"] = [r.status_code, r.json()]
with open(path, "rb") as f:
    r = requests.post(base + "/v1/datasets/py_files:upload", files={"file": f}, headers=auth)
    out["files="] = [r.status_code, r.json()]
with open(path, "rb") as f:
    r = requests.post(base + "/v1/datasets/py_form:upload", data={"format": "csv"}, files={"file": ("blob", f)}, headers=auth)
    out["files= with a format field"] = [r.status_code, r.json()]
print(json.dumps(out))
`

// TestPythonRequestsUpload uploads the real data set from Python requests to a
// server on TCP. It needs /usr/bin/python3 with requests (make python-deps).
func TestPythonRequestsUpload(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import requests").Run(); err != nil {
		if os.Getenv("MRSWARM_REQUIRE_OLLAMA") == "1" {
			t.Fatalf("%s with requests is missing (make python-deps): %v", python, err)
		}
		t.Skipf("%s with requests is missing (make python-deps): %v", python, err)
	}
	cfg := testConfig(t)
	cfg.GRPCAddr, cfg.HTTPAddr = freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitServing(t, cfg.GRPCAddr)

	script := filepath.Join(t.TempDir(), "upload.py")
	if err := os.WriteFile(script, []byte(uploadScript), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, python, script, "http://"+cfg.HTTPAddr, beverageCSV(t))
	cmd.Env = append(os.Environ(), "MRSWARM_TOKEN="+testToken)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	var got map[string][2]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python printed %s: %v", out, err)
	}
	if len(got) != 3 {
		t.Fatalf("python made %d uploads, want 3: %s", len(got), out)
	}
	for how, res := range got {
		d, _ := res[1].(map[string]any)["dataset"].(map[string]any)
		if res[0] != float64(200) || d["row_count"] != "15000" || d["format"] != "FORMAT_CSV" {
			t.Errorf("%s: HTTP %v %v, want 200 with 15000 CSV rows", how, res[0], res[1])
		}
	}
}

// waitServing waits until the gRPC server at addr reports SERVING.
func waitServing(t *testing.T, addr string) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health at %s = %v, %v", addr, resp.GetStatus(), err)
	}
}
