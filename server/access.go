package server

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/mrswarm/mrswarm/internal/metrics"
	"github.com/mrswarm/mrswarm/pipeline"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"github.com/mrswarm/mrswarm/sql/store"
)

// Denial reasons, the label of mrswarm_denied_requests_total.
const (
	deniedNoToken     = "no_token"
	deniedBadToken    = "bad_token"
	deniedRole        = "role"
	deniedHost        = "host"
	deniedOrigin      = "origin"
	deniedContentType = "content_type"
)

const v1 = "/mrswarm.v1."

// mutating are the calls that change state; read-only tokens may not make them.
var mutating = map[string]bool{
	v1 + "DatasetService/LoadDataset": true, v1 + "DatasetService/UploadDataset": true,
	v1 + "DatasetService/DropDataset": true, v1 + "DatasetService/SetColumnRoles": true,
	v1 + "ResultService/DeleteResult": true, v1 + "PipelineService/StartRun": true,
	v1 + "ResultService/PinResult": true, v1 + "ResultService/UnpinResult": true,
	v1 + "PipelineService/RunPipeline": true, v1 + "PipelineService/CancelRun": true,
}

// storing are calls that store a result without changing what exists; they are audited too.
var storing = map[string]bool{v1 + "ResultService/RunSQL": true, v1 + "ToolService/CallTool": true}

// runScoped are calls on one run, which only its tenant may see.
var runScoped = map[string]bool{
	v1 + "PipelineService/GetRun": true, v1 + "PipelineService/WatchRun": true,
	v1 + "PipelineService/CancelRun": true, v1 + "PipelineService/GetRunReport": true,
}

// access checks every gRPC call: the bearer token names the tenant and role,
// the role must allow the method, a run must belong to the tenant. It logs
// state-changing calls (the audit log) and counts denials by reason.
type access struct {
	auth   *authenticator
	log    *slog.Logger
	runs   *pipeline.Runner
	denied *prometheus.CounterVec
}

// newAccess registers the denial counter on m.
func newAccess(auth *authenticator, log *slog.Logger, runs *pipeline.Runner, m *metrics.Metrics) *access {
	denied := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metrics.Namespace, Name: "denied_requests_total",
		Help: "Requests refused by the access checks, by reason."}, []string{"reason"})
	m.Registry().MustRegister(denied)
	return &access{auth: auth, log: log, runs: runs, denied: denied}
}

// open reports calls that need no token: the health service.
func open(method string) bool { return strings.HasPrefix(method, "/grpc.health.v1.") }

// admit authenticates the call in ctx and checks its role may call method.
func (a *access) admit(ctx context.Context, method string) (context.Context, error) {
	var header string
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("authorization"); len(v) > 0 {
			header = v[0]
		}
	}
	id, err := a.auth.identify(header)
	if err != nil {
		a.deny(deniedFor(err))
		return ctx, status.Error(codes.Unauthenticated, a.auth.message(err))
	}
	ctx = withIdentity(ctx, id)
	if id.role == RoleReadOnly && mutating[method] {
		a.deny(deniedRole)
		return ctx, status.Errorf(codes.PermissionDenied, "%s: the token of tenant %q is read-only; loading, dropping, deleting, pinning and runs need an analyst or admin token", path.Base(method), id.tenant)
	}
	return ctx, nil
}

func deniedFor(err error) string {
	if err == errNoToken {
		return deniedNoToken
	}
	return deniedBadToken
}

func (a *access) deny(reason string) { a.denied.WithLabelValues(reason).Inc() }

// checkRun answers NotFound for an active run of another tenant, as for a
// missing one. (Stored runs are scoped by the store itself.)
func (a *access) checkRun(ctx context.Context, method string, req any) error {
	r, ok := req.(interface{ GetRunId() string })
	if !runScoped[method] || !ok || r.GetRunId() == "" {
		return nil
	}
	run, err := a.runs.Get(ctx, r.GetRunId())
	if err != nil {
		return nil // missing (or stored for another tenant): the method answers, after its own checks
	}
	if owner := run.Tenant; owner != store.TenantOf(ctx) && !(owner == "" && store.TenantOf(ctx) == store.DefaultTenant) {
		return toStatus(fmt.Errorf("run %q: %w", r.GetRunId(), pipeline.ErrNotFound))
	}
	return nil
}

// unary is the access check of unary calls.
func (a *access) unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if open(info.FullMethod) {
			return handler(ctx, req)
		}
		ctx, err := a.admit(ctx, info.FullMethod)
		if err == nil {
			err = a.checkRun(ctx, info.FullMethod, req)
		}
		var resp any
		if err == nil {
			resp, err = handler(ctx, req)
		}
		a.audit(ctx, info.FullMethod, err, req, resp)
		return resp, err
	}
}

// stream is the access check of streaming calls; the run check and the audit
// see the first message the client sends.
func (a *access) stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if open(info.FullMethod) {
			return handler(srv, ss)
		}
		ctx, err := a.admit(ss.Context(), info.FullMethod)
		w := &checkedStream{ServerStream: ss, ctx: ctx, a: a, method: info.FullMethod}
		if err == nil {
			err = handler(srv, w)
		}
		a.audit(ctx, info.FullMethod, err, w.first)
		return err
	}
}

// checkedStream carries the caller's identity and checks the first message.
type checkedStream struct {
	grpc.ServerStream
	ctx    context.Context //nolint:containedctx // a stream's context, as grpc.ServerStream itself keeps it
	a      *access
	method string
	first  any
}

func (s *checkedStream) Context() context.Context { return s.ctx }

func (s *checkedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if s.first != nil {
		return nil
	}
	s.first = m
	return s.a.checkRun(s.ctx, s.method, m)
}

// audit logs a state-changing call: tenant, role, method, target and outcome.
func (a *access) audit(ctx context.Context, method string, err error, msgs ...any) {
	if !mutating[method] && !storing[method] {
		return
	}
	attrs := []any{"method", path.Base(method), "target", target(msgs...), "outcome", status.Code(err).String()}
	if id, ok := identityOf(ctx); ok {
		attrs = append([]any{"tenant", id.tenant, "role", string(id.role)}, attrs...)
	}
	a.log.InfoContext(ctx, "audit", attrs...)
}

// target names what a call acts on, from its request (and, for a started
// run, its answer): dataset or result names, tool, run id, SQL (clipped).
func target(msgs ...any) string {
	var parts []string
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	for _, m := range msgs {
		if u, ok := m.(*mrswarmv1.UploadDatasetRequest); ok {
			m = u.GetHeader()
		}
		if v, ok := m.(interface{ GetName() string }); ok {
			add(v.GetName())
		}
		if v, ok := m.(interface{ GetDataset() string }); ok {
			add(v.GetDataset())
		}
		if v, ok := m.(interface{ GetTool() string }); ok {
			add(v.GetTool())
		}
		if v, ok := m.(interface{ GetHandle() string }); ok {
			add(v.GetHandle())
		}
		if v, ok := m.(interface{ GetRunId() string }); ok {
			add(v.GetRunId())
		}
		if v, ok := m.(interface{ GetSql() string }); ok {
			add(clipAudit(v.GetSql()))
		}
	}
	return strings.Join(parts, " ")
}

// clipAudit keeps the audit log's SQL to one bounded line.
func clipAudit(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if r := []rune(q); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return q
}
