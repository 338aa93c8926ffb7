package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// initEnv carries the spec to the namespace helper process.
const initEnv = "_WHITTLE_VERIFY_INIT"

// Init turns the process into the namespace sandbox's helper when it was
// started as one (by runNamespaces, through /proc/self/exe), and returns
// at once otherwise. The package calls it from its init function, so any
// program importing verify — whittle and its test binaries — can serve as
// the helper; it runs before main. In the helper it never returns: it sets
// up the root, drops privileges and executes the command, or reports
// why it could not on the status pipe and exits 127.
func Init() {
	raw, ok := os.LookupEnv(initEnv)
	if !ok {
		return
	}
	status := os.NewFile(3, "status")
	err := func() error {
		var sp spec
		if err := json.Unmarshal([]byte(raw), &sp); err != nil {
			return err
		}
		return enterSandbox(sp)
	}()
	// Only reached on failure: the exec replaced the process otherwise.
	fmt.Fprintf(status, "%v", err)
	os.Exit(127)
}

func init() { Init() }

// runNamespaces runs sp in new mount, PID, network, UTS and IPC
// namespaces: this program re-executed as the helper (Init), which
// pivots into the root, mounts /proc, a minimal /dev and, when the image
// has none, /tmp, brings up loopback, drops capabilities and privileges,
// and executes the command.
func runNamespaces(ctx context.Context, sp spec, stdout, stderr io.Writer) (int, error) {
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
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.ExtraFiles = []*os.File{pw}
	cmd.WaitDelay = waitDelay
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC,
		Pdeathsig:  syscall.SIGKILL,
		Setsid:     true,
	}
	if sp.launch != nil {
		sp.launch(cmd)
	}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return 0, fmt.Errorf("starting the namespace sandbox: %w", err)
	}
	pw.Close()
	msg, _ := io.ReadAll(pr) // empty when the exec succeeded (close-on-exec)
	werr := cmd.Wait()
	if ctx.Err() != nil {
		return -1, nil
	}
	if len(msg) > 0 {
		return 0, fmt.Errorf("setting up the namespace sandbox: %s", msg)
	}
	var ee *exec.ExitError
	switch {
	case werr == nil:
		return 0, nil
	case errors.As(werr, &ee):
		return ee.ExitCode(), nil
	}
	return 0, werr
}

// enterSandbox runs in the helper, as PID 1 of its new namespaces.
func enterSandbox(sp spec) error {
	unix.CloseOnExec(3)
	// Nothing mounted here may reach the host's mount namespace.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	// pivot_root, not chroot: a root process cannot climb out of it.
	if err := unix.Mount(sp.Root, sp.Root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("binding the root: %w", err)
	}
	if err := unix.Chdir(sp.Root); err != nil {
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
	if err := makeDev(); err != nil {
		return err
	}
	if sp.HostTmp {
		if err := mountAt("/tmp", "tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777"); err != nil {
			return err
		}
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
	if err := dropCapabilities(); err != nil {
		return err
	}
	if err := syscall.Setgroups(sp.Groups); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setgid(sp.GID); err != nil {
		return fmt.Errorf("setgid %d: %w", sp.GID, err)
	}
	if err := syscall.Setuid(sp.UID); err != nil {
		return fmt.Errorf("setuid %d: %w", sp.UID, err)
	}
	if err := syscall.Exec(sp.Exe, sp.Argv, sp.Env); err != nil {
		return fmt.Errorf("executing %s: %w", sp.Exe, err)
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
// harmless character devices, the standard links, shm and pts.
func makeDev() error {
	if err := mountAt("/dev", "tmpfs", "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=0755"); err != nil {
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

// dropCapabilities removes from the bounding set every capability but
// Docker's defaults (without CAP_MKNOD), so that root in the sandbox gets
// no more after exec. Setuid to another user drops the rest.
func dropCapabilities() error {
	keep := map[string]bool{}
	for _, c := range dockerCaps {
		keep[strings.ToLower(strings.TrimPrefix(c, "CAP_"))] = true
	}
	for c := 0; c <= unix.CAP_LAST_CAP; c++ {
		if c < len(capNames) && keep[capNames[c]] {
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

// capNames are the capabilities' names by number, as capabilities(7).
var capNames = []string{
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
	"linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
	"sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
	"sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
	"mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",
	"checkpoint_restore",
}
