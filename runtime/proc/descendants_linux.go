package proc

import (
	"bytes"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"
)

const prSetChildSubreaper = 36 // PR_SET_CHILD_SUBREAPER, linux/prctl.h

func setSubreaper() {
	// An error (a kernel before 3.4) leaves orphans to init: the sweep
	// still kills them, init reaps them.
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
}

// sweepKill SIGKILLs every process, other than this one, whose environment
// carries a TokenEnv entry starting with mark, or that belongs to one of
// the process groups in groups (zombies included: their group is known
// even when their environment is not). It scans until no live process
// matches, for at most limit (a descendant may be forking meanwhile), and
// returns the pids it killed, managed ones left out: reap them once the
// nodes above them are reaped.
func sweepKill(mark string, groups []int, limit time.Duration) []int {
	prefix := []byte(TokenEnv + "=" + mark)
	self := os.Getpid()
	killed := map[int]bool{}
	deadline := time.Now().Add(limit)
	for unsureRounds := 0; ; {
		live, fresh, unsure := 0, 0, 0
		for _, pid := range allPids() {
			if pid == self {
				continue
			}
			st, ok := readStat(pid)
			if !ok {
				continue
			}
			if !slices.Contains(groups, st.pgid) {
				env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
				if err != nil {
					continue // gone, or another user's
				}
				if len(env) == 0 && !st.zombie && descendant(pid, self) {
					// A process in the middle of exec shows no environment
					// for a moment; so does one that cleared it for good.
					unsure++
					continue
				}
				if !hasMark(env, prefix) {
					continue
				}
			}
			if !st.zombie {
				live++
			}
			if !killed[pid] {
				killed[pid] = true
				fresh++
			}
			_ = syscall.Kill(pid, syscall.SIGKILL) // again, if it is still dying
		}
		if unsure > 0 {
			unsureRounds++
		}
		if (live == 0 && (unsure == 0 || unsureRounds > maxUnsureRounds)) || time.Now().After(deadline) {
			break
		}
		if fresh == 0 {
			time.Sleep(time.Millisecond) // only the dying, or the unsure, are left
		}
	}
	var pids []int
	for pid := range killed {
		if _, isNode := managed.Load(pid); !isNode {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids
}

// maxUnsureRounds bounds the scans a sweep repeats for descendants whose
// environment it could not read: an exec takes well under the 20-odd
// milliseconds they last, a process that cleared its environment never
// shows one again.
const maxUnsureRounds = 20

// descendant reports whether pid is in ancestor's subtree.
func descendant(pid, ancestor int) bool {
	for range 64 { // deeper trees than this are not a node's
		st, ok := readStat(pid)
		if !ok || st.ppid <= 1 {
			return false
		}
		if st.ppid == ancestor {
			return true
		}
		pid = st.ppid
	}
	return false
}

// reap reaps those of pids that are (or become, as their parents die)
// zombie children of this process, waiting at most limit for them.
func reap(pids []int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	self := os.Getpid()
	for len(pids) > 0 {
		left := pids[:0]
		for _, pid := range pids {
			var ws syscall.WaitStatus
			got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
			switch {
			case got == pid:
				continue // reaped
			case err == syscall.ECHILD:
				// Not our child: gone, or a zombie of a parent that is
				// itself dying (then it comes to us, the subreaper).
				if st, ok := readStat(pid); !ok || (st.ppid != self && !st.zombie) {
					continue
				}
			}
			left = append(left, pid)
		}
		pids = left
		if len(pids) == 0 || time.Now().After(deadline) {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// allPids lists the processes in /proc.
func allPids() []int {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

type procStat struct {
	ppid, pgid int
	zombie     bool
}

// readStat reads a process's parent, group and state from /proc/pid/stat.
func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	// "pid (comm) state ppid pgrp ...": comm may hold anything, ')' too.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 3 {
		return procStat{}, false
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	pgid, err2 := strconv.Atoi(string(f[2]))
	if err1 != nil || err2 != nil {
		return procStat{}, false
	}
	return procStat{ppid: ppid, pgid: pgid, zombie: f[0][0] == 'Z' || f[0][0] == 'X'}, true
}

// hasMark reports whether an environment (/proc/pid/environ, entries
// ending in NUL) has an entry starting with prefix. Only processes of the
// same user can be read, which is all a node can start without privileges.
func hasMark(env, prefix []byte) bool {
	for len(env) > 0 {
		entry := env
		if i := bytes.IndexByte(env, 0); i >= 0 {
			entry, env = env[:i], env[i+1:]
		} else {
			env = nil
		}
		if bytes.HasPrefix(entry, prefix) {
			return true
		}
	}
	return false
}
