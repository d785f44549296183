package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	osuser "os/user"
	"strconv"
	"syscall"
)

// unprivileged is the system user the server runs as when the tests run as
// root.
const unprivileged = "sccbot-test"

// user is who runs initdb and the server; nil means the current user.
type user struct {
	name     string
	uid, gid int
}

// serverUser returns nil unless the process is root; then the unprivileged
// user, created if missing.
func serverUser() (*user, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := osuser.Lookup(unprivileged)
	if err != nil {
		out, addErr := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
			unprivileged).CombinedOutput()
		if addErr != nil {
			return nil, fmt.Errorf("PostgreSQL refuses to run as root and user %s cannot be created: %w: %s",
				unprivileged, addErr, out)
		}
		if u, err = osuser.Lookup(unprivileged); err != nil {
			return nil, fmt.Errorf("look up %s: %w", unprivileged, err)
		}
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("uid of %s: %w", unprivileged, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("gid of %s: %w", unprivileged, err)
	}
	return &user{name: unprivileged, uid: uid, gid: gid}, nil
}

// apply makes cmd run as u (a nil u leaves it as is).
func (u *user) apply(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	if u != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(u.uid), Gid: uint32(u.gid)}
	}
}
