package server

import (
	"bytes"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"

	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

// TestTokenGeneratedAtFirstStart: without tokens the server writes one, 0600,
// beside the database, accepts it, and keeps it across restarts.
func TestTokenGeneratedAtFirstStart(t *testing.T) {
	cfg := testConfig(t)
	cfg.Tokens = nil
	cfg = cfg.withDefaults()
	path := filepath.Join(filepath.Dir(cfg.DBPath), TokenFileName)
	if cfg.TokenFile != path {
		t.Fatalf("token file %q, want %q beside the database", cfg.TokenFile, path)
	}
	auth, err := setupAuth(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	token := strings.TrimSpace(string(b))
	if id, err := auth.identify("Bearer " + token); err != nil || id.tenant != "default" || id.role != RoleAdmin {
		t.Errorf("the generated token: %+v %v", id, err)
	}
	if _, err := auth.identify("Bearer " + token + "x"); err == nil {
		t.Error("a wrong token was accepted")
	}
	again, err := setupAuth(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.identify("Bearer " + token); err != nil {
		t.Errorf("a restart did not keep the token: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := setupAuth(cfg); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a token file others can read: %v, want a refusal saying chmod 600", err)
	}
}

// TestAuthNone: the opt-out warns, lets calls in as the default tenant, and is
// refused on a non-loopback address.
func TestAuthNone(t *testing.T) {
	logs := &syncBuffer{}
	cfg := testConfig(t)
	cfg.Auth, cfg.Tokens = AuthNone, nil
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	lan := fakeListener{&net.TCPAddr{IP: net.IPv4(192, 168, 1, 10), Port: 8080}}
	if _, err := setupAuth(cfg, fakeListener{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}}, lan); err == nil ||
		!strings.Contains(err.Error(), "192.168.1.10:8080") {
		t.Errorf("--auth none on a LAN address: %v, want a refusal naming it", err)
	}
	if _, err := setupAuth(cfg, fakeListener{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}}); err == nil {
		t.Error("--auth none on 0.0.0.0 was accepted")
	}
	ts := startServer(t, cfg)
	if err := ts.connAs(t, "").Invoke(t.Context(), "/mrswarm.v1.DatasetService/ListDatasets",
		&mrswarmv1.ListDatasetsRequest{}, &mrswarmv1.ListDatasetsResponse{}); err != nil {
		t.Errorf("--auth none refused a call: %v", err)
	}
	if !strings.Contains(logs.String(), "authentication is off") {
		t.Errorf("no warning logged:\n%s", logs.String())
	}
}

type fakeListener struct{ addr net.Addr }

func (fakeListener) Accept() (net.Conn, error) { return nil, net.ErrClosed }
func (fakeListener) Close() error              { return nil }
func (l fakeListener) Addr() net.Addr          { return l.addr }

func TestReadTokens(t *testing.T) {
	dir := t.TempDir()
	write := func(body string, mode os.FileMode) string {
		p := filepath.Join(dir, "tokens")
		os.Remove(p)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := ReadTokens(write("# team server\nacme-token-0123456789 acme analyst\n\nro-token-0123456789ab acme read-only\n", 0o600))
	if err != nil || len(got) != 2 || got[1] != (Token{Secret: "ro-token-0123456789ab", Tenant: "acme", Role: RoleReadOnly}) {
		t.Errorf("tokens %+v %v", got, err)
	}
	for name, body := range map[string]string{
		"short token": "short acme analyst\n",
		"bad role":    "acme-token-0123456789 acme owner\n",
		"bad tenant":  "acme-token-0123456789 Acme! analyst\n",
		"two fields":  "acme-token-0123456789 acme\n",
		"empty":       "# nothing\n",
	} {
		if _, err := ReadTokens(write(body, 0o600)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ReadTokens(write("acme-token-0123456789 acme analyst\n", 0o644)); err == nil {
		t.Error("a tokens file others can read was accepted")
	}
}

// TestAuditLog: state-changing calls are logged with tenant, method, target
// and outcome, refused ones included.
func TestAuditLog(t *testing.T) {
	w := &syncBuffer{}
	cfg := testConfig(t)
	cfg.Logger = slog.New(slog.NewTextHandler(w, nil))
	cfg.Tokens = []Token{{Secret: acmeToken, Tenant: "acme", Role: RoleAnalyst}, {Secret: acmeRO, Tenant: "acme", Role: RoleReadOnly}}
	copyBeverage(t, cfg.DataRoot, "beverage_sales.csv")
	ts := startServer(t, cfg)
	ctx := t.Context()
	if _, err := ts.datasets.LoadDataset(ctx, &mrswarmv1.LoadDatasetRequest{Name: "sales", Path: "beverage_sales.csv"}); err != nil {
		t.Fatal(err)
	}
	_, err := mrswarmv1.NewDatasetServiceClient(ts.connAs(t, acmeRO)).DropDataset(ctx, &mrswarmv1.DropDatasetRequest{Name: "sales"})
	wantCode(t, err, codes.PermissionDenied)
	if _, err := ts.datasets.ListDatasets(ctx, &mrswarmv1.ListDatasetsRequest{}); err != nil {
		t.Fatal(err)
	}
	logs := w.String()
	for _, want := range []string{
		"msg=audit tenant=acme role=analyst method=LoadDataset target=sales outcome=OK",
		"msg=audit tenant=acme role=read-only method=DropDataset target=sales outcome=PermissionDenied",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("audit log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "method=ListDatasets") && strings.Contains(logs, "msg=audit tenant=acme role=analyst method=ListDatasets") {
		t.Error("a read is in the audit log")
	}
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
