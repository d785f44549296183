package pgtest

import (
	"os/exec"
	"syscall"
)

// stopWithParent has the kernel send the server PostgreSQL's immediate
// shutdown signal when the test binary dies.
func stopWithParent(cmd *exec.Cmd) { cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT }
