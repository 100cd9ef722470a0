package ollamaproc

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"
)

// cacheSlotLine is the runner's debug line for a prompt's cache slot: how
// many of the prompt's tokens its cache already held.
var cacheSlotLine = regexp.MustCompile(`loading cache slot" id=\d+ cache=\d+ prompt=(\d+) used=(\d+)`)

// TestConversationsTakingTurnsKeepTheirCache: two agents' conversations
// whose turns alternate on the managed server (the pool runs one call at a
// time, the other conversation's turn between two of one's) each find their
// earlier turns in the prompt cache instead of having the whole prompt
// evaluated again. It reads which cached tokens the runner used from its
// debug log; without OLLAMA_MULTIUSER_CACHE both conversations share one
// slot and each turn reuses only the template's first tokens.
func TestConversationsTakingTurnsKeepTheirCache(t *testing.T) {
	bin := realBinary(t)
	dir := t.TempDir()
	log, err := os.Create(dir + "/ollama.log")
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	p, err := Launch(t.Context(), Config{Bin: bin, ModelsDir: dir, Home: dir, ToolsModel: "-", Seed: 42,
		NumParallel: 2, Log: log, Env: []string{"OLLAMA_DEBUG=1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	u, err := url.Parse(p.Host)
	if err != nil {
		t.Fatal(err)
	}
	c := api.NewClient(u, http.DefaultClient)
	convs := map[string][]api.Message{}
	for i, name := range []string{"A", "B", "A", "B", "A"} {
		convs[name] = chatTurn(t, c, p.Model, name, convs[name])
		prompt, used := lastCacheSlot(t, log.Name())
		if i >= 2 && used < prompt*3/4 {
			t.Errorf("turn %d of conversation %s: %d of its %d prompt tokens came from the cache, want its earlier turns' (>= 3/4)",
				len(convs[name])/2, name, used, prompt)
		}
	}
}

// chatTurn sends conversation name's next user turn and returns the
// conversation with the answer.
func chatTurn(t *testing.T, c *api.Client, model, name string, msgs []api.Message) []api.Message {
	t.Helper()
	if len(msgs) == 0 {
		msgs = []api.Message{{Role: "system", Content: name + ": " + strings.Repeat("You analyse beverage sales with SQL tools. ", 40)}}
	}
	msgs = append(msgs, api.Message{Role: "user", Content: fmt.Sprintf("%s, question %d: which brand grew most?", name, len(msgs))})
	stream := false
	var answer api.Message
	err := c.Chat(t.Context(), &api.ChatRequest{Model: model, Messages: msgs, Stream: &stream,
		Options: map[string]any{"num_predict": 16}}, func(r api.ChatResponse) error { answer = r.Message; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return append(msgs, answer)
}

// lastCacheSlot returns the prompt length and the cached tokens used of the
// last prompt in the server's log.
func lastCacheSlot(t *testing.T, path string) (prompt, used int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	all := cacheSlotLine.FindAllSubmatch(b, -1)
	if len(all) == 0 {
		t.Fatalf("no cache slot line in the server's debug log %s", path)
	}
	m := all[len(all)-1]
	prompt, _ = strconv.Atoi(string(m[1]))
	used, _ = strconv.Atoi(string(m[2]))
	return prompt, used
}
