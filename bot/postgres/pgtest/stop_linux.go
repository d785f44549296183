package pgtest

import (
	"os/exec"
	"syscall"
)

// stopWithParent has the kernel send the server PostgreSQL's immediate
// shutdown signal when the test binary dies.
func stopWithParent(cmd *exec.Cmd) { cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT }

// processAlive reports whether a process with the pid exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
