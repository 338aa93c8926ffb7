package trace

import "golang.org/x/sys/unix"

// nativeArch is AUDIT_ARCH_AARCH64.
const nativeArch = 0xc00000b7

// calls are the system calls whose paths are recorded, by number.
var calls = map[uint64]call{
	unix.SYS_OPENAT:     {0, 1, Open},
	unix.SYS_OPENAT2:    {0, 1, Open},
	unix.SYS_EXECVE:     {-1, 0, Exec},
	unix.SYS_EXECVEAT:   {0, 1, Exec},
	unix.SYS_FSTATAT:    {0, 1, Stat},
	unix.SYS_STATX:      {0, 1, Stat},
	unix.SYS_FACCESSAT:  {0, 1, Stat},
	unix.SYS_FACCESSAT2: {0, 1, Stat},
	unix.SYS_READLINKAT: {0, 1, Link},
	unix.SYS_CHDIR:      {-1, 0, Chdir},
	unix.SYS_GETDENTS64: {0, -1, List},
}
