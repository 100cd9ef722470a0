// Package server is mrswarm's API: the gRPC services over the DuckDB store, the
// SQL tools and the pipeline runner, the REST gateway in front of them, and the
// error mapping between the domain packages and gRPC status codes.
//
// [Run] listens on the configured addresses; [Serve] takes listeners, so tests
// pass in-memory ones. Both return after ctx ends and every part has shut down.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/mrswarm/mrswarm/internal/metrics"
	"github.com/mrswarm/mrswarm/internal/ollamaproc"
	"github.com/mrswarm/mrswarm/internal/procstat"
	"github.com/mrswarm/mrswarm/pipeline"
	"github.com/mrswarm/mrswarm/pipeline/llm/pool"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"github.com/mrswarm/mrswarm/sql/store"
	"github.com/mrswarm/mrswarm/sql/tools"
)

// Run listens on cfg.GRPCAddr and cfg.HTTPAddr and serves until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	if cfg.ManagedOllama {
		stop, err := startManagedOllama(ctx, &cfg)
		if err != nil {
			return err
		}
		defer stop()
	}
	m := metrics.New(nil) // the admin address serves them too
	stopProfiles, err := startProfiling(cfg, m.Handler())
	if err != nil {
		return err
	}
	defer stopProfiles()
	var lc net.ListenConfig
	grpcLis, err := lc.Listen(ctx, "tcp", cfg.GRPCAddr)
	if err != nil {
		return fmt.Errorf("listen grpc: %w", err)
	}
	httpLis, err := lc.Listen(ctx, "tcp", cfg.HTTPAddr)
	if err != nil {
		grpcLis.Close()
		return fmt.Errorf("listen http: %w", err)
	}
	return serve(ctx, cfg, m, grpcLis, httpLis)
}

// Serve serves gRPC on grpcLis and the REST gateway (with Prometheus metrics at
// GET /metrics) on httpLis until ctx ends,
// then shuts down gracefully: active runs are interrupted, then HTTP, then
// gRPC (forced after cfg.ShutdownTimeout), and the database last.
// It closes both listeners.
func Serve(ctx context.Context, cfg Config, grpcLis, httpLis net.Listener) error {
	return serve(ctx, cfg, metrics.New(nil), grpcLis, httpLis)
}

// serve is Serve with the metrics m.
func serve(ctx context.Context, cfg Config, m *metrics.Metrics, grpcLis, httpLis net.Listener) error {
	defer grpcLis.Close()
	defer httpLis.Close()
	cfg = cfg.withDefaults()
	log := cfg.Logger
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeLogged(log, "database", st.Close)

	hostMetrics := m.LLMHosts()
	model, lp, err := newLLM(ctx, cfg, hostMetrics.Observe)
	if err != nil {
		return err
	}
	if lp != nil {
		hostMetrics.Watch(lp.Hosts)
		defer probe(ctx, lp)()
	}
	catalog := tools.NewCatalog(st)
	runner := pipeline.NewRunner(st, model, pipeline.Config{
		MaxParallel: maxParallel(cfg, lp), DefaultModel: cfg.Model, LLMOptions: cfg.LLMOptions, Logger: log,
		Tools: catalog, Process: procstat.New(0), OnEvent: m.ObserveEvent,
		// The generated tiny models' prose is random, however Ollama was started.
		RandomModels: []string{ollamaproc.DefaultModel, ollamaproc.DefaultToolsModel}})
	if err := runner.Recover(ctx); err != nil {
		return fmt.Errorf("recover runs: %w", err)
	}
	defer closeLogged(log, "pipeline runner", func() error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		return runner.Close(ctx)
	})

	m.CountEvictions(st.Evictions)
	m.CountReopens(st.Reopens)
	auth, err := setupAuth(cfg, grpcLis, httpLis)
	if err != nil {
		return err
	}
	tlsCfg, err := loadTLS(cfg.Access)
	if err != nil {
		return err
	}
	acc := newAccess(auth, log, runner, m)
	gs, hs := newGRPCServer(cfg, st, catalog, runner, m, acc, tlsCfg)
	watchLLM(ctx, model, hs, log)
	conn, err := dialSelf(grpcLis, selfCredentials(tlsCfg))
	if err != nil {
		return err
	}
	defer conn.Close()
	gw, err := newGateway(ctx, conn, m.Handler(), lp)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	guarded, err := guardHTTP(limitBodies(gw, cfg.MaxBodyBytes), cfg.Access, acc)
	if err != nil {
		return err
	}
	srv := &servers{grpc: gs, health: hs, runner: runner, http: &http.Server{Handler: guarded, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: tlsCfg, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}}
	return srv.serve(ctx, cfg, grpcLis, httpLis)
}

// maxParallel is the runs' default parallelism: --max-parallel, else the
// LLM pool's capacity (adding a host raises it), else DefaultMaxParallel.
func maxParallel(cfg Config, lp *pool.Pool) int {
	switch {
	case cfg.MaxParallel > 0:
		return cfg.MaxParallel
	case lp != nil:
		return lp.Capacity()
	}
	return DefaultMaxParallel
}

// probe runs the pool's health probes until ctx ends or the returned
// function is called; that function returns once the probes have stopped.
func probe(ctx context.Context, lp *pool.Pool) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lp.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// servers are the gRPC server, its health service, the REST gateway's server
// and the pipeline runner whose runs they stream.
type servers struct {
	grpc   *grpc.Server
	health *health.Server
	http   *http.Server
	runner *pipeline.Runner
}

