package ollamaproc

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Defect 10 of issue 11: when the managed server died, its runner was
// orphaned and nothing restarted it. Supervise kills the dead server's process
// group and starts it again on the same address.
func TestSuperviseRestartsAndKillsOrphans(t *testing.T) {
	bin, err := FindBinary()
	if err != nil {
		if os.Getenv("MRSWARM_REQUIRE_OLLAMA") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	p, err := Launch(t.Context(), Config{Bin: bin, Model: "-", ToolsModel: "-"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	reports := make(chan bool, 8)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Supervise(t.Context(), func(up bool, _ error) { reports <- up })
	}()

	// A stand-in for a runner: a child in the server's process group.
	first := p.Pid()
	orphan := exec.Command("sleep", "300")
	orphan.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: first}
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	orphanDone := make(chan error, 1)
	go func() { orphanDone <- orphan.Wait() }()

	if err := syscall.Kill(first, syscall.SIGKILL); err != nil { // the server alone dies
		t.Fatal(err)
	}
	if up := <-reports; up {
		t.Fatal("first report after the crash says up")
	}
	select {
	case <-orphanDone:
	case <-time.After(30 * time.Second):
		orphan.Process.Kill()
		t.Fatal("the dead server's process group was not killed: its runner lives on")
	}
	for up := range reports {
		if up {
			break
		}
	}
	if p.Pid() == first || !p.answers(t.Context()) {
		t.Fatalf("after the restart: pid %d (was %d), answers %v", p.Pid(), first, p.answers(t.Context()))
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := syscall.Kill(-p.Pid(), 0); err == nil {
		t.Errorf("process group %d still exists after Stop", p.Pid())
	}
}
