//go:build unix && !linux

package proc

import "syscall"

// sysProcAttr puts the child in its own process group, so that signals
// reach everything it starts, and keeps a terminal's Ctrl-C away from it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// waitExited cannot wait without reaping here; the caller reaps first.
func waitExited(int) bool { return false }
