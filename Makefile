# tenesa-ivr — the two commands a newcomer needs:
#   make demo   the contact center at work for about a minute: simulated PBX, callers and agents, real Redis,
#               live wallboard, KPI report (DEMO_FLAGS="--duration 30m --speed 10" etc.)
#   make test   run every test (race detector on) against a real Redis
#   (make build: bin/tenesa-ivr; make lint: gofmt, go vet, staticcheck; make bench: the load bench)
GO      ?= go
PKGS    ?= ./...
BIN     ?= bin/tenesa-ivr
export PATH := $(PATH):/usr/local/go/bin

.PHONY: all build demo test test-tools lint bench bench-go fuzz serve sim check-config sounds redis clean soak

all: lint test

# The version printed by `tenesa-ivr --version`: git describe of the tree
# (a plain `go build`/`go install` falls back to the module's build info).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
LDFLAGS := $(if $(VERSION),-X main.version=$(VERSION))

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/tenesa-ivr

redis:
	@bash scripts/ensure-redis.sh

# Debian's prometheus (promtool) and chromium, which the tests drive.
test-tools:
	@bash scripts/ensure-test-tools.sh

# The demo uses the local Redis when one answers on 127.0.0.1:6379, else it
# starts a private redis-server of its own (installed here when missing). It
# plays no audio (the simulator uses the committed prompt durations), so it
# needs no rendered prompts.
DEMO_FLAGS ?=
demo:
	@command -v redis-server >/dev/null 2>&1 || bash -c '(exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null' || \
	  { echo "installing redis-server (Debian package; waiting up to $(APT_LOCK_WAIT)s for the apt lock)"; \
	    $(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq redis-server >/dev/null; }
	$(GO) run ./cmd/tenesa-ivr demo $(DEMO_FLAGS)

test: redis sounds test-tools
	$(GO) test -race -count=1 $(PKGS)

# staticcheck: $(STATICCHECK) when it is on PATH or in $$(go env GOPATH)/bin,
# else installed at the pinned version (needs the Go module proxy once).
STATICCHECK_VERSION ?= v0.8.2
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@sc=$$(command -v staticcheck || echo "$$($(GO) env GOPATH)/bin/staticcheck"); \
	  if [ ! -x "$$sc" ]; then echo "installing staticcheck $(STATICCHECK_VERSION)"; $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) || exit 1; fi; \
	  echo "staticcheck $(PKGS)"; "$$sc" $(PKGS)

# The load bench: the controller on the simulated PBX and real Redis; set-up
# and dispatch latency against the floor, set-ups/s, 10,000 calls held and
# heap per call (BENCH_FLAGS: e.g. --json, --rate 100, --cpuprofile cpu.out).
BENCH_FLAGS ?=
bench: redis
	$(GO) run ./cmd/tenesa-ivr bench $(BENCH_FLAGS)

# The go test benchmarks: controller + simulator calls/s, the SOP flow,
# dispatch, segmentation look-ups and import.
bench-go: redis
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# Short fuzzing of every parser of outside input (FUZZTIME=1m for longer).
FUZZTIME ?= 20s
fuzz:
	@$(GO) list -f '{{.ImportPath}} {{.Dir}}' $(PKGS) | while read -r pkg dir; do \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Chaos soak: three controllers (serve child processes), the simulated PBX,
# Redis with Sentinel, steady calls and faults; exit 1 when a check fails.
# SOAK_DURATION=60s is what CI runs; SOAK_FLAGS="--json" for the JSON report.
SOAK_DURATION ?= 5m
SOAK_FLAGS ?=
soak: redis test-tools
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/tenesa-ivr
	$(BIN) soak --duration $(SOAK_DURATION) $(SOAK_FLAGS)

serve:
	$(GO) run ./cmd/tenesa-ivr serve

sim:
	$(GO) run ./cmd/tenesa-ivr sim --listen 127.0.0.1:8088

check-config:
	$(GO) run ./cmd/tenesa-ivr check-config $(if $(CONFIG),--config $(CONFIG))

# Render the prompt placeholders (espeak-ng + sox, installed from Debian when
# missing). apt waits up to APT_LOCK_WAIT seconds for another apt/dpkg that
# holds the lock instead of failing at once.
APT_LOCK_WAIT ?= 600
APT_GET = apt-get -o DPkg::Lock::Timeout=$(APT_LOCK_WAIT)
sounds:
	@command -v espeak-ng >/dev/null && command -v sox >/dev/null || \
	  { echo "installing espeak-ng and sox (Debian packages; waiting up to $(APT_LOCK_WAIT)s for the apt lock)"; \
	    $(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq espeak-ng sox libsox-fmt-base >/dev/null; }
	@bash scripts/render-prompts.sh

clean:
	rm -rf bin
