//go:build unix && !linux

package proc

import "time"

// Without /proc and PR_SET_CHILD_SUBREAPER, descendants that left a node's
// process group are not found: the group kill is all there is.

func setSubreaper() {}

func sweepKill(string, []int, time.Duration) []int { return nil }

func reap([]int, time.Duration) {}
