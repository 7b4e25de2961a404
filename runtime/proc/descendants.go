package proc

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// Ending everything a node started.
//
// A node's child process leads its own process group, and a signal to the
// group reaches whatever it forked, but a program may leave the group:
// `setsid sleep 1000 &` in a node script, a daemon that double-forks. So
// every node runs with an environment variable, TokenEnv, that marks it and
// everything it starts (the environment is inherited through fork, exec and
// setsid alike), and on Linux the harness ends every live process carrying
// the mark of a node that ended. The harness also makes itself a child
// subreaper (PR_SET_CHILD_SUBREAPER): an orphaned descendant is re-parented
// to the harness rather than to init, so it stays in the harness's process
// tree and the harness can reap it once killed.
//
// What remains possible:
//   - A descendant that clears or rewrites its environment (env -i, or
//     exporting another TokenEnv) and leaves the node's process group
//     escapes the sweep. It still dies with the harness's own process if
//     it is a direct child of it (see below), and is re-parented to the
//     harness, not to init.
//   - A descendant that detached and then exited on its own stays a zombie
//     of the harness (which does not reap what it cannot identify) until
//     the harness exits; the CLI exits after each run.
//   - If the harness itself is killed with SIGKILL, it cannot clean up. Its
//     direct children, the node processes, still get SIGKILL from the
//     kernel (PR_SET_PDEATHSIG). Their descendants outside their process
//     group survive, re-parented to the nearest subreaper or init, and
//     carry TokenEnv: `grep -l DDBBENCH_NODE= /proc/[0-9]*/environ` finds
//     them. (A killed harness's nodes that were paused receive SIGKILL
//     too, which ends a stopped process.)
//   - Other operating systems get the process group kill only.

// TokenEnv is the environment variable that marks a node process and its
// descendants: DDBBENCH_NODE=<harness pid>.<cluster>/<node>/<incarnation>/.
const TokenEnv = "DDBBENCH_NODE"

// clusterSeq numbers the clusters of this process, so that two clusters
// (parallel tests) never share a mark.
var clusterSeq atomic.Int64

// newClusterMark returns a fresh mark prefix for one cluster's nodes.
func newClusterMark() string {
	return fmt.Sprintf("%d.%d/", os.Getpid(), clusterSeq.Add(1))
}

// incarnationMark is the mark of one start of one node.
func incarnationMark(cluster, node string, n int) string {
	return fmt.Sprintf("%s%s/%d/", cluster, node, n)
}

// managed holds the pids of node processes whose exec.Cmd reaps them: a
// sweep may kill them but must never reap them.
var managed sync.Map

var subreaperOnce sync.Once

// becomeSubreaper makes this process the child subreaper of its subtree,
// once (Linux; elsewhere it does nothing).
func becomeSubreaper() { subreaperOnce.Do(setSubreaper) }
