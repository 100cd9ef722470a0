package console_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mrswarm/mrswarm/internal/ollamatest"
	"github.com/mrswarm/mrswarm/internal/repo"
	"github.com/mrswarm/mrswarm/server"
)

// startServer serves mrswarm on free loopback ports (a real browser needs a
// real address) with a fresh database, agent steps on the test Ollama with
// the tiny model (none when llm is nil), until the test ends. It returns the
// REST base URL. The server checks no token (--auth none): the console's tests
// of the token dialog put their own gate in front; the server's own token
// check of console requests is tested in package server.
func startServer(t *testing.T, llm *ollamatest.Server) string {
	t.Helper()
	cfg := server.Config{
		DataRoot: t.TempDir(), DBPath: filepath.Join(t.TempDir(), "mrswarm.duckdb"),
		OllamaHost: "http://127.0.0.1:1", Model: "none", LLMOptions: server.TinyModelOptions(server.Config{}.LLMOptions),
		Logger: slog.New(slog.DiscardHandler), ShutdownTimeout: 5 * time.Second,
		Access: server.Access{Auth: server.AuthNone},
	}
	if llm != nil {
		cfg.OllamaHost, cfg.Model = llm.Host, llm.Model
	}
	if os.Getenv("MRSWARM_TEST_LOG") == "1" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	var lc net.ListenConfig
	grpcLis, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpLis, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, cfg, grpcLis, httpLis) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	url := "http://" + httpLis.Addr().String()
	for range 500 {
		if resp, err := http.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("server not ready after 5s")
	return ""
}

// getJSON decodes GET url into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// beverage returns the real data set's path, its row count and its number of
// distinct weeks (Monday to Sunday) of sale_date, counted here from the file.
func beverage(t *testing.T) (path string, rows, weeks int) {
	t.Helper()
	path, err := repo.BeverageCSV()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, name := range header {
		if name == "sale_date" {
			col = i
		}
	}
	mondays := map[string]bool{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		day, err := time.Parse(time.DateOnly, rec[col])
		if err != nil {
			t.Fatalf("sale_date %q: %v", rec[col], err)
		}
		mondays[day.AddDate(0, 0, -(int(day.Weekday())+6)%7).Format(time.DateOnly)] = true
		rows++
	}
	return path, rows, len(mondays)
}
