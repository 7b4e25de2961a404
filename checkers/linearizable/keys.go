package linearizable

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/ddbbench/ddbbench/checkers"
)

// firstPassShare is the part of the time budget one key may use before it is
// set aside for a second pass: a key whose search blows up must not starve
// the keys queued behind it, any of which may hold the violation that
// decides the verdict.
const firstPassShare = 8

// keyChecks checks every key's history on its own (P-compositionality:
// a history is linearizable if and only if each key's is), on a pool of
// workers, and tracks what is running for progress reports.
type keyChecks struct {
	model    porcupine.Model
	parts    [][]porcupine.Operation
	verdicts []porcupine.CheckResult
	deadline time.Time // zero: no limit
	budget   time.Duration

	mu      sync.Mutex
	done    int
	running map[int]time.Time // partition -> when its check started
}

// run checks every partition and returns each one's verdict: Ok, Illegal,
// or Unknown when the time budget ran out before its check finished.
func (k *keyChecks) run(workers int, progress func(checkers.Progress), every time.Duration) []porcupine.CheckResult {
	k.verdicts = make([]porcupine.CheckResult, len(k.parts))
	k.running = map[int]time.Time{}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// The largest keys first: they take longest, and starting them early
	// keeps every worker busy to the end.
	order := make([]int, len(k.parts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(len(k.parts[b]), len(k.parts[a])) })

	start := time.Now()
	stop := make(chan struct{})
	var ticker sync.WaitGroup
	if progress != nil && every > 0 {
		ticker.Add(1)
		go func() {
			defer ticker.Done()
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					progress(k.progress(start))
				}
			}
		}()
	}
	firstBudget := time.Duration(0)
	if !k.deadline.IsZero() {
		firstBudget = max(k.budget/firstPassShare, time.Nanosecond)
	}
	// Keys that outgrew their first budget get what is left, together.
	k.pool(k.pool(order, workers, firstBudget), workers, 0)
	close(stop)
	ticker.Wait()
	return k.verdicts
}

// pool checks the partitions in order on workers goroutines, each for at
// most budget (0: until the deadline), and returns those that ran out of
// their budget before the deadline, in order.
func (k *keyChecks) pool(order []int, workers int, budget time.Duration) []int {
	next := make(chan int)
	var wg sync.WaitGroup
	var over []int
	var overMu sync.Mutex
	for range min(workers, len(order)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				if k.checkOne(p, budget) == porcupine.Unknown && budget > 0 && time.Now().Before(k.deadline) {
					overMu.Lock()
					over = append(over, p)
					overMu.Unlock()
				}
			}
		}()
	}
	for _, p := range order {
		next <- p
	}
	close(next)
	wg.Wait()
	slices.SortStableFunc(over, func(a, b int) int {
		return cmp.Compare(slices.Index(order, a), slices.Index(order, b))
	})
	return over
}

// checkOne checks partition p for at most budget, or until the deadline.
func (k *keyChecks) checkOne(p int, budget time.Duration) porcupine.CheckResult {
	limit := time.Duration(0) // Porcupine's "no limit"
	if !k.deadline.IsZero() {
		left := time.Until(k.deadline)
		if left <= 0 {
			k.verdicts[p] = porcupine.Unknown
			return porcupine.Unknown
		}
		limit = left
		if budget > 0 {
			limit = min(limit, budget)
		}
	}
	k.mu.Lock()
	k.running[p] = time.Now()
	k.mu.Unlock()
	v := porcupine.CheckOperationsTimeout(k.model, k.parts[p], limit)
	k.mu.Lock()
	delete(k.running, p)
	if v != porcupine.Unknown {
		k.done++
	}
	k.mu.Unlock()
	k.verdicts[p] = v
	return v
}

// progress is a snapshot: keys done and the key checked longest.
func (k *keyChecks) progress(start time.Time) checkers.Progress {
	k.mu.Lock()
	defer k.mu.Unlock()
	pr := checkers.Progress{Checker: "linearizable", Done: k.done, Total: len(k.parts), Unit: "keys", Elapsed: time.Since(start)}
	slow, since := -1, time.Time{}
	for p, t := range k.running {
		if slow < 0 || t.Before(since) || t.Equal(since) && p < slow {
			slow, since = p, t
		}
	}
	if slow >= 0 {
		pr.Slow = describeKey(k.parts[slow])
		pr.SlowFor = time.Since(since)
	}
	return pr
}

func describeKey(part []porcupine.Operation) string {
	return fmt.Sprintf("key %s, %d ops", part[0].Input.(Call).Key, len(part))
}
