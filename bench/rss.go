package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mrswarm/mrswarm/clients/mrswarm"
	"github.com/mrswarm/mrswarm/internal/procstat"
	mrswarmv1 "github.com/mrswarm/mrswarm/proto/mrswarm/v1"
)

const sectionRSS = "server memory"

// rssSettle is how long the server idles before each reading: DuckDB's
// allocator returns freed memory to the system within about two seconds. The
// reading waits longer while the RSS still shrinks (procstat.Settle): the
// store checkpoints once writes pause, and the memory that frees goes back
// to the system a moment later.
const rssSettle = 2 * time.Second

// serverRSS starts the mrswarm binary as a child process and reads its resident
// set size from /proc/<pid>/status: idle, after loading the beverage data, and
// after a campaign_optimization run on the real Ollama. The headline reading
// is of an installed copy of the binary (installCopy); the binary as `make
// build` just linked it is measured after a run as well, in a row of its own.
func (s *suite) serverRSS(ctx context.Context) ([]Row, []string, error) {
	if s.cfg.Server == nil {
		return nil, []string{"server RSS: no mrswarm binary configured (make build)"}, nil
	}
	installed, err := installCopy(s.cfg.Server.Bin, filepath.Join(s.cfg.WorkDir, "installed"))
	if err != nil {
		return nil, nil, err
	}
	rows, skipped, err := s.serverRSSOf(ctx, installed, filepath.Join(s.cfg.WorkDir, "installed"))
	if err != nil || len(rows) < 3 {
		return rows, skipped, err
	}
	fresh, _, err := s.serverRSSOf(ctx, s.cfg.Server.Bin, filepath.Join(s.cfg.WorkDir, "linked"))
	if err != nil {
		return rows, skipped, fmt.Errorf("the binary as linked: %w", err)
	}
	after := fresh[2]
	after.Name += ", the binary as the linker left it"
	after.Key = ""
	after.Note += "; `make build`'s bin/mrswarm, run as it is: the kernel keeps a file the linker " +
		"just wrote in larger page-cache folios and maps more of its code around each page the process " +
		"touches; a copy, or the same file read again from disk, maps less"
	return append(rows, after), skipped, nil
}

// installCopy copies the binary at bin into dir, as an install or a
// container image puts it, and returns the copy's path. The server's resident
// code depends on how the kernel holds the file: a copy is held as the same
// file read from disk is (as after a restart), while the file the linker has
// just written maps several MiB more (see serverRSS).
func installCopy(bin, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	src, err := os.Open(bin)
	if err != nil {
		return "", err
	}
	defer src.Close()
	path := filepath.Join(dir, filepath.Base(bin))
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return "", fmt.Errorf("install %s: %w", bin, err)
	}
	return path, dst.Close()
}

