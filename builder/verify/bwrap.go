package verify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// dockerCaps are the capabilities a root command keeps: Docker's default
// set, as the effective, permitted and bounding set. CAP_MKNOD is among
// them, as in Docker: the root is mounted nodev, so a node made there
// opens nothing.
var dockerCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
	"CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
	"CAP_AUDIT_WRITE",
}

// hostname is the sandbox's host name.
const hostname = "whittle-verify"

// waitDelay bounds how long output pipes are drained after the sandbox
// exits or is killed.
const waitDelay = 2 * time.Second

// rootArg stands in bwrap's arguments for the root, which the helper
// prepares.
const rootArg = "{root}"

// bwrapSpec is what the helper needs to execute bubblewrap.
type bwrapSpec struct {
	Path string
	Args []string
	// AsUser: the helper becomes the image's user before executing bwrap.
	AsUser bool
}

// bwrapStatusFD is where bwrap writes its JSON status, in the helper and
// in bwrap.
const bwrapStatusFD = 4

// bwrapArgs are bubblewrap's arguments for sp. As root (the usual case)
// bwrap runs privileged with no user namespace, so owners inside are the
// image's, and the command runs as the image's user: for root with
// Docker's capabilities, for another user by starting bwrap as that user
// (the helper drops to it). Without root, another user is only a mapping
// in a user namespace. bwrap always sets no_new_privs and mounts what it
// binds nosuid and nodev.
func bwrapArgs(sp spec) []string {
	args := []string{
		"--die-with-parent", "--new-session",
		"--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
		"--hostname", hostname,
		"--bind", rootArg, "/",
		"--proc", "/proc",
		"--dev", "/dev",
	}
	// runc's read-only and masked paths of /proc (the host's /proc says
	// which exist: the kernel is the same).
	for _, p := range readOnlyProc {
		if _, err := os.Lstat(p); err == nil {
			args = append(args, "--ro-bind", p, p)
		}
	}
	for _, p := range maskedProc {
		fi, err := os.Lstat(p)
		switch {
		case err != nil:
		case fi.IsDir():
			args = append(args, "--size", "4096", "--tmpfs", p, "--remount-ro", p)
		default:
			args = append(args, "--dev-bind", "/dev/null", p, "--remount-ro", p)
		}
	}
	switch euid := os.Geteuid(); {
	case euid == 0 && sp.UID == 0:
		args = append(args, "--cap-drop", "ALL")
		for _, c := range dockerCaps {
			args = append(args, "--cap-add", c)
		}
	case euid == 0:
		// bwrap runs as the user; it needs a user namespace to mount.
		args = append(args, "--unshare-user")
	case sp.UID != euid || sp.GID != os.Getegid():
		args = append(args, "--unshare-user", "--uid", strconv.Itoa(sp.UID), "--gid", strconv.Itoa(sp.GID))
	default:
		args = append(args, "--unshare-user-try")
	}
	args = append(args, "--chdir", sp.Dir, "--clearenv")
	for _, kv := range sp.Env {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			continue
		}
		args = append(args, "--setenv", k, v)
	}
	args = append(args, "--json-status-fd", strconv.Itoa(bwrapStatusFD))
	// bwrap 0.8 cannot set argv[0]; it gives the path found in PATH,
	// whose last component is the name asked for.
	if bwrapHasArgv0() {
		args = append(args, "--argv0", sp.Argv[0])
	}
	args = append(args, "--", sp.Exe)
	return append(args, sp.Argv[1:]...)
}

// runBwrap runs sp under bubblewrap, started by the helper (which joins
// the cgroup, sets the rlimits and, as root, prepares the root in a mount
// namespace of its own), its output into stdout and stderr, and returns the command's
// exit status (128 + the signal for a signal). bwrap reports the status on a pipe, so a
// sandbox that could not start is an error, not a failed command.
func runBwrap(ctx context.Context, sp spec, stdout, stderr io.Writer) (int, error) {
	path, err := exec.LookPath("bwrap")
	if err != nil {
		return 0, err
	}
	sp.Bwrap = &bwrapSpec{Path: path, Args: bwrapArgs(sp), AsUser: os.Geteuid() == 0 && sp.UID != 0}
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer pr.Close()
	var clone uintptr
	if os.Geteuid() == 0 {
		clone = syscall.CLONE_NEWNS
	}
	code, reported := -1, false
	done := make(chan struct{})
	hcode, herr := runHelper(ctx, sp, clone, stdout, stderr, []*os.File{pw}, func(int) error {
		pw.Close()
		go func() {
			defer close(done)
			sc := bufio.NewScanner(pr)
			for sc.Scan() {
				var st struct {
					ExitCode *int `json:"exit-code"`
				}
				if json.Unmarshal(sc.Bytes(), &st) == nil && st.ExitCode != nil {
					code, reported = *st.ExitCode, true
				}
			}
		}()
		return nil
	})
	if herr != nil {
		pw.Close()
		return 0, herr
	}
	<-done
	if ctx.Err() != nil {
		return -1, nil
	}
	if !reported {
		if hcode > 128 {
			return hcode, nil // bwrap itself was killed
		}
		return 0, errors.New("bwrap could not set up the sandbox (see the output)")
	}
	return code, nil
}

// bwrapHasArgv0 reports whether the installed bwrap can set the
// command's argv[0] (0.9 and later).
var bwrapHasArgv0 = sync.OnceValue(func() bool {
	out, _ := exec.Command("bwrap", "--help").CombinedOutput()
	return bytes.Contains(out, []byte("--argv0"))
})
