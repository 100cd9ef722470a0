package agent

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mrswarm/mrswarm/pipeline/llm"
)

// TestValidFinalAgreesWithSchema pins the one-pass check of a final answer to
// the compiled final-answer schema: every answer it accepts, checkFinal (the
// schema and the handle check) accepts with the same summary and findings,
// and every answer checkFinal accepts, it accepts too, so the schema's errors
// are the ones a model sees and a valid answer is read the same either way.
func TestValidFinalAgreesWithSchema(t *testing.T) {
	known := []string{"res_a", "res_b", "res_c", "res_d"}
	long := func(n int) string { return strings.Repeat("é", n) }
	finding := func(text, handles string) string { return fmt.Sprintf(`{"text":%q,"handles":%s}`, text, handles) }
	final := func(summary string, findings ...string) string {
		return fmt.Sprintf(`{"action":"final","summary":%q,"findings":[%s]}`, summary, strings.Join(findings, ","))
	}
	ok := finding("up 5%", `["res_a"]`)
	answers := map[string]string{
		"one finding":                   final("s", ok),
		"no findings":                   final("s"),
		"no handles":                    final("s", finding("t", `[]`)),
		"three findings, three handles": final("s", ok, ok, finding("t", `["res_a","res_b","res_c"]`)),
		"four findings":                 final("s", ok, ok, ok, ok),
		"four handles":                  final("s", finding("t", `["res_a","res_b","res_c","res_d"]`)),
		"unknown handle":                final("s", finding("t", `["res_x"]`)),
		"summary of 300 runes":          final(long(300), ok),
		"summary of 301 runes":          final(long(301), ok),
		"finding of 200 runes":          final("s", finding(long(200), `[]`)),
		"finding of 201 runes":          final("s", finding(long(201), `[]`)),
		"escapes":                       `{"action":"final","summary":"a\u00e9\n\"b\"","findings":[{"text":"\u2028x","handles":["res_\u0061"]}]}`,
		"invalid UTF-8":                 "{\"action\":\"final\",\"summary\":\"\xff\xfe\",\"findings\":[]}",
		"whitespace":                    " {\n \"action\" : \"final\" , \"summary\":\"s\",\"findings\" : [ ] } ",
		"keys in another order":         `{"findings":[{"handles":["res_b"],"text":"t"}],"summary":"s","action":"final"}`,
		"repeated key":                  `{"action":"final","summary":"a","summary":"b","findings":[]}`,
		"repeated findings":             `{"action":"final","summary":"s","findings":[{"text":"a","handles":["res_a"]}],"findings":[]}`,
		"key of another case":           `{"action":"final","Summary":"s","findings":[]}`,
		"key of another case too":       `{"action":"final","summary":"s","Summary":"t","findings":[]}`,
		"finding key of another case":   `{"action":"final","summary":"s","findings":[{"Text":"t","handles":[]}]}`,
		"extra key":                     `{"action":"final","summary":"s","findings":[],"note":"x"}`,
		"extra finding key":             `{"action":"final","summary":"s","findings":[{"text":"t","handles":[],"x":1}]}`,
		"missing summary":               `{"action":"final","findings":[]}`,
		"missing handles":               `{"action":"final","summary":"s","findings":[{"text":"t"}]}`,
		"action call":                   `{"action":"call_tool","summary":"s","findings":[]}`,
		"action of another case":        `{"action":"Final","summary":"s","findings":[]}`,
		"null summary":                  `{"action":"final","summary":null,"findings":[]}`,
		"null findings":                 `{"action":"final","summary":"s","findings":null}`,
		"null handles":                  `{"action":"final","summary":"s","findings":[{"text":"t","handles":null}]}`,
		"number handle":                 `{"action":"final","summary":"s","findings":[{"text":"t","handles":[1]}]}`,
		"number text":                   `{"action":"final","summary":"s","findings":[{"text":1,"handles":[]}]}`,
		"finding not an object":         `{"action":"final","summary":"s","findings":["t"]}`,
		"trailing text":                 `{"action":"final","summary":"s","findings":[]} x`,
		"two objects":                   `{"action":"final","summary":"s","findings":[]}{}`,
		"array":                         `[{"action":"final","summary":"s","findings":[]}]`,
		"not JSON":                      `final: s`,
		"empty":                         ``,
	}
	rules := turnRules{mode: either, handles: known, final: finalAnswer}
	accepted := 0
	for name, raw := range answers {
		t.Run(name, func(t *testing.T) {
			msg := llm.Message{Role: "assistant", Content: raw}
			want, err := checkFinal([]byte(raw), rules, msg)
			summary, findings, ok := validFinal([]byte(raw), known)
			if ok != (err == nil) {
				t.Fatalf("validFinal accepts: %v; the schema's check: %v", ok, err)
			}
			if !ok {
				return
			}
			accepted++
			got := answer{final: true, summary: summary, findings: findings, msg: msg}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(answer{})); diff != "" {
				t.Errorf("(-checkFinal +validFinal):\n%s", diff)
			}
			if findings == nil || (len(findings) > 0 && findings[0].Handles == nil) {
				t.Errorf("empty lists decode as nil: %#v", findings) // encoding/json gives empty ones
			}
		})
	}
	if accepted < 10 {
		t.Errorf("only %d answers accepted: the table no longer covers valid answers", accepted)
	}
}
