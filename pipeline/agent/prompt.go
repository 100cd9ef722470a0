package agent

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mrswarm/mrswarm/sql/store"
)

// defaultTokenBudget is the approximate token budget for upstream context.
const defaultTokenBudget = 2000

// fullMaxBytes caps the rows ContextFull pastes per result, with a note when it cuts.
const fullMaxBytes = 4 << 20

// approxTokens estimates the tokens of s: about four bytes per token.
func approxTokens(s string) int { return (len(s) + 3) / 4 }

// systemPrompt states the agent's identity, its tools (one line each: the
// arguments' schema goes to the model as the grammar, not as text) and the
// answer rules, once.
func systemPrompt(d Definition, tl []*toolDef, unavailable []missingTool, native bool) string {
	var b strings.Builder
	b.Grow(len(d.Role) + len(d.Goal) + len(d.Backstory) + 256)
	b.WriteString("You are the " + d.Role + ".\nGoal: " + d.Goal + "\n")
	if d.Backstory != "" {
		b.WriteString(d.Backstory + "\n")
	}
	if len(tl) > 0 {
		b.WriteString("Tools (at most " + strconv.Itoa(d.MaxSteps) + " calls, each result a handle):\n")
		for _, t := range tl {
			b.WriteString("- " + t.name + ": " + toolLine(t.desc) + "\n")
		}
	}
	if len(unavailable) > 0 {
		b.WriteString("Not available: " + missingText(unavailable) + ".\n")
	}
	const final = "a summary and at most 3 findings, each citing its handles; numbers only from results.\n"
	switch {
	case native && len(tl) > 0:
		b.WriteString("Call a tool, or give the final answer as one JSON object: " + final)
		b.WriteString(`{"action":"final","summary":"<at most 300 characters>","findings":[{"text":"<at most 200 characters>","handles":["<handle>"]}]}` + "\n")
	case len(tl) > 0:
		b.WriteString("Answer in JSON: a tool call, or the final answer: " + final)
	default:
		b.WriteString("Answer in JSON: " + final)
	}
	return b.String()
}

// missingText names the unavailable tools, those with the same reason together:
// "optimize_budget, response_curves (no spend column)".
func missingText(ms []missingTool) string {
	var reasons []string
	names := map[string][]string{}
	for _, m := range ms {
		if names[m.reason] == nil {
			reasons = append(reasons, m.reason)
		}
		names[m.reason] = append(names[m.reason], m.name)
	}
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = strings.Join(names[r], ", ") + " (" + r + ")"
	}
	return strings.Join(parts, "; ")
}

// maxToolLine bounds a tool's description in the system prompt.
const maxToolLine = 64

// minToolClause is the shortest text toolLine cuts a description down to.
const minToolClause = 16

// parenthetical matches an aside in parentheses, with the space before it.
var parenthetical = regexp.MustCompile(` ?\([^()]*\)`)

// toolLine is the gist of a tool description: its first sentence without
// asides in parentheses, up to its first "; ", cut within maxToolLine bytes
// after a list item, else before a colon, else after a word (not after "the").
func toolLine(desc string) string {
	s := oneLine(desc)
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	s = parenthetical.ReplaceAllString(s, "")
	if i := strings.Index(s, "; "); i >= minToolClause {
		s = s[:i]
	}
	if len(s) <= maxToolLine {
		return s
	}
	head := s[:maxToolLine]
	for _, sep := range []string{", ", ": "} {
		if i := strings.LastIndex(head, sep); i >= minToolClause {
			return head[:i]
		}
	}
	words := strings.Fields(head)
	words = words[:len(words)-1] // the last may be cut
	for len(words) > 1 && danglingWords[strings.ToLower(words[len(words)-1])] {
		words = words[:len(words)-1]
	}
	return strings.TrimRight(strings.Join(words, " "), ",;:")
}

// danglingWords do not end a cut description.
var danglingWords = map[string]bool{"a": true, "an": true, "the": true, "and": true, "or": true, "of": true,
	"with": true, "to": true, "vs": true, "for": true, "by": true, "in": true, "on": true, "over": true, "across": true}

// userPrompt holds the task, the run inputs the task text does not already
// state, and the upstream context.
func userPrompt(task string, t Task, upstream string) string {
	var b strings.Builder
	b.Grow(len(task) + len(upstream) + 128)
	b.WriteString("Task: " + task + "\nDataset: " + t.Dataset + "\n")
	if in := inputsText(t.Inputs, task); in != "" {
		b.WriteString("Inputs: " + in + "\n")
	}
	if upstream != "" {
		b.WriteString("Upstream results:\n" + upstream)
	}
	return b.String()
}

// inputsText lists on one line the non-empty run inputs whose value the task
// text does not contain: "Target audience: x; Budget: 100000.00".
func inputsText(in Inputs, task string) string {
	var parts []string
	line := func(k, v string) {
		if v != "" && !states(task, v) {
			parts = append(parts, k+": "+v)
		}
	}
	line("Target audience", in.TargetAudience)
	if in.Budget != 0 {
		line("Budget", strconv.FormatFloat(in.Budget, 'f', 2, 64))
	}
	line("Duration", in.Duration)
	line("Campaign goals", in.CampaignGoals)
	line("Analysis focus", in.AnalysisFocus)
	line("Brands", strings.Join(in.Brands, ", "))
	for _, k := range sortedKeys(in.Extra) {
		line(k, in.Extra[k])
	}
	return strings.Join(parts, "; ")
}

