package mrswarm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/grpc/credentials"
)

// Where [Dial] finds a token when [WithToken] is not given.
const (
	// TokenEnv holds a token for any server.
	TokenEnv = "MRSWARM_TOKEN"
	// TokenFileEnv names a file holding a token for any server.
	TokenFileEnv = "MRSWARM_TOKEN_FILE"
	// LocalTokenFile is where a local server started with the default
	// database keeps its token, relative to its working directory. Dial looks
	// for it in the current directory and its parents, for loopback targets only.
	LocalTokenFile = ".cache/mrswarm.token"
)

// ErrCAFile reports a CA file without a PEM certificate.
var ErrCAFile = errors.New("mrswarm: CA file holds no PEM certificate")

// WithToken sends token as "authorization: Bearer <token>" on every call,
// instead of the one found in the environment or a local server's token file.
func WithToken(token string) Option {
	return func(c *config) { c.token = token }
}

// WithCAFile connects with TLS, trusting the PEM certificates in path (e.g.
// the server's own --tls-cert when it is self-signed).
func WithCAFile(path string) Option {
	return func(c *config) { c.caFile = path }
}

// caCredentials is TLS trusting the certificates of path.
func caCredentials(path string) (credentials.TransportCredentials, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mrswarm: CA file: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%w: %s", ErrCAFile, path)
	}
	return credentials.NewTLS(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}), nil
}

// FindToken returns the token to send to target: $MRSWARM_TOKEN, the file
// named by $MRSWARM_TOKEN_FILE, or, for a loopback target, the token file of
// a local server (.cache/mrswarm.token in the current directory or a parent).
// It returns "" when there is none.
func FindToken(target string) string {
	if t := strings.TrimSpace(os.Getenv(TokenEnv)); t != "" {
		return t
	}
	if f := os.Getenv(TokenFileEnv); f != "" {
		return readToken(f)
	}
	if !isLocal(target) {
		return ""
	}
	dir, err := os.Getwd()
	for err == nil {
		if t := readToken(filepath.Join(dir, LocalTokenFile)); t != "" {
			return t
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return ""
}

func readToken(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// bearer sends a token with every call.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

// RequireTransportSecurity is false: loopback servers speak plain text.
// Dial chooses TLS for every other target unless told otherwise.
func (bearer) RequireTransportSecurity() bool { return false }
