package reports

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ddbbench/ddbbench/checkers/latency"
)

// Summary is the human summary of a run: the verdict and why, the key
// figures, and where the files are.
func Summary(r *Results, dir string) string {
	var b strings.Builder
	verdict := map[string]string{"valid": "VALID", "invalid": "INVALID", "unknown": "UNKNOWN"}[string(r.Valid)]
	if r.Error != "" {
		verdict = "ERROR" // the run did not complete: exit 255 whatever was checked
	}
	fmt.Fprintf(&b, "%s  %s  (seed %d, %s, %.1fs run in %.2fs wall)\n", verdict, r.Name, r.Seed, r.Runtime, r.RunS, r.WallS)
	if r.Interrupted {
		b.WriteString("  interrupted: results cover what was recorded before the stop\n")
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "  error: %s\n", r.Error)
	}
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "  %-13s %-8s %s\n", c.Checker, c.Valid, c.Summary)
	}
	ops := r.Stats.Total
	fmt.Fprintf(&b, "  operations    %d ok, %d fail, %d info", ops.OK, ops.Fail, ops.Info)
	if r.Unstarted > 0 {
		fmt.Fprintf(&b, ", %d never started (clients saturated)", r.Unstarted)
	}
	b.WriteString("\n")
	if r.Rate.Requested > 0 {
		fmt.Fprintf(&b, "  rate          %.1f ops/s achieved of %.1f requested (%.1f%%)\n", r.Rate.Achieved, r.Rate.Requested, 100*r.Rate.Achieved/r.Rate.Requested)
		if r.Rate.Short() {
			who := "the cluster could not keep up (every client was busy)"
			if r.Runtime == "proc" {
				who = "this machine or the nodes could not keep up (too slow for the rate, or every client was busy)"
			}
			fmt.Fprintf(&b, "  WARNING       the clients started fewer operations than asked for, by more than %.0f%%: %s; the figures describe a lighter load (raise --concurrency, or lower --rate)\n", 100*RateShortfall, who)
		}
	}
	if r.Availability != nil {
		fmt.Fprintf(&b, "  availability  %.4f", *r.Availability)
	} else {
		b.WriteString("  availability  none (no operation in the main phase)")
	}
	if r.AvailabilityDuringFaults != nil {
		fmt.Fprintf(&b, " overall, %.4f while faults were active", *r.AvailabilityDuringFaults)
	}
	b.WriteString("\n")
	q := r.Latency.Overall
	fmt.Fprintf(&b, "  latency ms    p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n", q.P50, q.P90, q.P99, q.P999, q.Max)
	if len(r.Faults) > 0 {
		for _, ph := range []latency.Phase{latency.Before, latency.During, latency.After} {
			if q := r.Latency.ByPhase[ph]; q.Count > 0 {
				fmt.Fprintf(&b, "    %-11s p50 %.2f  p99 %.2f  max %.2f  (%d ops)\n", string(ph)+" faults", q.P50, q.P99, q.Max, q.Count)
			}
		}
	}
	if t := r.Transactions; t != nil {
		fmt.Fprintf(&b, "  transactions  %d committed (%.1f/s), %d given up, %d refused, %d indefinite; abort rate %.3f%s; %.2f restarts and %.1f messages per commit\n",
			t.Committed, t.CommittedPerS, t.GaveUp, t.Refused, t.Indefinite, t.AbortRate, abortCauses(t.Aborts), t.RestartsPerCommit, t.MessagesPerCommit)
	}
	if c := r.Commit; c != nil {
		fmt.Fprintf(&b, "  commit        %d committed, %d aborted%s; decided in %.1f ms p50 (%.1f delays), applied in %.1f ms (%.1f delays); %.1f protocol messages and %.1f forced writes per commit\n",
			c.Committed, c.Aborted, abortCauses(c.Aborts), c.DecideMs, c.DecideDelays, c.LearnMs, c.LearnDelays, c.MessagesPerCommit, c.ForcedWritesPerCommit)
		fmt.Fprintf(&b, "  blocking      in doubt %.1fs, blocked %.1fs (before/during/after faults %.1f/%.1f/%.1f s; longest %.1fs) over %d attempts; at the end %d in doubt, %d blocked\n",
			c.InDoubt.Total(), c.Blocked.Total(), c.Blocked.Before, c.Blocked.During, c.Blocked.After, c.BlockedMaxS, c.BlockedTxns, c.InDoubtAtEnd, c.BlockedAtEnd)
	}
	fmt.Fprintf(&b, "  messages      %.2f per op (%.2f between servers), %d in all\n", r.Messages.PerOp, r.Messages.ServerPerOp, r.Messages.Total)
	if s := r.StableLatency; s != nil {
		fmt.Fprintf(&b, "  stable lat.   p50 %.2f  p95 %.2f  max %.2f ms until an element was in every read (%d elements)\n", s.P50, s.P95, s.Max, s.Count)
	}
	if w := r.ProtocolWarnings.Summary(); w != "" {
		fmt.Fprintf(&b, "  warnings      %s\n", w)
	}
	if len(r.Faults) > 0 {
		fmt.Fprintf(&b, "  faults        %d injected\n", len(r.Faults))
	}
	for _, c := range r.NodeLogsCut {
		fmt.Fprintf(&b, "  node log      %s cut: %.1f MiB written, %.1f MiB of the middle not kept (--node-log-limit)\n",
			c.Node, mib(c.WrittenBytes), mib(c.CutBytes))
	}
	if dir != "" {
		fmt.Fprintf(&b, "  results       %s\n", dir)
	}
	return b.String()
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// abortCauses lists aborted attempts by cause, " (died 3, wounded 1)".
func abortCauses(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	causes := make([]string, 0, len(m))
	for c := range m {
		causes = append(causes, c)
	}
	sort.Strings(causes)
	for i, c := range causes {
		causes[i] = fmt.Sprintf("%s %d", c, m[c])
	}
	return " (" + strings.Join(causes, ", ") + ")"
}
