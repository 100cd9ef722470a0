package server

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/mrswarm/mrswarm/sql/store"
)

// Auth modes of [Config.Auth].
const (
	AuthToken = "token" // a bearer token on every call (the default)
	AuthNone  = "none"  // no authentication: loopback binds only
)

// TokenFileName is the generated token's file, beside the database.
const TokenFileName = "mrswarm.token"

// Role is what a token may do within its tenant.
type Role string

// Roles, from most to least allowed.
const (
	// RoleAdmin may do everything an analyst may, and read /metrics.
	RoleAdmin Role = "admin"
	// RoleAnalyst may load and drop datasets, query, and start and cancel runs.
	RoleAnalyst Role = "analyst"
	// RoleReadOnly may list, read and query, but not load, drop, delete or run.
	RoleReadOnly Role = "read-only"
)

// Token grants its bearer a role within a tenant.
type Token struct {
	Secret string // the bearer token itself
	Tenant string // whose datasets, results and runs it reaches
	Role   Role
}

// identity is the authenticated caller.
type identity struct {
	tenant string
	role   Role
}

type identityKey struct{}

// withIdentity returns ctx acting for id: the store scopes every call to id's tenant.
func withIdentity(ctx context.Context, id identity) context.Context {
	return store.WithTenant(context.WithValue(ctx, identityKey{}, id), id.tenant)
}

func identityOf(ctx context.Context) (identity, bool) {
	id, ok := ctx.Value(identityKey{}).(identity)
	return id, ok
}

// authenticator maps bearer tokens to identities. A nil authenticator lets
// every caller in as the default tenant's admin (--auth none).
type authenticator struct {
	byHash map[[32]byte]identity // sha256 of the token: lookups take the same time for any guess
	hint   string                // where a caller finds a token, for error messages
}

var (
	errNoToken  = errors.New("missing bearer token")
	errBadToken = errors.New("unknown bearer token")
)

// newAuthenticator checks tokens and indexes them by hash.
func newAuthenticator(tokens []Token, hint string) (*authenticator, error) {
	a := &authenticator{byHash: map[[32]byte]identity{}, hint: hint}
	var errs []error
	for i, t := range tokens {
		if len(t.Secret) < 16 {
			errs = append(errs, fmt.Errorf("token %d (tenant %q): shorter than 16 characters", i+1, t.Tenant))
		}
		if err := store.CheckTenant(t.Tenant); err != nil {
			errs = append(errs, fmt.Errorf("token %d: %w", i+1, err))
		}
		if t.Role != RoleAdmin && t.Role != RoleAnalyst && t.Role != RoleReadOnly {
			errs = append(errs, fmt.Errorf("token %d (tenant %q): role %q is not admin, analyst or read-only", i+1, t.Tenant, t.Role))
		}
		a.byHash[sha256.Sum256([]byte(t.Secret))] = identity{tenant: t.Tenant, role: t.Role}
	}
	if len(tokens) == 0 {
		errs = append(errs, errors.New("no tokens"))
	}
	return a, errors.Join(errs...)
}

// identify returns the identity of an "Authorization: Bearer <token>" value.
func (a *authenticator) identify(header string) (identity, error) {
	if a == nil {
		return identity{tenant: store.DefaultTenant, role: RoleAdmin}, nil
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
		return identity{}, errNoToken
	}
	id, ok := a.byHash[sha256.Sum256([]byte(strings.TrimSpace(token)))]
	if !ok {
		return identity{}, errBadToken
	}
	return id, nil
}

// message says what went wrong and where the token is.
func (a *authenticator) message(err error) string {
	return fmt.Sprintf("%v: send the header \"Authorization: Bearer <token>\"; %s", err, a.hint)
}