// states reports whether text contains v as whole words (so "6" is not
// found in "16 weeks").
func states(text, v string) bool {
	first := func(s string) rune { r, _ := utf8.DecodeRuneInString(s); return r }
	last := func(s string) rune { r, _ := utf8.DecodeLastRuneInString(s); return r }
	word := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	for i := 0; ; {
		j := strings.Index(text[i:], v)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(v)
		glued := (start > 0 && word(last(text[:start])) && word(first(v))) ||
			(end < len(text) && word(first(text[end:])) && word(last(v)))
		if !glued {
			return true
		}
		i = start + 1
	}
}

// block is one piece of upstream context.
type block struct {
	head   string // "## step x (agent)" line, kept when the body is dropped
	body   string
	handle string // "" for an upstream output
}

// upstreamBlocks lists upstream outputs and results, oldest first; a result
// that several upstream steps hand on is listed once, under the first.
func upstreamBlocks(ups []Upstream) []block {
	var bs []block
	seen := map[string]bool{}
	for _, u := range ups {
		head := stepHead(u)
		body := ""
		if u.Output != "" {
			body = "Output: " + u.Output + "\n"
		}
		bs = append(bs, block{head: head, body: body})
		for _, r := range u.Results {
			if !seen[r.Handle] {
				seen[r.Handle] = true
				bs = append(bs, block{body: promptSummary(r), handle: r.Handle})
			}
		}
	}
	return sameAsEarlier(bs)
}

// stepHead is the line that opens an upstream step's context: "## step x (agent)",
// the agent left out when the step is named after it.
func stepHead(u Upstream) string {
	head := "## step " + u.StepID
	if u.Agent != "" && u.Agent != u.StepID {
		head += " (" + u.Agent + ")"
	}
	return head + "\n"
}

// sameAsEarlier shortens a result whose summary repeats an earlier one (a tool
// called again with the same arguments) to a line naming that result.
func sameAsEarlier(bs []block) []block {
	first := map[string]string{} // summary without its handle → first handle
	for i, b := range bs {
		if b.handle == "" {
			continue
		}
		key := strings.TrimPrefix(b.body, b.handle) // summaryKey of the result
		if h, ok := first[key]; ok {
			bs[i].body = fmt.Sprintf("%s: the same summary as %s\n", b.handle, h)
			continue
		}
		first[key] = b.handle
	}
	return bs
}

// handlesContext renders upstream outputs and result summaries (never rows) within
// budget tokens. Over budget it drops the largest summaries first, then the oldest
// outputs, and says which in a note.
func handlesContext(ups []Upstream, budget int) string {
	bs := upstreamBlocks(ups)
	total := 0
	for _, b := range bs {
		total += (len(b.head) + len(b.body) + 3) / 4 // approxTokens(b.head + b.body)
	}
	var dropped []string
	for total > budget {
		i := dropCandidate(bs)
		if i < 0 {
			break
		}
		total -= approxTokens(bs[i].body)
		if bs[i].handle != "" {
			dropped = append(dropped, "summary of "+bs[i].handle)
		} else {
			dropped = append(dropped, "output of "+strings.TrimSpace(strings.TrimPrefix(bs[i].head, "## ")))
		}
		bs[i].body = ""
	}
	var out strings.Builder
	for _, b := range bs {
		out.WriteString(b.head)
		out.WriteString(b.body)
	}
	if len(dropped) > 0 {
		fmt.Fprintf(&out, "[Context trimmed to about %d tokens: left out the %s. Those handles can still be cited.]\n",
			budget, strings.Join(dropped, ", "))
	}
	return out.String()
}

// dropCandidate picks the largest remaining result summary, else the oldest output.
func dropCandidate(bs []block) int {
	best := -1
	for i, b := range bs {
		if b.handle != "" && b.body != "" && (best < 0 || len(b.body) > len(bs[best].body)) {
			best = i
		}
	}
	if best >= 0 {
		return best
	}
	for i, b := range bs {
		if b.body != "" {
			return i
		}
	}
	return -1
}

// fullContext pastes upstream outputs and every row of every upstream result as
// CSV, each result once.
func fullContext(ctx context.Context, st *store.Store, ups []Upstream) (string, error) {
	var out strings.Builder
	seen := map[string]bool{}
	for _, u := range ups {
		out.WriteString(stepHead(u))
		if u.Output != "" {
			out.WriteString("Output: " + u.Output + "\n")
		}
		for _, r := range u.Results {
			if seen[r.Handle] {
				continue
			}
			seen[r.Handle] = true
			rows, err := allRowsCSV(ctx, st, r.Handle)
			if err != nil {
				return "", fmt.Errorf("full context of %s: %w", r.Handle, err)
			}
			fmt.Fprintf(&out, "Result %s (%d rows, CSV):\n%s\n", r.Handle, r.Rows, rows)
		}
	}
	return out.String(), nil
}

// errFullCap stops reading rows past fullMaxBytes.
var errFullCap = errors.New("full context cap")

// allRowsCSV reads every row of handle as CSV, with one header line, up to fullMaxBytes.
func allRowsCSV(ctx context.Context, st *store.Store, handle string) (string, error) {
	var b strings.Builder
	err := st.StreamRows(ctx, handle, 0, true, func(p store.Page) error {
		csv := p.CSV
		if p.Offset > 0 { // every page repeats the header line
			_, csv, _ = strings.Cut(csv, "\n")
		}
		b.WriteString(csv)
		if b.Len() > fullMaxBytes {
			fmt.Fprintf(&b, "[rows after row %d of %d left out: over %d bytes]\n", p.NextOffset, p.TotalRows, fullMaxBytes)
			return errFullCap
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFullCap) {
		return "", err
	}
	return strings.TrimRight(b.String(), "\n"), nil
}

// clip shortens s to at most n bytes, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// oneLine joins the lines of s with " / ".
func oneLine(s string) string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	return strings.Join(fields, " / ")
}
