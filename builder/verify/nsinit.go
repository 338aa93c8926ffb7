package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// initEnv carries the spec to the helper process.
const initEnv = "_WHITTLE_VERIFY_INIT"

// Init turns the process into the sandbox's helper when it was started as
// one (by Run, through /proc/self/exe), and returns at once otherwise.
// The package calls it from its init function, so any program importing
// verify — whittle and its test binaries — can serve as the helper; it
// runs before main. The helper joins the command's cgroup, sets its
// rlimits and prepares its root (the image's tree, under an overlay whose
// writes go to a size-limited tmpfs), then either sets up the namespace
// sandbox itself and executes the command, or executes bubblewrap on that
// root. It never returns: it reports why it could not go on on its status
// pipe and exits 127.
func Init() {
	raw, ok := os.LookupEnv(initEnv)
	if !ok {
		return
	}
	// Capabilities, the bounding set and no_new_privs are per thread:
	// all of it, and the exec, happen on this one.
	runtime.LockOSThread()
	status := os.NewFile(statusFD, "status")
	unix.CloseOnExec(statusFD)
	err := func() error {
		var sp spec
		if err := json.Unmarshal([]byte(raw), &sp); err != nil {
			return err
		}
		return helper(sp)
	}()
	// Only reached on failure: the exec replaced the process otherwise.
	fmt.Fprintf(status, "%v", err)
	os.Exit(127)
}

func init() { Init() }

// statusFD is the helper's status pipe: closed on exec, so it reads empty
// when the helper got as far as executing.
const statusFD = 3

// helper runs in the helper process: limits, root, then the sandbox.
func helper(sp spec) error {
	if sp.UserNS {
		unix.CloseOnExec(userNSFD)
		if err := sp.Rlimits.set(); err != nil {
			return err
		}
		root, err := prepareUserNSRoot(sp)
		if err != nil {
			return err
		}
		return enterSandbox(sp, root)
	}
	for _, d := range sp.Cgroups {
		if err := writeFile(d, "cgroup.procs", "0"); err != nil {
			return fmt.Errorf("joining cgroup %s: %w", d, err)
		}
	}
	if err := sp.Rlimits.set(); err != nil {
		return err
	}
	root := sp.Root
	if os.Geteuid() == 0 {
		var err error
		if root, err = prepareRoot(sp); err != nil {
			return err
		}
	}
	if sp.Bwrap != nil {
		return execBwrap(sp, root)
	}
	return enterSandbox(sp, root)
}

// prepareRoot, in the helper's own mount namespace, mounts the root the
// command sees: the image's tree nosuid and nodev, under an overlay whose
// writes go to a tmpfs of sp.Disk bytes when sp.Disk > 0. It returns the
// root's path.
func prepareRoot(sp spec) (string, error) {
	// Nothing mounted here may reach the host's mount namespace.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return "", fmt.Errorf("making mounts private: %w", err)
	}
	const flags = unix.MS_NOSUID | unix.MS_NODEV
	if sp.Disk <= 0 {
		if err := unix.Mount(sp.Root, sp.Root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return "", fmt.Errorf("binding the root: %w", err)
		}
		if err := unix.Mount("", sp.Root, "", unix.MS_BIND|unix.MS_REMOUNT|flags, ""); err != nil {
			return "", fmt.Errorf("remounting the root nosuid,nodev: %w", err)
		}
		return sp.Root, nil
	}
	var st unix.Stat_t
	if err := unix.Stat(sp.Root, &st); err != nil {
		return "", err
	}
	// A detached copy of the tree's mount, taken before the tmpfs covers
	// the tree (in this namespace only); it comes back below, as the
	// overlay's lower layer.
	lower, err := unix.OpenTree(unix.AT_FDCWD, sp.Root, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return "", fmt.Errorf("cloning the root's mount: %w", err)
	}
	defer unix.Close(lower)
	if err := unix.Mount("tmpfs", sp.Root, "tmpfs", flags, fmt.Sprintf("size=%d,mode=0700", sp.Disk)); err != nil {
		return "", fmt.Errorf("mounting the writable layer: %w", err)
	}
	if err := unix.Chdir(sp.Root); err != nil {
		return "", err
	}
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		if err := unix.Mkdir(d, 0o700); err != nil {
			return "", err
		}
	}
	// The overlay's root takes the upper directory's owner and mode.
	if err := unix.Chown("upper", int(st.Uid), int(st.Gid)); err != nil {
		return "", err
	}
	if err := unix.Chmod("upper", st.Mode&0o7777); err != nil {
		return "", err
	}
	if err := unix.MoveMount(lower, "", unix.AT_FDCWD, "lower", unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return "", fmt.Errorf("mounting the root below the overlay: %w", err)
	}
	// Relative paths: the root's own may hold the option separators.
	if err := unix.Mount("overlay", "merged", "overlay", flags, "lowerdir=lower,upperdir=upper,workdir=work"); err != nil {
		return "", fmt.Errorf("mounting the overlay: %w", err)
	}
	return filepath.Join(sp.Root, "merged"), nil
}

