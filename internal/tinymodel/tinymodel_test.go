package tinymodel

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	path, err := Write(dir, 42)
	if err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Write(t.TempDir(), 42)
	if err != nil {
		t.Fatal(err)
	}
	second, err := os.ReadFile(again)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Errorf("two writes with seed 42 differ (%d vs %d bytes)", len(first), len(second))
	}
	if bytes.Equal(first, Encode(43)) {
		t.Error("seeds 42 and 43 gave the same bytes")
	}
	if n := len(first); n < 500_000 || n > 1_000_000 {
		t.Errorf("model is %d bytes, want about 0.7 MB", n)
	}
}

func TestMetadata(t *testing.T) {
	d := decode(t, Encode(1))
	if d.Version != 3 {
		t.Errorf("version = %d, want 3", d.Version)
	}
	tokens := d.KV["tokenizer.ggml.tokens"].([]any)
	want := map[string]any{
		"general.architecture":                   "llama",
		"general.alignment":                      uint32(32),
		"llama.vocab_size":                       uint32(len(tokens)),
		"llama.context_length":                   uint32(32768),
		"llama.embedding_length":                 uint32(64),
		"llama.block_count":                      uint32(2),
		"llama.feed_forward_length":              uint32(FeedForward),
		"llama.attention.head_count":             uint32(Heads),
		"llama.attention.head_count_kv":          uint32(HeadsKV),
		"llama.attention.layer_norm_rms_epsilon": float32(1e-5),
		"llama.rope.dimension_count":             uint32(64 / Heads),
		"tokenizer.ggml.model":                   "llama",
		"tokenizer.ggml.unknown_token_id":        uint32(0),
		"tokenizer.ggml.bos_token_id":            uint32(1),
		"tokenizer.ggml.eos_token_id":            uint32(2),
	}
	for key, v := range want {
		t.Run(key, func(t *testing.T) {
			if got := d.KV[key]; got != v {
				t.Errorf("%s = %v (%T), want %v (%T)", key, got, got, v, v)
			}
		})
	}
}

func TestVocabulary(t *testing.T) {
	d := decode(t, Encode(1))
	tokens := d.KV["tokenizer.ggml.tokens"].([]any)
	types := d.KV["tokenizer.ggml.token_type"].([]any)
	scores := d.KV["tokenizer.ggml.scores"].([]any)
	if len(types) != len(tokens) || len(scores) != len(tokens) {
		t.Fatalf("%d tokens, %d types, %d scores", len(tokens), len(types), len(scores))
	}
	index := map[string]int{}
	for i, tok := range tokens {
		if _, dup := index[tok.(string)]; dup {
			t.Errorf("token %q appears twice", tok)
		}
		index[tok.(string)] = i
	}
	specials := []struct {
		id    int
		piece string
		typ   int32
	}{{0, "<unk>", 2}, {1, "<s>", 3}, {2, "</s>", 3}}
	for _, s := range specials {
		if tokens[s.id] != s.piece || types[s.id] != s.typ {
			t.Errorf("token %d = %q type %v, want %q type %d", s.id, tokens[s.id], types[s.id], s.piece, s.typ)
		}
	}
	for b := range 256 {
		id := 3 + b
		if want := fmt.Sprintf("<0x%02X>", b); tokens[id] != want || types[id] != int32(6) {
			t.Errorf("token %d = %q type %v, want %q type 6", id, tokens[id], types[id], want)
		}
	}
	var need []string
	for c := byte('!'); c <= '~'; c++ {
		need = append(need, string(c))
	}
	need = append(need, "▁", `{"`, `":`, `"}`, `":"`, `",`, "true", "false", "null")
	for _, p := range need {
		if _, ok := index[p]; !ok {
			t.Errorf("vocabulary lacks %q", p)
		}
	}
	// SentencePiece only reaches a piece by merging two tokens: every
	// multi-rune normal piece must split into two tokens.
	for i, tok := range tokens {
		if types[i] == int32(1) && !splits(index, []rune(tok.(string))) {
			t.Errorf("piece %q is not two tokens joined", tok)
		}
	}
}

