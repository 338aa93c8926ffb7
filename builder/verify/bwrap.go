package verify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
// set without CAP_MKNOD (no device cgroup guards the host's devices here).
var dockerCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID",
	"CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_AUDIT_WRITE", "CAP_SETFCAP",
}

// hostname is the sandbox's host name.
const hostname = "whittle-verify"

// waitDelay bounds how long output pipes are drained after the sandbox
// exits or is killed.
const waitDelay = 2 * time.Second

// bwrapArgs are bubblewrap's arguments for sp. As root (the usual case)
// bwrap runs privileged with no user namespace, so owners inside are the
// image's, and the command runs as the image's user: for root with
// Docker's capabilities, for another user by starting bwrap as that user
// (see runBwrap). Without root, another user is only a mapping in a user
// namespace.
func bwrapArgs(sp spec, statusFD int) []string {
	args := []string{
		"--die-with-parent", "--new-session",
		"--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
		"--hostname", hostname,
		// bwrap runs as the image's user when that is not root: the
		// directory's path must be reachable by it (Unpack's temporary
		// directories are).
		"--bind", sp.Root, "/",
		"--proc", "/proc",
		"--dev", "/dev",
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
	if sp.HostTmp {
		args = append(args, "--tmpfs", "/tmp")
	}
	args = append(args, "--chdir", sp.Dir, "--clearenv")
	for _, kv := range sp.Env {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			continue
		}
		args = append(args, "--setenv", k, v)
	}
	args = append(args, "--json-status-fd", strconv.Itoa(statusFD))
	if bwrapHasArgv0() {
		args = append(args, "--argv0", sp.Argv[0])
	}
	args = append(args, "--", sp.Exe)
	return append(args, sp.Argv[1:]...)
}

// bwrapHasArgv0 reports whether the installed bwrap can set the
// command's argv[0] (0.9 and later); older ones give it the path found in
// PATH, whose last component is the name asked for.
var bwrapHasArgv0 = sync.OnceValue(func() bool {
	out, _ := exec.Command("bwrap", "--help").CombinedOutput()
	return bytes.Contains(out, []byte("--argv0"))
})

// runBwrap runs sp under bubblewrap, its output into out, and returns the
// command's exit status (-1 for a signal). bwrap reports the status on a
// pipe, so a sandbox that could not start is an error, not a failed
// command.
func runBwrap(ctx context.Context, sp spec, stdout, stderr io.Writer) (int, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer pr.Close()
	cmd := exec.CommandContext(ctx, "bwrap", bwrapArgs(sp, 3)...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.ExtraFiles = []*os.File{pw}
	cmd.Env = []string{}
	cmd.WaitDelay = waitDelay
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() == 0 && sp.UID != 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(sp.UID), Gid: uint32(sp.GID), Groups: uint32s(sp.Groups)}
	}
	if sp.launch != nil {
		sp.launch(cmd)
	}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return 0, fmt.Errorf("starting bwrap: %w", err)
	}
	pw.Close()
	code, reported := -1, false
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		var st struct {
			ExitCode *int `json:"exit-code"`
		}
		if json.Unmarshal(sc.Bytes(), &st) == nil && st.ExitCode != nil {
			code, reported = *st.ExitCode, true
		}
	}
	werr := cmd.Wait()
	if ctx.Err() != nil {
		return -1, nil
	}
	if !reported {
		var ee *exec.ExitError
		if errors.As(werr, &ee) || werr == nil {
			return 0, errors.New("bwrap could not set up the sandbox (see the output)")
		}
		return 0, fmt.Errorf("bwrap: %w", werr)
	}
	return code, nil
}

func uint32s(ids []int) []uint32 {
	out := make([]uint32, len(ids))
	for i, id := range ids {
		out[i] = uint32(id)
	}
	return out
}