// serverRSSOf measures the server binary bin with its state in dir.
func (s *suite) serverRSSOf(ctx context.Context, bin, dir string) ([]Row, []string, error) {
	srv, err := s.startServer(ctx, bin, dir)
	if err != nil {
		return nil, nil, err
	}
	defer srv.stop()
	client, err := srv.dial(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer client.Close()
	row := func(name, field string) (Row, error) {
		return rssRow(srv.cmd.Process.Pid, name, field)
	}
	idle, err := row("RSS idle after start", "VmRSS")
	if err != nil {
		return nil, nil, err
	}
	if _, err := client.LoadDataset(ctx, benchDataset, filepath.Base(s.realCSV())); err != nil {
		return nil, nil, fmt.Errorf("load: %w", err)
	}
	loaded, err := row("RSS with the beverage data loaded (15k rows)", "VmRSS")
	if err != nil {
		return nil, nil, err
	}
	rows := []Row{idle, loaded}
	switch {
	case s.cfg.Ollama == nil:
		return rows, []string{"server RSS after a run: no Ollama configured"}, nil
	case s.cfg.Quick:
		return rows, []string{"server RSS after a run: not in quick mode"}, nil
	}
	status, err := runPreset(ctx, client)
	if err != nil {
		return rows, nil, fmt.Errorf("run: %w", err)
	}
	after, err := row("RSS after a campaign_optimization run", "VmRSS")
	if err != nil {
		return rows, nil, err
	}
	after.Note += "; the run ended " + status
	after = withKey(after, KeyRSSAfterRunMiB)
	peak, err := row("peak RSS (high-water mark) over the whole life", "VmHWM")
	return append(rows, after, peak), nil, err
}

// rssRow reads field of the process pid's status once its RSS settles.
func rssRow(pid int, name, field string) (Row, error) {
	_, err := procstat.Settle(rssSettle, func() (int64, error) { return procStatusKB(pid, "VmRSS") })
	if err != nil {
		return Row{}, err
	}
	kb, err := procStatusKB(pid, field)
	r := Row{Section: sectionRSS, Name: name, Scale: "mrswarm serve, child process",
		Value: float64(kb) / 1024, Unit: "MiB", Samples: 1, Note: "/proc/PID/status " + field}
	if field == "VmRSS" {
		r.Note += fmt.Sprintf(" after %s idle, once it stops shrinking", rssSettle)
		anon, errA := procStatusKB(pid, "RssAnon")
		file, errF := procStatusKB(pid, "RssFile")
		if errA == nil && errF == nil {
			r.Note += fmt.Sprintf("; %.1f MiB anonymous, %.1f MiB file-backed (code)", float64(anon)/1024, float64(file)/1024)
		}
	}
	return r, err
}

// runsRSSMoments are the moments BenchmarkRunsRSS (pipeline/rss_bench_test.go)
// reports, by its metric unit, in order.
var runsRSSMoments = []struct{ unit, name, key, rowUnit string }{
	{"idle-MiB", "RSS idle (store open)", "", "MiB"},
	{"loaded-MiB", "RSS with the beverage data loaded (15k rows)", "", "MiB"},
	{"after-1-run-MiB", "RSS after 1 campaign_optimization run", "", "MiB"},
	{"after-10-runs-MiB", "RSS after 10 runs", "", "MiB"},
	{"after-200-runs-MiB", "RSS after 200 runs", KeyRSSAfter200RunsMiB, "MiB"},
	{"duckdb-after-10-runs-MiB", "DuckDB's own accounted memory after 10 runs (duckdb_memory())", "", "MiB"},
	{"duckdb-after-200-runs-MiB", "DuckDB's own accounted memory after 200 runs (duckdb_memory())", "", "MiB"},
	{"db-after-10-runs-MiB", "database on disk after 10 runs (file + WAL)", "", "MiB"},
	{"db-after-200-runs-MiB", "database on disk after 200 runs (file + WAL)", "", "MiB"},
	{"reopens-in-200-runs", "new DuckDB instances on the same file over the 200 runs (store.Options.RecycleAfter)", "", "instances"},
}

// RunsRSSRows replaces the row of BenchmarkRunsRSS, which bench.sh runs in a
// process of its own (a file-backed store, the scripted LLM, agents calling a
// tool each and the report), by one row per moment it measured, and the
// memory DuckDB accounts for and the database's size on disk after 10 and 200
// runs beside them (what the RSS growth between the two follows); the RSS
// after 200 runs is the headline
// rss_after_200_runs_mib. Other rows are kept as they are.
func RunsRSSRows(rows []Row) []Row {
	out := make([]Row, 0, len(rows))
	for _, r := range rows {
		if r.Name != "RunsRSS" {
			out = append(out, r)
			continue
		}
		metrics := map[string]float64{}
		for _, part := range strings.Split(r.Note, ", ") {
			f := strings.Fields(part)
			if len(f) != 2 {
				continue
			}
			if v, err := strconv.ParseFloat(f[0], 64); err == nil {
				metrics[f[1]] = v
			}
		}
		for _, m := range runsRSSMoments {
			v, ok := metrics[m.unit]
			if !ok {
				continue
			}
			out = append(out, Row{Section: sectionRSS, Name: m.name, Scale: "pipeline, scripted LLM, one process",
				Value: v, Unit: m.rowUnit, Samples: 1, Note: "go test ./pipeline -bench RunsRSS -benchtime 1x", Key: m.key})
		}
	}
	return out
}

type childServer struct {
	cmd   *exec.Cmd
	addr  string
	token string // the server's bearer token, written for it before it starts
	done  chan struct{}
	log   string
}

// startServer starts bin serve with its database, token and log in dir.
func (s *suite) startServer(ctx context.Context, bin, dir string) (*childServer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	grpcAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "server.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	token := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), os.Getpid())
	tokenFile := filepath.Join(dir, "server.token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, s.cfg.Server.Args...)
	cmd.Env = append(os.Environ(), "MRSWARM_TOKEN_FILE="+tokenFile,
		"MRSWARM_GRPC_ADDR="+grpcAddr, "MRSWARM_HTTP_ADDR="+httpAddr,
		"MRSWARM_DB="+filepath.Join(dir, "server.duckdb"), "MRSWARM_DATA_ROOT="+s.dataDir,
		"MRSWARM_LOG_LEVEL=warn")
	if o := s.cfg.Ollama; o != nil {
		cmd.Env = append(cmd.Env, "MRSWARM_OLLAMA_HOST="+o.Host, "MRSWARM_MODEL="+o.Model,
			"MRSWARM_MAX_PARALLEL="+strconv.Itoa(max(o.NumParallel, 1)))
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	srv := &childServer{cmd: cmd, addr: grpcAddr, token: token, done: make(chan struct{}), log: logPath}
	go func() { cmd.Wait(); close(srv.done) }()
	return srv, nil
}

// dial connects and waits until the server answers.
func (c *childServer) dial(ctx context.Context) (*mrswarm.Client, error) {
	client, err := mrswarm.Dial(ctx, c.addr, mrswarm.WithInsecure(), mrswarm.WithToken(c.token))
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := client.Datasets(ctx)
		if err == nil {
			return client, nil
		}
		select {
		case <-c.done:
			client.Close()
			return nil, fmt.Errorf("mrswarm serve exited: %s", tailFile(c.log))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			client.Close()
			return nil, fmt.Errorf("mrswarm serve did not answer: %w; log: %s", err, tailFile(c.log))
		}
	}
}

// stop sends SIGTERM and waits; after 15 s it kills.
func (c *childServer) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// runPreset runs campaign_optimization to its end and returns its final status;
// a run whose steps failed still counts (the tiny model sometimes gives up).
func runPreset(ctx context.Context, client *mrswarm.Client) (string, error) {
	req := &mrswarmv1.StartRunRequest{
		Dataset: benchDataset,
		Source:  &mrswarmv1.StartRunRequest_Preset{Preset: presetName},
		Inputs: &mrswarmv1.RunInputs{TargetAudience: benchInputs.TargetAudience, Budget: benchInputs.Budget,
			Duration: benchInputs.Duration, CampaignGoals: benchInputs.CampaignGoals, AnalysisFocus: benchInputs.AnalysisFocus},
		Options: &mrswarmv1.RunOptions{Force: true},
	}
	var finished *mrswarmv1.Run
	for ev, err := range client.Run(ctx, req) {
		if err != nil {
			return "", err
		}
		if ev.GetRun() != nil {
			finished = ev.GetRun()
		}
	}
	if finished == nil {
		return "", errors.New("the run ended without run_finished")
	}
	switch st := finished.GetStatus(); st {
	case mrswarmv1.RunStatus_RUN_STATUS_SUCCEEDED, mrswarmv1.RunStatus_RUN_STATUS_PARTIALLY_FAILED, mrswarmv1.RunStatus_RUN_STATUS_FAILED:
		return strings.ToLower(strings.TrimPrefix(st.String(), "RUN_STATUS_")), nil
	default:
		return "", fmt.Errorf("run ended %s: %v", st, finished.GetErrors())
	}
}

// procStatusKB reads a "Field:   123 kB" line of /proc/pid/status.
func procStatusKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok || string(name) != field {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) == 0 {
			break
		}
		return strconv.ParseInt(string(f[0]), 10, 64)
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func tailFile(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
