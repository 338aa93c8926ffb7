// Package verify proves that an image still works: it unpacks the image's
// final root file system into a private directory (Unpack: nothing is
// ever written outside it, whatever the image's names, symlinks and
// hardlinks say; no device nodes; sparse files kept sparse; trees of
// killed runs removed) and runs commands inside it as a container runtime
// would run them (Run: the config's Env, WorkingDir and User, as Docker
// resolves them), contained as runc's defaults contain a container — own
// pid, mount, network (loopback only), UTS and IPC namespaces, Docker's
// capabilities, no_new_privs, a nosuid and nodev root, /proc/sys
// read-only and the sensitive parts of /proc masked — within limits on
// processes, memory and written bytes (Limits); the namespace sandbox runs
// in a user namespace mapping the image's ids to unprivileged host ids
// when it can (userns.go). The sandbox is bubblewrap
// when it is installed, else Linux namespaces set up by this package
// itself (see Init); Verify does both steps for a list of commands.
package verify
