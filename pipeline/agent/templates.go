package agent

import (
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"
)

// maxTemplates bounds a [Templates] cache; past it the cache starts over.
const maxTemplates = 256

// Templates caches parsed task templates by their text, and whether each
// renders on sample inputs, so that a runner validating and rendering the same
// definitions run after run parses each once. A nil *Templates parses every
// time. It is safe for concurrent use: a parsed template may execute in parallel.
type Templates struct {
	mu sync.Mutex // guards m
	m  map[string]*parsedTemplate
}

// parsedTemplate is a task template's text parsed, with the error of trying it
// on sample inputs (nil: valid).
type parsedTemplate struct {
	t     *template.Template
	check error
	// last is the latest rendering: the steps of a run render one agent's
	// task on the same inputs, and the output depends on nothing else.
	last atomic.Pointer[rendered]
}

// rendered is a template's output on a copy of the inputs it was given.
type rendered struct {
	in  Inputs
	out string
}

// NewTemplates returns an empty cache.
func NewTemplates() *Templates { return &Templates{m: map[string]*parsedTemplate{}} }

// Validate is [Validate] with the task template taken from c.
func (c *Templates) Validate(d Definition) error { return validate(d, c, true) }

// parse returns text parsed and tried on sample inputs, from the cache when it
// has it.
func (c *Templates) parse(text string) (*parsedTemplate, error) {
	if c != nil {
		c.mu.Lock()
		p, ok := c.m[text]
		c.mu.Unlock()
		if ok {
			return p, nil
		}
	}
	t, err := template.New("task").Funcs(templateFuncs).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, err // not cached: a definition that does not parse is refused before it runs
	}
	p := &parsedTemplate{t: t}
	_, p.check = execute(t, Inputs{Brands: []string{"x"}, Extra: map[string]string{}})
	if c != nil {
		c.mu.Lock()
		if len(c.m) >= maxTemplates {
			clear(c.m)
		}
		c.m[text] = p
		c.mu.Unlock()
	}
	return p, nil
}

// check parses text and executes it on sample inputs, so that unknown fields fail.
func (c *Templates) check(text string) error {
	p, err := c.parse(text)
	if err != nil {
		return err
	}
	return p.check
}

// render renders the task template text over in: again when the inputs
// differ from the last rendering's.
func (c *Templates) render(text string, in Inputs) (string, error) {
	p, err := c.parse(text)
	if err != nil {
		return "", err
	}
	if last := p.last.Load(); last != nil && sameInputs(last.in, in) {
		return last.out, nil
	}
	out, err := execute(p.t, in)
	if err != nil {
		return "", err
	}
	in.Brands, in.Extra = slices.Clone(in.Brands), maps.Clone(in.Extra) // the caller's may change
	p.last.Store(&rendered{in: in, out: out})
	return out, nil
}

// sameInputs reports whether a and b hold the same values: every field,
// down to a nil list or map (printf "%#v" tells it from an empty one;
// reflect.DeepEqual does too, and covers a field added to Inputs later), and
// the budget's bits (-0 prints as such, and equals 0).
func sameInputs(a, b Inputs) bool {
	return math.Float64bits(a.Budget) == math.Float64bits(b.Budget) && reflect.DeepEqual(a, b)
}

// execute runs t over in, trimmed.
func execute(t *template.Template, in Inputs) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, in); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}
