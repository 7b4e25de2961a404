# ddbbench: build, test, benchmark, lint.
GO      ?= go
BIN     := bin/ddbbench
PKGS    := ./...
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.7.0

.PHONY: build install test test-race bench lint fmt clean

build:
	$(GO) build -o $(BIN) ./cmd/ddbbench

install:
	$(GO) install ./cmd/ddbbench

test:
	$(GO) test $(PKGS)

test-race:
	$(GO) test -race $(PKGS)

# Benchmarks: simulator throughput, a 60 s virtual run, Porcupine on a large
# history, the Elle-style checker on 10k/100k/1M transactions (one core; its
# cpu-s/op is the figure to quote on a shared machine). Figures go in the README.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 3x ./runtime/sim/ ./runtime/proc/ ./checkers/linearizable/ ./suite/
	$(GO) test -run '^$$' -bench '^Benchmark(SixtySecondRun|Protocols|LargeClusterChecked)' -benchmem -benchtime 3x ./harness/
	$(GO) test -run '^$$' -bench ThousandNodes -benchtime 1x -timeout 30m ./harness/
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x -cpu 1 ./checkers/elle/

lint:
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

fmt:
	gofmt -w .

clean:
	rm -rf bin