// splits reports whether r is one rune or two tokens of index joined.
func splits(index map[string]int, r []rune) bool {
	if len(r) == 1 {
		return true
	}
	for i := 1; i < len(r); i++ {
		_, left := index[string(r[:i])]
		_, right := index[string(r[i:])]
		if left && right {
			return true
		}
	}
	return false
}

func TestTensors(t *testing.T) {
	file := Encode(5)
	d := decode(t, file)
	var got []string
	for _, ti := range d.Tensors {
		got = append(got, ti.String())
		if ti.Type != ggmlTypeF32 {
			t.Errorf("%s has type %d, want F32", ti.Name, ti.Type)
		}
	}
	v := len(d.KV["tokenizer.ggml.tokens"].([]any))
	want := []string{
		fmt.Sprintf("token_embd.weight[64 %d]", v), "output_norm.weight[64]",
		fmt.Sprintf("output.weight[64 %d]", v),
	}
	for b := range 2 {
		for _, s := range []string{"attn_norm.weight[64]", "attn_q.weight[64 64]",
			"attn_k.weight[64 64]", "attn_v.weight[64 64]", "attn_output.weight[64 64]",
			"ffn_norm.weight[64]", "ffn_gate.weight[64 128]", "ffn_up.weight[64 128]",
			"ffn_down.weight[128 64]"} {
			want = append(want, fmt.Sprintf("blk.%d.%s", b, s))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("tensors (-want +got):\n%s", diff)
	}
	checkLayout(t, d, uint64(len(file)))
	for _, ti := range d.Tensors {
		checkValues(t, ti, d.floats(file, ti))
	}
}

// checkLayout verifies that tensors are aligned, in order, do not overlap
// and end exactly at the end of the file.
func checkLayout(t *testing.T, d decoded, size uint64) {
	t.Helper()
	if d.DataBase%32 != 0 {
		t.Errorf("data section at %d, not 32-byte aligned", d.DataBase)
	}
	var end uint64
	for _, ti := range d.Tensors {
		if ti.Offset%32 != 0 || ti.Offset < end {
			t.Errorf("%s at offset %d (previous tensor ends at %d)", ti.Name, ti.Offset, end)
		}
		end = ti.Offset + 4*product(ti.Dims)
	}
	if d.DataBase+end != size {
		t.Errorf("tensors end at %d, file has %d bytes", d.DataBase+end, size)
	}
}

// checkValues verifies that norms are 1 and weights look like N(0, 0.02).
func checkValues(t *testing.T, ti tensorInfo, data []float32) {
	t.Helper()
	if strings.Contains(ti.Name, "norm") {
		for i, f := range data {
			if f != 1 {
				t.Fatalf("%s[%d] = %v, want 1", ti.Name, i, f)
			}
		}
		return
	}
	var sum, sq float64
	for _, f := range data {
		sum += float64(f)
		sq += float64(f) * float64(f)
	}
	n := float64(len(data))
	mean, std := sum/n, math.Sqrt(sq/n-(sum/n)*(sum/n))
	if math.Abs(mean) > 0.002 || std < 0.018 || std > 0.022 {
		t.Errorf("%s: mean %.4f std %.4f, want about N(0, 0.02)", ti.Name, mean, std)
	}
}

func TestModelfile(t *testing.T) {
	tests := []struct {
		name      string
		modelfile string
		tools     bool
	}{
		{"plain", Modelfile("/models/tiny.gguf"), false},
		{"tools", ToolsModelfile("/models/tiny.gguf"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, line := range []string{"FROM /models/tiny.gguf\n", "PARAMETER temperature 0\n",
				"PARAMETER num_thread 1\n", "PARAMETER num_ctx 2048\n", "PARAMETER num_predict 512\n"} {
				if !strings.Contains(tt.modelfile, line) {
					t.Errorf("Modelfile lacks %q:\n%s", line, tt.modelfile)
				}
			}
			if got := strings.Contains(tt.modelfile, ".ToolCalls"); got != tt.tools {
				t.Errorf("template mentions .ToolCalls = %v, want %v", got, tt.tools)
			}
		})
	}
}

func BenchmarkWrite(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		if _, err := Write(dir, 42); err != nil {
			b.Fatal(err)
		}
	}
}
