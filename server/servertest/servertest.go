// Package servertest runs a real mrswarm server in process, on free loopback
// ports with a fresh DuckDB file and data root, for tests and runnable
// examples of the clients.
//
//	srv := servertest.Start(t, servertest.Options{Beverage: true})
//	c, _ := mrswarm.Dial(t.Context(), srv.GRPCAddr) // finds srv.Token in $MRSWARM_TOKEN
//
// The server requires its token like any mrswarm server; [Start] puts it in
// $MRSWARM_TOKEN for the test, where clients find it.
package servertest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/internal/repo"
	"github.com/mrswarm/mrswarm/internal/testcert"
	"github.com/mrswarm/mrswarm/pipeline/llm"
	"github.com/mrswarm/mrswarm/server"
)

// BeverageFile is the name of the beverage CSV in the data root when
// [Options.Beverage] is set.
const BeverageFile = "beverage_sales.csv"

// ErrNoData reports that the beverage CSV is missing from the module's data folder.
var ErrNoData = errors.New("servertest: beverage_sales.csv not found at <module root>/data")

// Options configure the server.
type Options struct {
	// Beverage copies the real beverage sales CSV into the data root as
	// [BeverageFile].
	Beverage bool
	// OllamaHost and Model point agent steps at an Ollama server. Without
	// them (and without LLM) agent steps fail as Unavailable: the server is
	// given an address where nothing listens, never a developer's own Ollama.
	OllamaHost, Model string
	// LLM replaces the Ollama client (scripted models).
	LLM llm.Client
	// Log receives the server's log (default: discarded).
	Log io.Writer
	// ShutdownTimeout bounds in-flight calls at Stop and Restart (default
	// the server's).
	ShutdownTimeout time.Duration
	// TLS serves gRPC and REST over TLS with a certificate generated for
	// 127.0.0.1 and localhost; clients trust it through [Server.CAFile].
	TLS bool
}

// Server is a running in-process mrswarm server.
type Server struct {
	// GRPCAddr is the gRPC address, "127.0.0.1:port".
	GRPCAddr string
	// URL is the REST gateway's base URL, "http://127.0.0.1:port".
	URL string
	// DataRoot is the folder file loads are confined to.
	DataRoot string
	// DBPath is the DuckDB file.
	DBPath string
	// Token is the server's bearer token (generated at first start, kept in
	// mrswarm.token beside the database).
	Token string
	// CAFile is the certificate a client trusts with Options.TLS ("" without).
	CAFile string

	cfg    server.Config
	cancel context.CancelFunc
	done   chan error
}

// Start starts a server in tb's temporary directory and stops it at cleanup.
// It sets $MRSWARM_TOKEN to the server's token for the rest of the test. A
// missing beverage CSV fails tb.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := New(tb.Context(), tb.TempDir(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Setenv("MRSWARM_TOKEN", s.Token)
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("servertest: stop: %v", err)
		}
	})
	return s
}

// New starts a server whose database and data root live under dir. Stop it
// with [Server.Stop].
func New(ctx context.Context, dir string, opts Options) (*Server, error) {
	s := &Server{DataRoot: filepath.Join(dir, "data"), DBPath: filepath.Join(dir, "state.duckdb")}
	if err := os.MkdirAll(s.DataRoot, 0o755); err != nil {
		return nil, err
	}
	if opts.Beverage {
		src, err := BeverageCSV()
		if err != nil {
			return nil, err
		}
		if err := copyFile(src, filepath.Join(s.DataRoot, BeverageFile)); err != nil {
			return nil, err
		}
	}
	if opts.OllamaHost == "" && opts.LLM == nil {
		opts.OllamaHost = "http://127.0.0.1:1"
	}
	logOut := opts.Log
	if logOut == nil {
		logOut = io.Discard
	}
	s.cfg = server.Config{
		DBPath: s.DBPath, DataRoot: s.DataRoot, OllamaHost: opts.OllamaHost, Model: opts.Model, LLM: opts.LLM,
		ShutdownTimeout: opts.ShutdownTimeout,
		Logger:          slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	if opts.TLS {
		if err := s.writeCert(dir); err != nil {
			return nil, err
		}
	}
	if err := s.serve(ctx, "127.0.0.1:0", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, server.TokenFileName))
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("servertest: token: %w", err)
	}
	s.Token = strings.TrimSpace(string(b))
	return s, nil
}

// serve listens on the given addresses and serves in the background.
func (s *Server) serve(ctx context.Context, grpcAddr, httpAddr string) error {
	grpcLis, err := listen(ctx, grpcAddr)
	if err != nil {
		return err
	}
	httpLis, err := listen(ctx, httpAddr)
	if err != nil {
		grpcLis.Close()
		return err
	}
	scheme := "http://"
	if s.CAFile != "" {
		scheme = "https://"
	}
	s.GRPCAddr, s.URL = grpcLis.Addr().String(), scheme+httpLis.Addr().String()
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.done = make(chan error, 1)
	go func() { s.done <- server.Serve(ctx, s.cfg, grpcLis, httpLis) }()
	return s.waitReady(ctx)
}

// waitReady waits until the gateway answers /healthz, or Serve fails.
func (s *Server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.cancel = nil
			return fmt.Errorf("servertest: serve: %w", err)
		case <-time.After(10 * time.Millisecond):
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/healthz", nil)
		if err != nil {
			return err
		}
		if resp, err := s.httpClient().Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	s.Stop()
	return errors.New("servertest: server not ready after a minute")
}

// listen retries briefly: a port just released by [Server.Restart] may still
// be held by the previous listener's shutdown.
func listen(ctx context.Context, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	var err error
	for range 50 {
		var lis net.Listener
		if lis, err = lc.Listen(ctx, "tcp", addr); err == nil {
			return lis, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, fmt.Errorf("servertest: listen %s: %w", addr, err)
}

// Stop shuts the server down and returns what Serve returned. Calling it
// again returns nil.
func (s *Server) Stop() error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	s.cancel = nil
	return <-s.done
}

// Restart stops the server and serves again on the same addresses with the
// same database, as after a crash-free restart of the process.
func (s *Server) Restart(ctx context.Context) error {
	if err := s.Stop(); err != nil {
		return err
	}
	_, host, _ := strings.Cut(s.URL, "://")
	return s.serve(ctx, s.GRPCAddr, host)
}

// BeverageCSV returns the path of the real beverage sales data:
// <module root>/data/beverage_sales.csv.
func BeverageCSV() (string, error) {
	p, err := repo.BeverageCSV()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoData, err)
	}
	return p, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// writeCert generates the TLS certificate of Options.TLS in dir.
func (s *Server) writeCert(dir string) error {
	f, err := testcert.Generate(dir)
	if err != nil {
		return fmt.Errorf("servertest: certificate: %w", err)
	}
	s.cfg.TLSCert, s.cfg.TLSKey, s.CAFile = f.Cert, f.Key, f.CA
	return nil
}

// httpClient is an HTTP client that trusts the server's certificate.
func (s *Server) httpClient() *http.Client {
	if s.CAFile == "" {
		return http.DefaultClient
	}
	pem, err := os.ReadFile(s.CAFile)
	roots := x509.NewCertPool()
	if err == nil {
		roots.AppendCertsFromPEM(pem)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
}
