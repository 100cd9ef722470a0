package server

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestRun serves on real TCP addresses: the gateway dials the gRPC port, and
// cancelling the context stops everything with a nil error and writes the
// requested profile.
func TestRun(t *testing.T) {
	cfg := testConfig(t)
	cfg.GRPCAddr, cfg.HTTPAddr = freeAddr(t), freeAddr(t)
	cfg.Profile, cfg.ProfileDir, cfg.AdminAddr = "mem", t.TempDir(), "127.0.0.1:0"
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()

	conn, err := grpc.NewClient(cfg.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health over TCP = %v, %v", resp.GetStatus(), err)
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+cfg.HTTPAddr+"/v1/datasets", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	hresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("REST over TCP: %v", err)
	}
	hresp.Body.Close()
	if hresp.StatusCode != http.StatusOK {
		t.Errorf("GET /v1/datasets over TCP = %d", hresp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if _, err := os.Stat(filepath.Join(cfg.ProfileDir, "mem.pprof")); err != nil {
		t.Errorf("no memory profile after shutdown: %v", err)
	}
}

func TestRunAddressInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := testConfig(t)
	cfg.GRPCAddr, cfg.HTTPAddr = freeAddr(t), l.Addr().String()
	if err := Run(t.Context(), cfg); err == nil {
		t.Fatal("Run on a busy HTTP address returned nil")
	}
}
