// Package tinymodel writes mrswarm's tiny test model: a llama-architecture
// GGUF v3 file with fixed-seed random F32 weights (embedding 64, two blocks,
// about 0.9 MB) and a SentencePiece-style vocabulary of 1066 tokens: byte
// tokens, printable ASCII, JSON punctuation and pieces learned from the text
// mrswarm sends to models.
//
// The model knows nothing; it exists so tests and the demo can run a real
// `ollama serve` without downloading a model. With Ollama's `format` set to a
// JSON Schema, its grammar makes even random weights emit schema-valid JSON,
// deterministically at temperature 0. Nothing here is committed: tests
// generate the file in a few milliseconds.
package tinymodel

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// Hyperparameters of the tiny model. ContextLength is generous so callers can
// raise num_ctx above the Modelfile's 2048 for long prompts: the vocabulary
// is small, so prompts take about one token per character.
const (
	ContextLength = 32768
	Embedding     = 64
	Blocks        = 2
	FeedForward   = 128
	Heads         = 4
	HeadsKV       = 4
	headDim       = Embedding / Heads
)

// Write writes the tiny model generated from seed into dir and returns the
// path of the GGUF file. The same seed always gives the same bytes.
func Write(dir string, seed int64) (ggufPath string, err error) {
	data := Encode(seed)
	path := filepath.Join(dir, fmt.Sprintf("mrswarm-tiny-%d.gguf", seed))
	tmp, err := os.CreateTemp(dir, ".mrswarm-tiny-*.gguf")
	if err != nil {
		return "", fmt.Errorf("write tiny model: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write tiny model: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("write tiny model: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", fmt.Errorf("write tiny model: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("write tiny model: %w", err)
	}
	return path, nil
}

// Encode returns the GGUF bytes of the tiny model generated from seed.
func Encode(seed int64) []byte {
	tokens, scores, types := vocabulary()
	return encodeGGUF(metadata(tokens, scores, types), weights(seed, len(tokens)))
}

// metadata returns the llama architecture and tokenizer keys, in the order
// they are written.
func metadata(tokens []string, scores []float32, types []int32) []kv {
	return []kv{
		{"general.architecture", "llama"},
		{"general.name", "mrswarm-tiny"},
		{"general.file_type", uint32(0)}, // all F32
		{"general.alignment", uint32(alignment)},
		{"llama.vocab_size", uint32(len(tokens))},
		{"llama.context_length", uint32(ContextLength)},
		{"llama.embedding_length", uint32(Embedding)},
		{"llama.block_count", uint32(Blocks)},
		{"llama.feed_forward_length", uint32(FeedForward)},
		{"llama.attention.head_count", uint32(Heads)},
		{"llama.attention.head_count_kv", uint32(HeadsKV)},
		{"llama.attention.layer_norm_rms_epsilon", float32(1e-5)},
		{"llama.rope.dimension_count", uint32(headDim)},
		{"llama.rope.freq_base", float32(10000)},
		{"tokenizer.ggml.model", "llama"},
		{"tokenizer.ggml.tokens", tokens},
		{"tokenizer.ggml.scores", scores},
		{"tokenizer.ggml.token_type", types},
		{"tokenizer.ggml.unknown_token_id", uint32(unkID)},
		{"tokenizer.ggml.bos_token_id", uint32(bosID)},
		{"tokenizer.ggml.eos_token_id", uint32(eosID)},
		{"tokenizer.ggml.add_bos_token", true},
		{"tokenizer.ggml.add_eos_token", false},
	}
}

// weights returns every tensor of the model: norms at 1.0, everything else
// drawn from N(0, 0.02) by a PCG generator seeded with seed.
func weights(seed int64, vocab int) []tensor {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6d7273776172)) // "mrswar"
	normal := func(name string, dims ...uint64) tensor {
		t := tensor{Name: name, Dims: dims, Data: make([]float32, product(dims))}
		for i := range t.Data {
			t.Data[i] = float32(rng.NormFloat64() * 0.02)
		}
		return t
	}
	ones := func(name string) tensor {
		t := tensor{Name: name, Dims: []uint64{Embedding}, Data: make([]float32, Embedding)}
		for i := range t.Data {
			t.Data[i] = 1
		}
		return t
	}
	const e, ff, kvDim = Embedding, FeedForward, HeadsKV * headDim
	ts := []tensor{
		normal("token_embd.weight", e, uint64(vocab)),
		ones("output_norm.weight"),
		normal("output.weight", e, uint64(vocab)),
	}
	for b := range Blocks {
		p := fmt.Sprintf("blk.%d.", b)
		ts = append(ts,
			ones(p+"attn_norm.weight"),
			normal(p+"attn_q.weight", e, e),
			normal(p+"attn_k.weight", e, kvDim),
			normal(p+"attn_v.weight", e, kvDim),
			normal(p+"attn_output.weight", e, e),
			ones(p+"ffn_norm.weight"),
			normal(p+"ffn_gate.weight", e, ff),
			normal(p+"ffn_up.weight", e, ff),
			normal(p+"ffn_down.weight", ff, e),
		)
	}
	return ts
}

func product(dims []uint64) uint64 {
	n := uint64(1)
	for _, d := range dims {
		n *= d
	}
	return n
}