// execBwrap executes bubblewrap on the prepared root. When bwrap must
// start as the image's user, who cannot reach the root through the
// private directory (0700, root's), the root is first shown at the same
// place in this mount namespace, reachable by all (publish).
func execBwrap(sp spec, root string) error {
	if sp.Bwrap.AsUser {
		var err error
		if root, err = publish(root); err != nil {
			return err
		}
	}
	args := []string{"bwrap"}
	for _, a := range sp.Bwrap.Args {
		if a == rootArg {
			a = root
		}
		args = append(args, a)
	}
	if sp.Bwrap.AsUser {
		if err := dropToUser(sp); err != nil {
			return err
		}
	} else if os.Geteuid() == 0 {
		// bwrap (0.8) leaves the bounding set whole: limit it here. bwrap
		// needs more to set up, which it gets through the inheritable
		// set (root gains it at exec), not the bounding one.
		if err := inheritAll(); err != nil {
			return err
		}
		if err := dropBoundingSet(); err != nil {
			return err
		}
	}
	if err := syscall.Exec(sp.Bwrap.Path, args, []string{}); err != nil {
		return fmt.Errorf("executing %s: %w", sp.Bwrap.Path, err)
	}
	return nil
}

// publish shows the mount at root at the same path, reachable by any
// user, in the helper's mount namespace: a tmpfs of mode 0755 covers the
// highest directory on the path that others cannot search (the private
// directory at least), the path is made again inside it, and the root's
// mount is moved there. It returns the path.
func publish(root string) (string, error) {
	clone, err := unix.OpenTree(unix.AT_FDCWD, root, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return "", fmt.Errorf("cloning the root's mount: %w", err)
	}
	defer unix.Close(clone)
	cover := filepath.Dir(root)
	for d := filepath.Dir(cover); d != "/"; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			cover = d
		}
	}
	if err := unix.Mount("tmpfs", cover, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=64k,mode=0755"); err != nil {
		return "", fmt.Errorf("mounting over %s: %w", cover, err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	if err := unix.MoveMount(clone, "", unix.AT_FDCWD, root, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return "", fmt.Errorf("mounting the root at %s: %w", root, err)
	}
	return root, nil
}

// dropToUser sets the groups and ids of the image's user.
func dropToUser(sp spec) error {
	if err := syscall.Setgroups(sp.Groups); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setgid(sp.GID); err != nil {
		return fmt.Errorf("setgid %d: %w", sp.GID, err)
	}
	if err := syscall.Setuid(sp.UID); err != nil {
		return fmt.Errorf("setuid %d: %w", sp.UID, err)
	}
	return nil
}

// runHelper starts this program as the helper for sp, in new namespaces
// (clone flags), with the cgroup's directories to join, and waits for
// it. It returns the exit status of what the helper executed (-1 for a
// signal), or an error when the helper could not set up. extra are more
// descriptors for the helper, from 4 on; afterStart runs once it started.
func runHelper(ctx context.Context, sp spec, clone uintptr, stdout, stderr io.Writer, extra []*os.File, afterStart func(pid int) error) (int, error) {
	b, err := json.Marshal(sp)
	if err != nil {
		return 0, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer pr.Close()
	cmd := exec.CommandContext(ctx, "/proc/self/exe")
	cmd.Args = []string{"whittle-verify-init"}
	cmd.Env = []string{initEnv + "=" + string(b)}
	// Nothing of the host stays reachable through a working directory
	// (pivot_root moves one at the old root; a tracer in the helper's
	// place keeps its own).
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = stdout, stderr // one pipe when they are the same writer
	cmd.ExtraFiles = append([]*os.File{pw}, extra...)
	cmd.WaitDelay = waitDelay
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: clone, Pdeathsig: syscall.SIGKILL, Setsid: true}
	if sp.UserNS {
		userNSAttr(cmd.SysProcAttr)
	}
	if sp.launch != nil {
		// A tracer started in the helper's place gets its namespaces,
		// its user namespace too (where it is root, and may trace the
		// helper and what it executes), and starts the helper as its
		// child: the helper joins the cgroup itself, or is moved there
		// with the tracer (moveToCgroups).
		execs := 0
		if sp.Bwrap != nil {
			execs = 1 // bwrap, then the command
		}
		sp.launch(cmd, execs)
	}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return 0, fmt.Errorf("starting the sandbox's helper: %w", err)
	}
	pw.Close()
	if afterStart != nil {
		if err := afterStart(cmd.Process.Pid); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return 0, err
		}
	}
	msg, _ := io.ReadAll(pr) // empty when the exec succeeded (close-on-exec)
	werr := cmd.Wait()
	if ctx.Err() != nil {
		return -1, nil
	}
	if len(msg) > 0 {
		return 0, fmt.Errorf("setting up the sandbox: %s", msg)
	}
	var ee *exec.ExitError
	switch {
	case werr == nil:
		return 0, nil
	case errors.As(werr, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil // as a shell, bwrap and Docker say it
		}
		return ee.ExitCode(), nil
	}
	return 0, werr
}