// serve runs both servers until ctx ends or one fails, then stops both.
func (s *servers) serve(ctx context.Context, cfg Config, grpcLis, httpLis net.Listener) error {
	errc := make(chan error, 2)
	// Decided before Serve runs: http.Server.Serve sets TLSConfig for HTTP/2.
	serve, rest := s.http.Serve, "http://"+httpLis.Addr().String()
	if s.http.TLSConfig != nil {
		serve = func(l net.Listener) error { return s.http.ServeTLS(l, "", "") }
		rest = "https://" + httpLis.Addr().String()
	}
	go func() { errc <- s.grpc.Serve(grpcLis) }()
	go func() {
		if err := serve(httpLis); !errors.Is(err, http.ErrServerClosed) {
			errc <- err
			return
		}
		errc <- nil
	}()
	cfg.Logger.Info("mrswarm serving", "grpc", grpcLis.Addr().String(), "rest", rest, "openapi", rest+"/openapi.json",
		"db", cfg.DBPath, "data_root", cfg.DataRoot, "ollama", cfg.OllamaHost, "model", cfg.Model)
	var err error
	pending := 2
	select {
	case <-ctx.Done():
	case err = <-errc:
		pending--
	}
	cfg.Logger.Info("mrswarm shutting down", "timeout", cfg.ShutdownTimeout)
	s.shutdown(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	for ; pending > 0; pending-- {
		err = errors.Join(err, <-errc)
	}
	cfg.Logger.Info("mrswarm servers stopped")
	return err
}

// shutdown reports NOT_SERVING, interrupts active runs (their watchers get
// run_finished instead of holding the servers open until the timeout), stops
// HTTP (in-flight requests finish), then gRPC; each is forced once timeout has
// passed.
func (s *servers) shutdown(ctx context.Context, timeout time.Duration) {
	s.health.Shutdown()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if s.runner != nil {
		s.runner.Close(ctx) // the deferred Close in Serve reports errors
	}
	if err := s.http.Shutdown(ctx); err != nil {
		s.http.Close()
	}
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		s.grpc.Stop()
		<-stopped
	}
}

// newGRPCServer registers every service and the health service (SERVING).
// Every call is logged and counted in m, and every call but the health
// service's passes acc's access checks first.
func newGRPCServer(cfg Config, st *store.Store, catalog *tools.Catalog, runner *pipeline.Runner, m *metrics.Metrics,
	acc *access, tlsCfg *tls.Config) (*grpc.Server, *health.Server) {
	opts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(logUnary(cfg.Logger), m.UnaryInterceptor(), acc.unary()),
		grpc.ChainStreamInterceptor(logStream(cfg.Logger), m.StreamInterceptor(), acc.stream()),
		grpc.WaitForHandlers(true),
		grpc.MaxRecvMsgSize(int(cfg.MaxBodyBytes)), // a REST body becomes one message: the same bound
	}
	if tlsCfg != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(tlsCfg)))
	}
	gs := grpc.NewServer(opts...)
	mrswarmv1.RegisterDatasetServiceServer(gs, newDatasetServer(st, catalog, cfg.MaxUploadBytes, m, cfg.Logger))
	mrswarmv1.RegisterResultServiceServer(gs, newResultServer(st, cfg.MaxPageSize))
	mrswarmv1.RegisterToolServiceServer(gs, newToolServer(catalog, m))
	mrswarmv1.RegisterPipelineServiceServer(gs, newPipelineServer(runner))
	hs := health.NewServer()
	healthpb.RegisterHealthServer(gs, hs)
	for name := range gs.GetServiceInfo() {
		hs.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	return gs, hs
}

func openStore(ctx context.Context, cfg Config) (*store.Store, error) {
	if cfg.DBPath != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.DBPath), 0o755); err != nil {
			return nil, fmt.Errorf("database folder: %w", err)
		}
	}
	st, err := store.Open(ctx, cfg.DBPath, store.Options{
		DataRoot: cfg.DataRoot, StatementTimeout: cfg.StatementTimeout, MaxPageSize: cfg.MaxPageSize,
		MemoryLimit: cfg.MemoryLimit, LoadTimeout: cfg.LoadTimeout,
		Retention: store.Retention{MaxBytes: cfg.ResultMaxBytes, MaxAge: cfg.ResultMaxAge},
	})
	if err != nil {
		return nil, fmt.Errorf("open database %q: %w", cfg.DBPath, err)
	}
	return st, nil
}

// dialSelf connects the gateway to the gRPC listener, in memory when the
// listener can dial itself (bufconn).
func dialSelf(lis net.Listener, creds credentials.TransportCredentials) (*grpc.ClientConn, error) {
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64 << 20)),
	}
	if d, ok := lis.(interface {
		DialContext(context.Context) (net.Conn, error)
	}); ok {
		opts = append(opts, grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return d.DialContext(ctx)
		}))
	}
	conn, err := grpc.NewClient("passthrough:///"+lis.Addr().String(), opts...)
	if err != nil {
		return nil, fmt.Errorf("gateway connection: %w", err)
	}
	return conn, nil
}

func closeLogged(log *slog.Logger, what string, close func() error) {
	if err := close(); err != nil {
		log.Error("close "+what, "error", err)
	}
}
