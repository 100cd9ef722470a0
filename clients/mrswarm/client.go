package mrswarm

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// DefaultAddr is the address the mrswarm server listens on for gRPC by default.
const DefaultAddr = "127.0.0.1:7070"

// ErrArgs reports tool arguments that cannot be encoded as a JSON object.
var ErrArgs = errors.New("mrswarm: tool arguments must encode to a JSON object")

// Client is a connection to an mrswarm server. It is safe for concurrent use.
type Client struct {
	conn      *grpc.ClientConn
	datasets  mrswarmv1.DatasetServiceClient
	tools     mrswarmv1.ToolServiceClient
	results   mrswarmv1.ResultServiceClient
	pipelines mrswarmv1.PipelineServiceClient
	cfg       config
}

type config struct {
	dialOpts    []grpc.DialOption
	creds       credentials.TransportCredentials
	timeout     time.Duration
	maxReattach int
	backoff     time.Duration
	token       string // "" finds one with FindToken
	caFile      string
}

// Option configures [Dial].
type Option func(*config)

// WithDialOptions appends gRPC dial options (e.g. a context dialer for a
// bufconn listener).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(c *config) { c.dialOpts = append(c.dialOpts, opts...) }
}

// WithInsecure disables transport security. It is the default for loopback
// and unix-socket targets (unless [WithCAFile] is given).
func WithInsecure() Option {
	return func(c *config) { c.creds = insecure.NewCredentials() }
}

// WithTransportCredentials sets the transport security. Targets that are not
// loopback default to TLS with the system roots.
func WithTransportCredentials(creds credentials.TransportCredentials) Option {
	return func(c *config) { c.creds = creds }
}

// WithTimeout bounds every unary call that has no deadline of its own.
// Streams (runs, row streams, uploads) are bounded only by their context.
func WithTimeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// WithReattach sets how many times in a row an event stream may re-attach
// without receiving an event before it gives up (default 10), and the first
// wait between attempts (default 100ms, doubling up to 2s).
func WithReattach(attempts int, backoff time.Duration) Option {
	return func(c *config) { c.maxReattach, c.backoff = attempts, backoff }
}

// Dial connects to an mrswarm server at target ("host:port" or any gRPC
// target). The connection is made lazily; ctx is accepted for symmetry with
// other calls and future use. Every call carries the token of [WithToken],
// or else the one [FindToken] finds (the environment, or a local server's
// token file).
func Dial(ctx context.Context, target string, opts ...Option) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg := config{maxReattach: 10, backoff: 100 * time.Millisecond}
	for _, o := range opts {
		o(&cfg)
	}
	creds := cfg.creds
	if creds == nil && cfg.caFile != "" {
		var err error
		if creds, err = caCredentials(cfg.caFile); err != nil {
			return nil, err
		}
	}
	if creds == nil {
		creds = credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
		if isLocal(target) {
			creds = insecure.NewCredentials()
		}
	}
	dopts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if cfg.token == "" {
		cfg.token = FindToken(target)
	}
	if cfg.token != "" {
		dopts = append(dopts, grpc.WithPerRPCCredentials(bearer(cfg.token)))
	}
	dopts = append(dopts, cfg.dialOpts...)
	conn, err := grpc.NewClient(target, dopts...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", target, err)
	}
	return &Client{
		conn:      conn,
		datasets:  mrswarmv1.NewDatasetServiceClient(conn),
		tools:     mrswarmv1.NewToolServiceClient(conn),
		results:   mrswarmv1.NewResultServiceClient(conn),
		pipelines: mrswarmv1.NewPipelineServiceClient(conn),
		cfg:       cfg,
	}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Conn returns the underlying connection, for calling the generated
// mrswarmv1 stubs directly.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// call returns ctx bounded by the client's per-call timeout when ctx has no
// deadline of its own.
func (c *Client) call(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || c.cfg.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.cfg.timeout)
}

// isLocal reports whether target names a loopback address or a unix socket.
func isLocal(target string) bool {
	if strings.HasPrefix(target, "unix:") {
		return true
	}
	if i := strings.Index(target, ":///"); i >= 0 {
		target = target[i+4:]
	}
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		host = target
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
