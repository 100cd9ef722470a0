package pool

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
)

// Backend kinds of a [Spec].
const (
	KindOllama = "ollama"
	KindOpenAI = "openai"
)

// Spec describes one host before its backend is built.
type Spec struct {
	// Kind is KindOllama or KindOpenAI.
	Kind string `yaml:"kind"`
	// URL is the server's address: http://host:11434 for Ollama, the API
	// root (http://host:8000/v1) for an OpenAI-compatible server.
	URL string `yaml:"url"`
	// Limit is how many calls the host runs at once (0: DefaultLimit).
	// Match it to the server: OLLAMA_NUM_PARALLEL, vLLM's --max-num-seqs.
	Limit int `yaml:"limit"`
	// Weight favours a faster host (0: 1).
	Weight float64 `yaml:"weight"`
	// Tools says an OpenAI-compatible server runs native tool calling.
	Tools bool `yaml:"tools"`
}

// ParseSpecs reads the --llm value: a YAML file (a name ending in .yaml or
// .yml, see [ReadFile]) or comma-separated endpoints "kind=url", where kind
// is ollama (the default when "kind=" is left out) or openai and the URL may
// carry limit, weight and tools as query parameters:
//
//	ollama=http://a:11434?limit=4,ollama=http://b:11434,openai=http://c:8000/v1?limit=16&weight=2
func ParseSpecs(value string) ([]Spec, error) {
	value = strings.TrimSpace(value)
	if strings.HasSuffix(value, ".yaml") || strings.HasSuffix(value, ".yml") {
		return ReadFile(value)
	}
	var specs []Spec
	var errs []error
	for _, item := range strings.Split(value, ",") {
		spec, err := parseSpec(strings.TrimSpace(item))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		specs = append(specs, spec)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := check(specs); err != nil {
		return nil, err
	}
	return specs, nil
}

// parseSpec parses one "kind=url?limit=N&weight=W&tools=true" item.
func parseSpec(item string) (Spec, error) {
	spec := Spec{Kind: KindOllama, URL: item}
	if kind, rest, ok := strings.Cut(item, "="); ok && !strings.Contains(kind, "/") {
		spec.Kind, spec.URL = strings.TrimSpace(kind), strings.TrimSpace(rest)
	}
	base, query, _ := strings.Cut(spec.URL, "?")
	spec.URL = base
	q, err := url.ParseQuery(query)
	if err != nil {
		return Spec{}, fmt.Errorf("%w: %q: %v", ErrConfig, item, err)
	}
	var errs []error
	for key, vals := range q {
		v := vals[len(vals)-1]
		var err error
		switch key {
		case "limit":
			spec.Limit, err = strconv.Atoi(v)
		case "weight":
			spec.Weight, err = strconv.ParseFloat(v, 64)
		case "tools":
			spec.Tools, err = strconv.ParseBool(v)
		default:
			err = errors.New("unknown option (limit, weight, tools)")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %q: %s=%q: %v", ErrConfig, item, key, v, err))
		}
	}
	return spec, errors.Join(errs...)
}

// ReadFile reads hosts from a YAML file:
//
//	hosts:
//	  - {kind: ollama, url: "http://gpu1:11434", limit: 4}
//	  - {kind: openai, url: "http://vllm:8000/v1", limit: 32, weight: 4}
func ReadFile(path string) ([]Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	var doc struct {
		Hosts []Spec `yaml:"hosts"`
	}
	if err := yaml.UnmarshalWithOptions(data, &doc, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrConfig, path, err)
	}
	for i := range doc.Hosts {
		if doc.Hosts[i].Kind == "" {
			doc.Hosts[i].Kind = KindOllama
		}
	}
	if err := check(doc.Hosts); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return doc.Hosts, nil
}

// check reports every invalid spec at once.
func check(specs []Spec) error {
	if len(specs) == 0 {
		return fmt.Errorf("%w: no hosts", ErrConfig)
	}
	var errs []error
	for _, s := range specs {
		switch {
		case s.Kind != KindOllama && s.Kind != KindOpenAI:
			errs = append(errs, fmt.Errorf("%w: host %q: kind %q is not ollama or openai", ErrConfig, s.URL, s.Kind))
		case s.URL == "":
			errs = append(errs, fmt.Errorf("%w: a %s host without a URL", ErrConfig, s.Kind))
		case s.Limit < 0 || s.Weight < 0:
			errs = append(errs, fmt.Errorf("%w: host %q: limit and weight must not be negative", ErrConfig, s.URL))
		case s.Tools && s.Kind != KindOpenAI:
			errs = append(errs, fmt.Errorf("%w: host %q: tools is an openai option (Ollama reports it per model)", ErrConfig, s.URL))
		}
	}
	return errors.Join(errs...)
}
