package proc

import (
	"syscall"
	"unsafe"
)

// sysProcAttr puts the child in its own process group, so that signals
// reach everything it starts, and keeps a terminal's Ctrl-C (sent to the
// foreground group) from killing nodes before the harness has written what
// it recorded. Pdeathsig kills the child should the harness itself die
// without a chance to clean up.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// waitExited blocks until the child pid has exited, leaving it unreaped
// (waitid with WNOWAIT): its pid, and so its process group id, stays
// reserved until cmd.Wait. It reports false when that is not possible.
func waitExited(pid int) bool {
	const pPID = 1      // P_PID
	var info [16]uint64 // siginfo_t is 128 bytes
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
			uintptr(unsafe.Pointer(&info)), syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		if errno != syscall.EINTR {
			return errno == 0
		}
	}
}