// setupAuth returns the authenticator of cfg, given its gRPC and HTTP
// listeners: nil for --auth none (refused unless every listener is loopback), the tokens of cfg.Tokens, or else the
// single-user token of cfg.TokenFile, generated at first start.
func setupAuth(cfg Config, lis ...net.Listener) (*authenticator, error) {
	switch {
	case cfg.Auth == AuthNone:
		for _, l := range lis {
			if !loopback(l.Addr()) {
				return nil, fmt.Errorf("--auth none is refused on %s, which is not a loopback address: use tokens", l.Addr())
			}
		}
		cfg.Logger.Warn("authentication is off (--auth none): any local process and any web page that reaches this port can read and change all data")
		return nil, nil
	case len(cfg.Tokens) > 0:
		return newAuthenticator(cfg.Tokens, "ask the server's administrator for a token")
	}
	secret, path, err := loadOrCreateToken(cfg.TokenFile)
	if err != nil {
		return nil, err
	}
	logTokenUse(cfg.Logger, path, restURL(cfg, lis))
	hint := "the token of this server is in " + path + " (clients on this machine read it; elsewhere set MRSWARM_TOKEN)"
	if path == "" {
		hint = "the token was printed in the server's log"
		cfg.Logger.Info("mrswarm token (in memory; no database folder)", "token", secret)
	}
	return newAuthenticator([]Token{{Secret: secret, Tenant: store.DefaultTenant, Role: RoleAdmin}}, hint)
}

// restURL is the REST gateway's base URL: lis are the gRPC and HTTP listeners.
func restURL(cfg Config, lis []net.Listener) string {
	if len(lis) < 2 {
		return "<rest>"
	}
	if cfg.TLSCert != "" {
		return "https://" + lis[1].Addr().String()
	}
	return "http://" + lis[1].Addr().String()
}

// logTokenUse says where the token is and how to use it.
func logTokenUse(log *slog.Logger, path, rest string) {
	if path == "" {
		return
	}
	log.Info("mrswarm token: clients on this machine find it by themselves; elsewhere send it as a bearer token",
		"file", path, "env", "export MRSWARM_TOKEN=$(cat "+path+")",
		"curl", `curl -H "Authorization: Bearer $(cat `+path+`)" `+rest+`/v1/datasets`)
}

// loadOrCreateToken reads the token in path, or writes a new random one there
// with mode 0600. path "" keeps a new token in memory only.
func loadOrCreateToken(path string) (secret, abs string, err error) {
	if path == "" {
		return newSecret(), "", nil
	}
	if abs, err = filepath.Abs(path); err != nil {
		return "", "", fmt.Errorf("token file: %w", err)
	}
	b, err := os.ReadFile(abs)
	switch {
	case err == nil:
		if s := strings.TrimSpace(string(b)); len(s) >= 16 {
			return s, abs, checkPrivate(abs)
		}
		return "", "", fmt.Errorf("token file %s: holds no token of at least 16 characters; delete it to get a new one", abs)
	case !errors.Is(err, fs.ErrNotExist):
		return "", "", fmt.Errorf("token file: %w", err)
	}
	secret = newSecret()
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return "", "", fmt.Errorf("token file: %w", err)
	}
	f, err := os.OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", "", fmt.Errorf("token file: %w", err)
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		return "", "", fmt.Errorf("token file: %w", err)
	}
	return secret, abs, f.Close()
}

// checkPrivate refuses a token file that others can read.
func checkPrivate(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("token file %s has mode %v: others can read it; run chmod 600 %s", path, st.Mode().Perm(), path)
	}
	return nil
}

func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ReadTokens reads a tokens file: one "<token> <tenant> <role>" per line,
// role one of admin, analyst, read-only; blank lines and lines starting with
// # are skipped. The file must not be readable by others.
func ReadTokens(path string) ([]Token, error) {
	if err := checkPrivate(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	defer f.Close()
	var tokens []Token
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 3 {
			return nil, fmt.Errorf("tokens file %s: line %d: want \"<token> <tenant> <role>\"", path, n)
		}
		tokens = append(tokens, Token{Secret: fields[0], Tenant: fields[1], Role: Role(fields[2])})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokens file %s: %w", path, err)
	}
	if _, err := newAuthenticator(tokens, ""); err != nil {
		return nil, fmt.Errorf("tokens file %s: %w", path, err)
	}
	return tokens, nil
}

// loopback reports whether addr is a loopback TCP address or not a network
// address at all (in-memory and unix listeners).
func loopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return true
	}
	return tcp.IP.IsLoopback()
}
