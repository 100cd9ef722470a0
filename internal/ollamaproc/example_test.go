package ollamaproc_test

import (
	"context"
	"fmt"
	"log"
	"os/signal"
	"syscall"

	"github.com/mrswarm/mrswarm/internal/ollamaproc"
)

// A command that brings its own Ollama when the user has none: start the
// pinned binary with the tiny models, serve until interrupted, stop it.
func ExampleLaunch() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	p, err := ollamaproc.Launch(ctx, ollamaproc.Config{Addr: "127.0.0.1:11434"})
	if err != nil {
		log.Fatal(err) // wraps ollamaproc.ErrNoBinary when `make ollama` never ran
	}
	defer p.Stop()
	fmt.Printf("ollama at %s with models %s and %s\n", p.Host, p.Model, p.ToolsModel)
	select {
	case <-ctx.Done():
	case <-p.Done():
		log.Print("ollama exited")
	}
}
