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

# The figures of the README's table, one command each, as the table lists
# them, and the Elle checker's. Per-message benchmarks run for go test's
# default second, so that they time many messages; whole runs a few times.
bench:
	$(GO) test -run '^$$' -bench 'Messages$$' ./runtime/sim/
	$(GO) test -run '^$$' -bench 'SixtySecondRun$$' -benchtime 5x ./harness/
	$(GO) test -run '^$$' -bench 'SixtySecondRunChecked$$' -benchtime 5x ./harness/
	@store=$$(mktemp -d) && echo "ddbbench suite replication --seeds 2 --time-limit 20" && \
		$(GO) run ./cmd/ddbbench suite replication --seeds 2 --time-limit 20 -q --store "$$store" | grep ' in [0-9.]*s; '; \
		rm -rf "$$store"
	@store=$$(mktemp -d) && echo "ddbbench suite deadlock --seeds 2" && \
		$(GO) run ./cmd/ddbbench suite deadlock --seeds 2 -q --store "$$store" | grep ' in [0-9.]*s; '; \
		rm -rf "$$store"
	$(GO) test -run '^$$' -bench 'Register100kOps100Keys$$' -benchtime 3x ./checkers/linearizable/
	$(GO) test -run '^$$' -bench 'RelayThroughput$$' ./runtime/proc/
	$(GO) test -run '^$$' -bench 'EchoRoundTrip$$' ./runtime/proc/
	$(GO) test -run '^$$' -bench 'StartHundredNodes$$' -benchtime 3x ./runtime/proc/
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
