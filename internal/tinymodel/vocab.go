package tinymodel

import "fmt"

// Token types of the llama (SentencePiece) tokenizer.
const (
	tokenNormal  int32 = 1
	tokenUnknown int32 = 2
	tokenControl int32 = 3
	tokenByte    int32 = 6
)

// Ids of the special tokens.
const (
	unkID = 0
	bosID = 1
	eosID = 2
)

// space is SentencePiece's visible space; the tokenizer turns " " into it and
// detokenizing turns it back.
const space = "▁"

// pieces are the multi-character tokens after the single characters. JSON
// punctuation comes first so schema grammars can be satisfied in few tokens;
// words common in mrswarm's prompts and answers follow. Every prefix of a
// piece is added too: the SentencePiece tokenizer only builds a piece by
// merging two pieces that are themselves tokens.
var pieces = []string{
	`{"`, `"}`, `":`, `":"`, `",`, `","`, `,"`, `"]`, `["`, `":["`, `"]}`,
	`":{"`, `"},`, `},{"`, `}}`, `{}`, `[]`, `":▁"`, `,▁"`, `",▁"`, `":▁{`,
	`":▁[`, `},`, `],`, `"▁`, `▁"`, `▁{`, `▁}`,
	`true`, `false`, `null`, `name`, `arguments`, `tool`, `answer`, `final`,
	`findings`, `handle`, `summary`, `text`, `value`, `type`, `step`, `error`,
	`brand`, `region`, `sales`, `revenue`, `price`, `category`, `channel`,
	`units`, `month`, `total`, `count`, `average`, `market`, `campaign`,
	`budget`, `audience`, `forecast`, `profit`, `margin`, `growth`, `share`,
	`▁the`, `▁a`, `▁of`, `▁and`, `▁to`, `▁in`, `▁is`, `▁for`, `▁on`, `▁with`,
	`▁by`, `▁per`, `▁from`, `▁that`, `▁this`, `▁are`, `▁be`, `▁as`, `▁or`,
	`▁You`, `▁you`, `▁your`, `▁use`, `▁data`, `▁tool`, `▁user`, `▁system`,
	`ing`, `ion`, `tion`, `ed`, `er`, `es`, `en`, `an`, `on`, `re`, `th`,
	`he`, `in`, `at`, `or`, `st`, `al`, `ar`, `le`, `it`, `is`, `ou`, `ly`,
	`00`, `10`, `20`, `50`, `202`, `2024`, `2025`, `0.`, `.0`, `.5`, `_id`,
	`_name`, `_count`, `_total`, `_by_`,
}

// vocabulary returns the token pieces, their scores and types: <unk>, <s>,
// </s>, the 256 byte tokens, the space and printable ASCII characters, then
// the multi-character pieces and their prefixes.
func vocabulary() (tokens []string, scores []float32, types []int32) {
	add := func(piece string, score float32, typ int32) {
		tokens = append(tokens, piece)
		scores = append(scores, score)
		types = append(types, typ)
	}
	add("<unk>", 0, tokenUnknown)
	add("<s>", 0, tokenControl)
	add("</s>", 0, tokenControl)
	for b := range 256 {
		add(fmt.Sprintf("<0x%02X>", b), 0, tokenByte)
	}
	seen := map[string]bool{}
	normal := func(piece string) {
		if !seen[piece] {
			seen[piece] = true
			add(piece, -float32(len(seen)), tokenNormal)
		}
	}
	normal(space)
	for c := byte('!'); c <= '~'; c++ {
		normal(string(c))
	}
	for _, p := range pieces {
		for _, prefix := range prefixes(p) {
			normal(prefix)
		}
	}
	return tokens, scores, types
}

// prefixes returns the prefixes of p of two or more runes, shortest first,
// ending with p itself.
func prefixes(p string) []string {
	var out []string
	runes := []rune(p)
	for n := 2; n <= len(runes); n++ {
		out = append(out, string(runes[:n]))
	}
	return out
}
