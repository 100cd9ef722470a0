# mrswarm — make targets a newcomer can guess.
SHELL := bash
export PATH := $(CURDIR)/.tools/bin:$(PATH)
GO ?= go

.PHONY: all build demo serve stop test fuzz bench generate lint deps ollama python-deps browser-deps screenshots clean

all: build

build:
	$(GO) build -o bin/mrswarm ./cmd/mrswarm

# Everything the tests and the demo need: the pinned Ollama build and Debian's
# python3 packages. Idempotent: reuses what is already installed.
deps: ollama python-deps

ollama:
	scripts/tools.sh ollama

python-deps:
	scripts/python-deps.sh

# Debian's chromium for the web console's browser tests.
browser-deps:
	scripts/browser-deps.sh

# The main job: sample data, a local Ollama with a model, the server, and a
# campaign_optimization run streamed to the terminal.
demo: deps build
	scripts/demo.sh

# The demo's server alone, in the background (state in MRSWARM_DEMO_DIR,
# default .cache/demo), with the sample data loaded; `make stop` stops it.
serve: deps build
	scripts/demo.sh serve

stop:
	scripts/demo.sh stop

# The whole test suite against a real Ollama and a headless Chromium (fails,
# never skips, without them), after the linters, then each fuzz target briefly.
test: deps browser-deps lint
	MRSWARM_REQUIRE_OLLAMA=1 MRSWARM_REQUIRE_BROWSER=1 MRSWARM_BROWSER_BUDGET=8m $(GO) test -race -count=1 -timeout 30m ./...
	scripts/fuzz.sh 10s

# Every fuzz target for longer (FUZZTIME=10m make fuzz for more).
fuzz:
	scripts/fuzz.sh $(or $(FUZZTIME),2m)

bench: deps build
	scripts/bench.sh

# The README's pictures: the console's run page and the terminal live view
# of a campaign_optimization run on the tiny model, as docs/*.png.
screenshots: deps browser-deps
	MRSWARM_SCREENSHOTS=$(CURDIR)/docs MRSWARM_BROWSER_BUDGET=15m MRSWARM_REQUIRE_OLLAMA=1 MRSWARM_REQUIRE_BROWSER=1 \
		$(GO) test -p 1 -count=1 -timeout 30m -run 'TestConsoleInBrowser|TestTerminalScreenshot' ./server/console ./cmd/mrswarm

generate:
	scripts/tools.sh gen
	cd proto && buf generate
	$(GO) run ./internal/openapimerge proto/mrswarm/v1/mrswarm.swagger.json proto/mrswarm/v1/mrswarm_upload.openapi.json

# go vet, gofmt, staticcheck (pinned in scripts/tools.sh) and a tidy go.mod.
lint:
	scripts/tools.sh lint
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	staticcheck ./...
	$(GO) mod tidy -diff

clean:
	rm -rf bin .cache results
