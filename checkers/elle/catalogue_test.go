package elle

import (
	"slices"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

// One hand-written history per anomaly: each is rejected under the given
// models, with that anomaly among the reported types.
func TestCatalogueRejected(t *testing.T) {
	LA, RW := ListAppend, RWRegister
	ss := []string{"strict-serializable"}
	cases := []struct {
		anomaly, workload string
		models            []string
		h                 history.History
	}{
		// List-append.
		{"G0", LA, []string{"read-uncommitted"}, hist(ok(0, la("ax1ay1")), ok(0, la("ax2ay2")), ok(0, la("rx12ry21")))},
		{"G1a", LA, []string{"read-committed"}, hist(fail(0, la("ax1")), ok(1, la("rx1ay1")), ok(2, la("ry1")))},
		{"G1b", LA, []string{"read-committed"}, hist(ok(0, la("ax1ax2")), ok(1, la("rx1")))},
		{"G1c", LA, []string{"read-committed"}, hist(ok(0, la("ax1ry1")), ok(1, la("ax2ay1")), ok(2, la("rx12")))},
		{"G-single-item", LA, []string{"snapshot-isolation"}, hist(ok(0, la("ax1ay1")), ok(1, la("rx1ry")))},
		{"G-nonadjacent-item", LA, []string{"snapshot-isolation"}, hist(ok(0, la("ax1at1")), ok(1, la("rx1ry")), ok(2, la("ay1az2")), ok(3, la("rz2rt")))},
		{"G2-item", LA, []string{"repeatable-read"}, hist(ok(0, la("rxay1")), ok(1, la("ryax1")))},
		{"lost-update", LA, []string{"cursor-stability"}, hist(ok(0, la("ax0")).at(0, 1), ok(1, la("rx0ax1")).at(2, 4), ok(2, la("rx0ax2")).at(3, 5))},
		{"internal", LA, []string{"serializable"}, hist(ok(0, la("ax1")).at(0, 1), ok(1, la("rx1ax2rx1")).at(2, 3))},
		{"future-read", LA, []string{"read-committed"}, hist(ok(0, la("rx1ax1")), ok(1, la("ry")), ok(2, la("ay1")))},
		{"duplicate-elements", LA, []string{"read-uncommitted"}, hist(ok(0, la("ax1")), ok(1, la("ax2")), ok(2, la("rx121")))},
		{"incompatible-order", LA, []string{"read-committed"}, hist(ok(0, la("ax1")), ok(1, la("ax2")), ok(2, la("rx12")), ok(3, la("rx21")))},
		{"dirty-update", LA, []string{"read-committed"}, hist(fail(0, la("ax1")), ok(1, la("ax2")), ok(2, la("rx12")))},
		{"garbage-read", LA, []string{"read-committed"}, hist(ok(0, la("ax1")), ok(1, la("rx19")))},
		{"G0-realtime", LA, ss, hist(ok(0, la("ax1")).at(0, 1), ok(1, la("ax2")).at(2, 3), ok(2, la("rx21")).at(4, 5))},
		{"G1c-realtime", LA, ss, hist(ok(0, la("rx1")).at(0, 1), ok(1, la("ax1")).at(2, 3))},
		{"G-single-item-realtime", LA, ss, hist(ok(0, la("ax1")).at(0, 1), ok(1, la("rx")).at(2, 3))},
		// T1 -rw-> T2 -rw-> T3 -realtime-> T1, T2 concurrent with both.
		{"G2-item-realtime", LA, ss, hist(ok(3, la("ay1")).at(0, 2), ok(2, la("ryax1")).at(1, 10), ok(1, la("rx")).at(3, 4))},
		{"G1c-process", LA, []string{"strong-session-read-committed"}, hist(ok(1, la("rx1ay1")).at(0, 1), ok(2, la("ry1")).at(2, 3), ok(2, la("ax1")).at(4, 5))},
		{"G-single-item-process", LA, []string{"strong-session-snapshot-isolation"}, hist(ok(0, la("ax1")).at(0, 1), ok(1, la("ax2")).at(2, 3), ok(1, la("rx1")).at(4, 5), ok(2, la("rx12")).at(6, 7))},
		{"G-nonadjacent-item-process", LA, []string{"strong-session-serializable"}, hist(ok(0, la("rxrz1")).at(0, 1), ok(1, la("ax1")).at(2, 3), ok(1, la("rz")).at(4, 5), ok(2, la("az1")).at(6, 7))},

		// RW-register.
		// A write cycle. In registers every inferred ww edge is also a wr
		// edge (the writer of the later version read the earlier one), and
		// Elle explains such an edge as wr, so the cycle is G1c; under
		// read-uncommitted, which allows G1c, the write cycle is reported
		// as the cycle PL-1 forbids.
		{"PL-1-cycle-exists", RW, []string{"read-uncommitted"}, hist(ok(0, rw("wx1ry1wy2")), ok(1, rw("wy1rx1wx2")))},
		{"G1c", RW, []string{"read-committed"}, hist(ok(0, rw("wx1ry1wy2")), ok(1, rw("wy1rx1wx2")))},
		{"G1a", RW, []string{"read-committed"}, hist(fail(0, rw("wx1")), ok(1, rw("rx1wy1")), ok(2, rw("ry1")))},
		{"G1b", RW, []string{"read-committed"}, hist(ok(0, rw("wx1wx2")), ok(1, rw("rx1")))},
		{"G1c", RW, []string{"read-committed"}, hist(ok(0, rw("wx1ry1")), ok(1, rw("wy1rx1")))},
		{"G-single-item", RW, []string{"snapshot-isolation"}, hist(ok(0, rw("rx_ry1")), ok(1, rw("wy1wx2")))},
		{"G2-item", RW, []string{"repeatable-read"}, hist(ok(0, rw("rx_wy1")), ok(1, rw("ry_wx1")))},
		{"lost-update", RW, []string{"cursor-stability"}, hist(ok(0, rw("wx0")).at(0, 1), ok(1, rw("rx0wx1")).at(2, 4), ok(2, rw("rx0wx2")).at(3, 5))},
		{"internal", RW, []string{"serializable"}, hist(ok(0, rw("wx2")), ok(1, rw("wx1rx2")))},
		{"cyclic-versions", RW, []string{"read-uncommitted"}, hist(ok(0, rw("rx1wx2")), ok(1, rw("rx2wx1")))},
		{"garbage-read", RW, []string{"read-committed"}, hist(ok(0, rw("wx1")), ok(1, rw("rx9")))},
		{"G-single-item-realtime", RW, ss, hist(ok(0, rw("wx1")).at(0, 1), ok(1, rw("rx_")).at(2, 3))},
		{"G1c-realtime", RW, ss, hist(ok(0, rw("rx1")).at(0, 1), ok(1, rw("wx1")).at(2, 3))},
	}
	for _, c := range cases {
		t.Run(c.workload+"/"+c.anomaly, func(t *testing.T) {
			r := Check(c.h, Options{Workload: c.workload, Models: c.models})
			ev := evidence(t, r)
			if r.Valid != checkers.Invalid || !slices.Contains(ev.AnomalyTypes, c.anomaly) {
				t.Fatalf("want %s rejected under %v:\n%s", c.anomaly, c.models, describe(r))
			}
			cs := ev.Anomalies[c.anomaly]
			if len(cs) == 0 || cs[0].Explanation == "" || len(cs[0].Txns) == 0 && c.anomaly != "incompatible-order" && c.anomaly != "cyclic-versions" {
				t.Fatalf("%s without explanation or transactions: %+v", c.anomaly, cs)
			}
			if !strings.Contains(r.Summary, c.anomaly) {
				t.Fatalf("summary does not name %s: %s", c.anomaly, r.Summary)
			}
		})
	}
}

// Histories each model allows: accepted under it, though stronger models
// reject them.
func TestCatalogueAccepted(t *testing.T) {
	LA, RW := ListAppend, RWRegister
	cases := []struct {
		name, workload string
		allowedBy      []string
		rejectedBy     []string
		h              history.History
	}{
		{"write skew", LA, []string{"snapshot-isolation", "read-committed"}, []string{"repeatable-read", "serializable"},
			hist(ok(0, la("rxay1")), ok(1, la("ryax1")))},
		{"read skew", LA, []string{"read-committed", "cursor-stability"}, []string{"snapshot-isolation", "repeatable-read"},
			hist(ok(0, la("ax1ay1")), ok(1, la("rx1ry")))},
		{"lost update", LA, []string{"read-committed"}, []string{"repeatable-read"},
			hist(ok(0, la("ax0")).at(0, 1), ok(1, la("rx0ax1")).at(2, 4), ok(2, la("rx0ax2")).at(3, 5))},
		{"circular information flow", LA, []string{"read-uncommitted"}, []string{"read-committed"},
			hist(ok(0, la("ax1ry1")), ok(1, la("ax2ay1")), ok(2, la("rx12")))},
		{"intermediate read", LA, []string{"read-uncommitted"}, []string{"read-committed"},
			hist(ok(0, la("ax1ax2")), ok(1, la("rx1")))},
		{"stale read", LA, []string{"serializable", "strong-session-serializable"}, []string{"strict-serializable"},
			hist(ok(0, la("ax1")).at(0, 1), ok(1, la("rx")).at(2, 3))},
		{"a process misses its own write", LA, []string{"serializable"}, []string{"strong-session-snapshot-isolation", "strict-serializable"},
			hist(ok(0, la("ax1")).at(0, 1), ok(0, la("rx")).at(2, 3))},
		{"internal inconsistency", LA, []string{"read-committed"}, []string{"serializable"},
			hist(ok(0, la("ax1")).at(0, 1), ok(1, la("rx1ax2rx1")).at(2, 3))},
		{"rw write skew", RW, []string{"snapshot-isolation", "read-committed"}, []string{"repeatable-read"},
			hist(ok(0, rw("rx_wy1")), ok(1, rw("ry_wx1")))},
		{"rw stale read", RW, []string{"serializable"}, []string{"strict-serializable"},
			hist(ok(0, rw("wx1")).at(0, 1), ok(1, rw("rx_")).at(2, 3))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, m := range c.allowedBy {
				if r := Check(c.h, Options{Workload: c.workload, Models: []string{m}}); r.Valid != checkers.Valid {
					t.Errorf("%s should allow it:\n%s", m, describe(r))
				}
			}
			for _, m := range c.rejectedBy {
				if r := Check(c.h, Options{Workload: c.workload, Models: []string{m}}); r.Valid != checkers.Invalid {
					t.Errorf("%s should reject it:\n%s", m, describe(r))
				}
			}
		})
	}
}
