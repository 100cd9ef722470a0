package server

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
)

// Access configures who may call the server and how: tokens and tenants,
// the REST gateway's browser checks, and TLS.
type Access struct {
	// Auth is AuthToken (default) or AuthNone.
	Auth string
	// TokenFile holds the single-user token, generated at first start
	// (default: mrswarm.token beside the database; none for an in-memory one).
	TokenFile string
	// TokensFile maps tokens to tenants and roles (see [ReadTokens]); it
	// replaces the single-user token.
	TokensFile string
	// Tokens are the tokens of TokensFile, or set in code.
	Tokens []Token
	// AllowedHosts are host names the REST gateway answers besides IP
	// addresses and localhost (DNS rebinding protection).
	AllowedHosts []string
	// AllowedOrigins are web origins (https://app.example) that may call the
	// REST API from a browser: CORS is on for them and off otherwise.
	AllowedOrigins []string
	// TLSCert and TLSKey are PEM files; with them gRPC and REST serve TLS.
	TLSCert, TLSKey string
}

// flags registers the access flags on fs.
func (a *Access) flags(fs *flag.FlagSet) {
	fs.StringVar(&a.Auth, "auth", "", "`mode`: token (a bearer token on every call; the default) or none (loopback only)")
	fs.StringVar(&a.TokenFile, "token-file", "", "`file` of the single-user token, created at first start (default: "+TokenFileName+" beside the database)")
	fs.StringVar(&a.TokensFile, "tokens", "", "`file` of \"<token> <tenant> <role>\" lines (roles: admin, analyst, read-only)")
	fs.Var((*listFlag)(&a.AllowedHosts), "allowed-hosts", "comma-separated host `names` the REST gateway answers besides IPs and localhost")
	fs.Var((*listFlag)(&a.AllowedOrigins), "allowed-origins", "comma-separated web `origins` allowed to call REST from a browser (CORS)")
	fs.StringVar(&a.TLSCert, "tls-cert", "", "PEM certificate `file`: serve gRPC and REST over TLS")
	fs.StringVar(&a.TLSKey, "tls-key", "", "PEM private key `file` of --tls-cert")
}

// readTokens loads TokensFile into Tokens.
func (a *Access) readTokens() error {
	if a.TokensFile == "" {
		return nil
	}
	tokens, err := ReadTokens(a.TokensFile)
	a.Tokens = tokens
	return err
}

// validate reports every problem of the access settings.
func (a Access) validate() []error {
	var errs []error
	if a.Auth != AuthToken && a.Auth != AuthNone && a.Auth != "" {
		errs = append(errs, fmt.Errorf("auth %q: want token or none", a.Auth))
	}
	if (a.TLSCert == "") != (a.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	for _, o := range a.AllowedOrigins {
		if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
			errs = append(errs, fmt.Errorf("allowed origin %q: want scheme://host[:port]", o))
		}
	}
	return errs
}

// withDefaults fills the token mode and file.
func (a Access) withDefaults(dbPath string) Access {
	if a.Auth == "" {
		a.Auth = AuthToken
	}
	if a.TokenFile == "" && dbPath != "" {
		a.TokenFile = filepath.Join(filepath.Dir(dbPath), TokenFileName)
	}
	return a
}

// listFlag is a comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = nil
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}
