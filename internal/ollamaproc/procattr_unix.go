//go:build unix && !linux

package ollamaproc

import "syscall"

// sysProcAttr puts the server in its own process group, so Stop reaches its
// runners too. Only Linux can also stop it when the parent dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