// runNamespaces runs sp in new mount, PID, network, UTS and IPC
// namespaces, set up by the helper (enterSandbox); in a user namespace
// too when the image's ids fit its map, and the kernel allows it (else
// without).
func runNamespaces(ctx context.Context, sp spec, stdout, stderr io.Writer) (int, error) {
	const clone = syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC
	if canUserNS(sp) {
		code, err := runUserNS(ctx, sp, clone, stdout, stderr)
		if err == nil || ctx.Err() != nil {
			return code, err
		}
		// Not allowed here (an old kernel, a file system without idmapped
		// mounts): as root without one.
	}
	return runHelper(ctx, sp, clone, stdout, stderr, nil, nil)
}

// runUserNS runs sp's helper in a user namespace, handing it the tree.
func runUserNS(ctx context.Context, sp spec, clone uintptr, stdout, stderr io.Writer) (int, error) {
	sp.UserNS = true
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	parent := os.NewFile(uintptr(pair[0]), "tree-parent")
	child := os.NewFile(uintptr(pair[1]), "tree-child")
	defer parent.Close()
	defer child.Close()
	return runHelper(ctx, sp, clone, stdout, stderr, []*os.File{child}, func(pid int) error {
		child.Close()
		return sendIdmappedTree(pid, sp, int(parent.Fd()))
	})
}

// enterSandbox runs in the helper, as PID 1 of its new namespaces: it
// pivots into root and sets up what runc's defaults set up.
func enterSandbox(sp spec, root string) error {
	if os.Geteuid() != 0 {
		return errors.New("the namespace sandbox needs root")
	}
	// pivot_root, not chroot: a root process cannot climb out of it.
	if err := unix.Mount(root, root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("binding the root: %w", err)
	}
	if err := unix.Chdir(root); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	// From here every path is inside the image's root: its symlinks
	// resolve there too.
	if err := mountAt("/proc", "proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return err
	}
	if err := makeDev(sp.UserNS); err != nil {
		return err
	}
	if err := protectProc(); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte(hostname)); err != nil {
		return err
	}
	if err := loopbackUp(); err != nil {
		return fmt.Errorf("bringing up lo: %w", err)
	}
	if err := unix.Chdir(sp.Dir); err != nil {
		return fmt.Errorf("working directory %s: %w", sp.Dir, err)
	}
	if err := dropBoundingSet(); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	if err := dropToUser(sp); err != nil {
		return err
	}
	if sp.UID == 0 {
		if err := setDockerCaps(); err != nil {
			return err
		}
	}
	err := syscall.Exec(sp.Exe, sp.Argv, sp.Env)
	// What the command's exec failed with is the command's failure, as a
	// container runtime reports it, not the sandbox's.
	code := 126
	if errors.Is(err, syscall.ENOENT) {
		code = 127
	}
	fmt.Fprintf(os.Stderr, "exec %s: %v\n", sp.Exe, err)
	os.Exit(code)
	return nil
}

