package ollamaproc

import "syscall"

// sysProcAttr puts the server in its own process group, so Stop reaches its
// runners too, and has the kernel send it SIGTERM when the parent dies, so a
// crashed test binary leaves nothing behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
