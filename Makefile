# ddbbench: build, test, benchmark, fuzz, lint.
GO      ?= go
BIN     := bin/ddbbench
PKGS    := ./...
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.7.0
# How long make fuzz runs each fuzz target.
FUZZTIME ?= 10s
# How many runs of hostile node programs make hostile makes.
HOSTILE_RUNS ?= 100

.PHONY: build install test test-race bench fuzz hostile lint fmt clean

build:
	$(GO) build -o $(BIN) ./cmd/ddbbench

install:
	$(GO) install ./cmd/ddbbench

# A busy machine may take longer than go test's default 10 minutes for a
# package: the timeout is a hang guard, not a budget.
test:
	$(GO) test -timeout 30m $(PKGS)

test-race:
	$(GO) test -race $(PKGS)

# suite-wall runs ddbbench suite with the given arguments in a scratch store
# and prints its last line: what it ran, in how long.
define suite-wall
	@store=$$(mktemp -d) && echo "ddbbench suite $(1)" && \
		$(GO) run ./cmd/ddbbench suite $(1) -q --store "$$store" | grep ' in [0-9.]*s; '; \
		rm -rf "$$store"
endef

# The figures of the README's table, one command each, as the table lists
# them, and the Elle checker's. Per-message benchmarks run for go test's
# default second, so that they time many messages; whole runs a few times.
bench:
	$(GO) test -run '^$$' -bench 'Messages$$' ./runtime/sim/
	$(GO) test -run '^$$' -bench 'SixtySecondRun$$' -benchtime 5x ./harness/
	$(GO) test -run '^$$' -bench 'SixtySecondRunChecked$$' -benchtime 5x ./harness/
	$(call suite-wall,replication --seeds 2 --time-limit 20)
	$(call suite-wall,locking --seeds 2 --time-limit 20)
	$(call suite-wall,deadlock --seeds 2)
	$(call suite-wall,commit --seeds 2)
	$(GO) test -run '^$$' -bench 'Register100kOps100Keys$$' -benchtime 3x ./checkers/linearizable/
	$(GO) test -run '^$$' -bench 'RelayThroughput$$' ./runtime/proc/
	$(GO) test -run '^$$' -bench 'EchoRoundTrip$$' ./runtime/proc/
	$(GO) test -run '^$$' -bench 'StartHundredNodes$$' -benchtime 3x ./runtime/proc/
	@# Not in the table: the harness's protocol and large-cluster runs, and a
	@# thousand simulated nodes.
	$(GO) test -run '^$$' -bench '^Benchmark(Protocols|LargeClusterChecked)' -benchmem -benchtime 3x ./harness/
	$(GO) test -run '^$$' -bench ThousandNodes -benchtime 1x -timeout 30m ./harness/
	@# The Elle-style checker on 10k/100k/1M transactions, on one core: its
	@# cpu-s/op is the figure to compare on a shared machine.
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x -cpu 1 ./checkers/elle/

# Each fuzz target for FUZZTIME; new inputs that fail land in the package's
# testdata/fuzz, where they become regression tests.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseLine$$' -fuzztime $(FUZZTIME) ./maelstrom/
	$(GO) test -run '^$$' -fuzz '^FuzzAppendLine$$' -fuzztime $(FUZZTIME) ./maelstrom/
	$(GO) test -run '^$$' -fuzz '^FuzzReadJSONL$$' -fuzztime $(FUZZTIME) ./history/
	$(GO) test -run '^$$' -fuzz '^FuzzReadResults$$' -fuzztime $(FUZZTIME) ./reports/

# HOSTILE_RUNS runs of node programs that start processes in their own
# session, fork and exit, ignore signals, fork in a loop or flood stderr:
# after each, no process it started may be left.
hostile:
	$(GO) test -run '^TestHostileNodesLeaveNoProcess$$' -count 1 -timeout 60m ./e2e/ -args -hostile-runs $(HOSTILE_RUNS)

lint:
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

fmt:
	gofmt -w .

clean:
	rm -rf bin