// Paths of /proc that runc makes read-only, and those it masks (a file
// with /dev/null, a directory with an empty read-only tmpfs). /sys is not
// mounted in the sandbox at all.
var (
	readOnlyProc = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
	maskedProc   = []string{
		"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	}
)

// protectProc makes runc's read-only paths read-only and masks its
// masked ones, those that exist.
func protectProc() error {
	for _, p := range readOnlyProc {
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("binding %s: %w", p, err)
		}
		if err := unix.Mount("", p, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			return fmt.Errorf("making %s read-only: %w", p, err)
		}
	}
	for _, p := range maskedProc {
		fi, err := os.Lstat(p)
		if err != nil {
			continue
		}
		if fi.IsDir() {
			err = unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0")
		} else {
			err = unix.Mount("/dev/null", p, "", unix.MS_BIND, "")
		}
		if err != nil {
			return fmt.Errorf("masking %s: %w", p, err)
		}
	}
	return nil
}

// mountAt mounts at dir, making it when missing.
func mountAt(dir, source, fstype string, flags uintptr, data string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(source, dir, fstype, flags, data); err != nil {
		return fmt.Errorf("mounting %s: %w", dir, err)
	}
	return nil
}

// makeDev mounts a tmpfs at /dev holding what bwrap's --dev holds: the
// harmless character devices, the standard links, shm and pts. In a user
// namespace the devices are there already (prepareUserNSRoot).
func makeDev(userns bool) error {
	if userns {
		return devLinks()
	}
	if err := mountAt("/dev", "tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=0755,size=64k"); err != nil {
		return err
	}
	for _, d := range []struct {
		name         string
		major, minor uint32
	}{{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}} {
		p := "/dev/" + d.name
		if err := unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(d.major, d.minor))); err != nil {
			return fmt.Errorf("mknod %s: %w", p, err)
		}
		if err := unix.Chmod(p, 0o666); err != nil { // the umask applied
			return err
		}
	}
	return devLinks()
}

// devLinks makes /dev's standard links, shm and pts.
func devLinks() error {
	for name, target := range map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
		"stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx", "core": "/proc/kcore",
	} {
		if err := os.Symlink(target, "/dev/"+name); err != nil {
			return err
		}
	}
	if err := mountAt("/dev/shm", "tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777"); err != nil {
		return err
	}
	return mountAt("/dev/pts", "devpts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620")
}

// loopbackUp brings up lo, the only interface of the new network
// namespace, as bwrap does.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// dockerCapNumbers are dockerCaps by number.
func dockerCapNumbers() []int {
	var out []int
	for _, c := range dockerCaps {
		name := strings.ToLower(strings.TrimPrefix(c, "CAP_"))
		for i, n := range capNames {
			if n == name {
				out = append(out, i)
			}
		}
	}
	return out
}

// dropBoundingSet removes from the bounding set every capability but
// Docker's defaults, so that nothing executed gets more.
func dropBoundingSet() error {
	keep := map[int]bool{}
	for _, c := range dockerCapNumbers() {
		keep[c] = true
	}
	for c := 0; c <= 63; c++ {
		if keep[c] {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			if errors.Is(err, unix.EINVAL) {
				break // the kernel knows no more capabilities
			}
			return fmt.Errorf("dropping capability %d: %w", c, err)
		}
	}
	return nil
}

// setDockerCaps makes Docker's defaults root's effective and permitted
// capabilities; the inheritable set is empty, as Docker's since 20.10.14.
func setDockerCaps() error {
	var set [2]uint32
	for _, c := range dockerCapNumbers() {
		set[c/32] |= 1 << (c % 32)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{
		{Effective: set[0], Permitted: set[0]},
		{Effective: set[1], Permitted: set[1]},
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	return nil
}

// inheritAll makes the permitted capabilities inheritable too.
func inheritAll() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	for i := range data {
		data[i].Inheritable = data[i].Permitted
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	return nil
}

// capNames are the capabilities' names by number, as capabilities(7).
var capNames = []string{
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
	"linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
	"sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
	"sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
	"mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",
	"checkpoint_restore",
}
