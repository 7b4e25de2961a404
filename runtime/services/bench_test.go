package services

import (
	"fmt"
	"testing"
	"time"

	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// BenchmarkLinKV measures lin-kv requests per wall-clock second through
// the simulator: ten nodes each keep one request in flight over links with
// 1 ms of latency, mixing reads, writes and cas on 100 keys. "int" sends
// maelstrom's integer bodies, which skip JSON; "any" sends this package's
// bodies with string keys, which go through JSON as a process's would.
func BenchmarkLinKV(b *testing.B) {
	intReq := func(i int) (string, any) {
		switch key := i % 100; i % 3 {
		case 0:
			return "write", maelstrom.WriteBody{Key: key, Value: i}
		case 1:
			return "cas", maelstrom.CASBody{Key: key, From: i - 1, To: i}
		}
		return "read", maelstrom.ReadBody{Key: i % 100}
	}
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = fmt.Sprint("key", i)
	}
	anyReq := func(i int) (string, any) {
		switch key := keys[i%100]; i % 3 {
		case 0:
			return "write", WriteBody{Key: key, Value: i}
		case 1:
			return "cas", CASBody{Key: key, From: i - 1, To: i, CreateIfNotExists: true}
		}
		return "read", ReadBody{Key: keys[i%100]}
	}
	for _, bodies := range []struct {
		name string
		req  func(int) (string, any)
	}{{"int", intReq}, {"any", anyReq}} {
		b.Run(bodies.name, func(b *testing.B) {
			callers := make([]string, 10)
			for i := range callers {
				callers[i] = fmt.Sprintf("n%d", i)
			}
			h := newSimHarness(b, 1, "lin-kv", func() nodes.Node { return newLinKV() }, callers...)
			sent, done := 0, 0
			var next func(caller string)
			next = func(caller string) {
				if sent == b.N {
					return
				}
				typ, body := bodies.req(sent)
				sent++
				h.clients[caller].env.RPC("lin-kv", typ, body, rpcTimeout, func(_ maelstrom.Msg, err error) {
					if maelstrom.ErrorCode(err) == maelstrom.Timeout {
						b.Fatal(err)
					}
					done++
					next(caller)
				})
			}
			b.ResetTimer()
			for _, c := range callers {
				h.sim.After(0, func() { next(c) })
			}
			for done < b.N {
				h.run(time.Second)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
