package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/mrswarm/mrswarm/internal/testcert"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// TestTLS serves gRPC and REST over TLS on loopback TCP with a certificate
// the test generates: both answer clients that trust it, REST calls go
// through the gateway's own TLS connection, and plain text is refused.
func TestTLS(t *testing.T) {
	cfg := testConfig(t)
	cfg.GRPCAddr, cfg.HTTPAddr = freeAddr(t), freeAddr(t)
	certs := testcert.Write(t, t.TempDir())
	cfg.TLSCert, cfg.TLSKey = certs.Cert, certs.Key
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	pem, err := os.ReadFile(certs.CA)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	tlsCfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}

	conn, err := grpc.NewClient(cfg.GRPCAddr, grpc.WithTransportCredentials(credentials.NewTLS(tlsCfg)),
		grpc.WithPerRPCCredentials(bearer(testToken)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := mrswarmv1.NewDatasetServiceClient(conn).ListDatasets(ctx, &mrswarmv1.ListDatasetsRequest{}, grpc.WaitForReady(true)); err != nil {
		t.Fatalf("gRPC over TLS: %v", err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	req, _ := http.NewRequestWithContext(ctx, "POST", "https://"+cfg.HTTPAddr+"/v1/sql", strings.NewReader(`{"sql": "SELECT 42 AS answer"}`))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("REST over TLS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil {
		t.Errorf("POST /v1/sql over TLS = %d (TLS %v)", resp.StatusCode, resp.TLS != nil)
	}
	plain, err := grpc.NewClient(cfg.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(bearer(testToken)))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, err := mrswarmv1.NewDatasetServiceClient(plain).ListDatasets(ctx, &mrswarmv1.ListDatasetsRequest{}); err == nil {
		t.Error("plain-text gRPC was served by a TLS server")
	}
	if resp, err := http.Get("http://" + cfg.HTTPAddr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain-text HTTP was served by a TLS server")
		}
	}
}
