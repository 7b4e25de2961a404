package elle

import (
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

// Checking generated strict-serializable histories (10 active keys, up to 4
// micro-operations per transaction, concurrency 10, Maelstrom's defaults)
// for strict-serializable: the cost of a whole Check, history in memory.
// Run with `make bench` or
//
//	go test -run '^$' -bench . -benchtime 3x ./checkers/elle/
//
// The ns/txn figure shows how close to linear the checker stays from 10k to
// 1M transactions.
func BenchmarkCheck(b *testing.B) {
	for _, w := range []string{ListAppend, RWRegister} {
		for _, n := range []int{10_000, 100_000, 1_000_000} {
			b.Run(fmt.Sprintf("%s/%dk", w, n/1000), func(b *testing.B) {
				h := generate(defaultGen(w, n))
				benchCheck(b, h, Options{Workload: w})
			})
		}
	}
}

// Histories from an unsafe store (5 replicas gossiping writes 50 ms late,
// the shape of txn-local): thousands of anomalies in large components,
// where the cycle search does its real work.
func BenchmarkCheckAnomalous(b *testing.B) {
	for _, w := range []string{ListAppend, RWRegister} {
		b.Run(fmt.Sprintf("%s/100k", w), func(b *testing.B) {
			c := defaultGen(w, 100_000)
			c.replicas, c.gossipDelay = 5, 50
			h := generate(c)
			benchCheck(b, h, Options{Workload: w})
		})
	}
}

func benchCheck(b *testing.B, h history.History, o Options) {
	b.ReportAllocs()
	runtime.GC()
	cpu0 := cpuTime()
	b.ResetTimer()
	var r checkers.Result
	for i := 0; i < b.N; i++ {
		r = Check(h, o)
	}
	b.StopTimer()
	// CPU time (all threads, garbage collector included) is the figure to
	// quote on a shared machine, where wall time counts the neighbours.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e9, "cpu-s/op")
	if want := checkers.Valid; strings.Contains(b.Name(), "Anomalous") != (r.Valid != want) {
		b.Fatalf("generated history judged %s: %s", r.Valid, r.Summary)
	}
	b.Log(r.Summary)
	ev := r.Evidence.(*Evidence)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(h)), "ns/txn")
	b.ReportMetric(float64(ev.Edges)/float64(len(h)), "edges/txn")
}

// cpuTime is the process's user and system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
