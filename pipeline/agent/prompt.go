package agent

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

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
// answer rules.
func systemPrompt(d Definition, tl []*toolDef, unavailable []string, native bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "You are the %s.\nGoal: %s\n", d.Role, d.Goal)
	if d.Backstory != "" {
		b.WriteString(d.Backstory + "\n")
	}
	if len(tl) > 0 {
		fmt.Fprintf(&b, "Tools over the sales data (at most %d calls; each result is stored as a handle res_… and summarised):\n", d.MaxSteps)
		for _, t := range tl {
			fmt.Fprintf(&b, "- %s: %s\n", t.name, toolLine(t.desc))
		}
	}
	if len(unavailable) > 0 {
		fmt.Fprintf(&b, "Not available on this dataset: %s.\n", strings.Join(unavailable, "; "))
	}
	switch {
	case native && len(tl) > 0:
		b.WriteString("Call a tool to run an analysis. When done, answer with one JSON object and nothing else:\n")
		b.WriteString(`{"action":"final","summary":"<at most 300 characters>","findings":[{"text":"<at most 200 characters>","handles":["<handle>"]}]}` + "\n")
	case len(tl) > 0:
		b.WriteString("Answer with one JSON object: a tool call, or the final answer.\n")
	default:
		b.WriteString("Answer with one JSON object: the final answer.\n")
	}
	b.WriteString("Final answer: a short summary and at most 3 findings, each citing the handles it rests on; every number must come from a result.\n")
	return b.String()
}

// maxToolLine bounds a tool's description in the system prompt.
const maxToolLine = 100

// toolLine is the first sentence of a tool description, cut at a word within maxToolLine bytes.
func toolLine(desc string) string {
	s := oneLine(desc)
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	if len(s) <= maxToolLine {
		return s
	}
	cut := strings.LastIndexAny(s[:maxToolLine], " ,;")
	if cut <= 0 {
		return clip(s, maxToolLine)
	}
	return strings.TrimRight(s[:cut], " ,;:") + "…"
}

// userPrompt holds the task, the run inputs and the upstream context.
func userPrompt(task string, t Task, upstream string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Task: %s\nDataset: %s\n", task, t.Dataset)
	if in := inputsText(t.Inputs); in != "" {
		b.WriteString("Inputs: " + in + "\n")
	}
	if upstream != "" {
		b.WriteString("Upstream results:\n" + upstream)
	}
	return b.String()
}

// inputsText lists the non-empty run inputs on one line: "target audience: x; budget: 100000.00".
func inputsText(in Inputs) string {
	var parts []string
	line := func(k, v string) {
		if v != "" {
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

// block is one piece of upstream context.
type block struct {
	head   string // "## step x (agent)" line, kept when the body is dropped
	body   string
	handle string // "" for an upstream output
}

// upstreamBlocks lists upstream outputs and results, oldest first.
func upstreamBlocks(ups []Upstream) []block {
	var bs []block
	for _, u := range ups {
		head := "## step " + u.StepID
		if u.Agent != "" {
			head += " (" + u.Agent + ")"
		}
		body := ""
		if u.Output != "" {
			body = "Output: " + u.Output + "\n"
		}
		bs = append(bs, block{head: head + "\n", body: body})
		for _, r := range u.Results {
			bs = append(bs, block{body: promptSummary(r), handle: r.Handle})
		}
	}
	return sameAsEarlier(bs)
}

// sameAsEarlier shortens a result whose summary repeats an earlier one (a tool
// called again with the same arguments) to a line naming that result.
func sameAsEarlier(bs []block) []block {
	first := map[string]string{} // summary without its handle → first handle
	for i, b := range bs {
		if b.handle == "" {
			continue
		}
		key := strings.TrimPrefix(b.body, b.handle)
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
		total += approxTokens(b.head + b.body)
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
		out.WriteString(b.head + b.body)
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

// fullContext pastes upstream outputs and every row of every upstream result as CSV.
func fullContext(ctx context.Context, st *store.Store, ups []Upstream) (string, error) {
	var out strings.Builder
	for _, u := range ups {
		fmt.Fprintf(&out, "## step %s", u.StepID)
		if u.Agent != "" {
			fmt.Fprintf(&out, " (%s)", u.Agent)
		}
		out.WriteString("\n")
		if u.Output != "" {
			out.WriteString("Output: " + u.Output + "\n")
		}
		for _, r := range u.Results {
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
