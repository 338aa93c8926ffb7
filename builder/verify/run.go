package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"strings"
	"sync"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle-dev/whittle/internal/imagefs"
)

// Sandbox chooses how commands are isolated.
type Sandbox int

const (
	// SandboxAuto uses bubblewrap when it is installed, else namespaces.
	SandboxAuto Sandbox = iota
	// SandboxBwrap uses bubblewrap (bwrap on PATH); an error without it.
	SandboxBwrap
	// SandboxNamespaces uses Linux namespaces and pivot_root set up by
	// this package (it needs root, and Init at the start of main).
	SandboxNamespaces
)

// String names the sandbox.
func (s Sandbox) String() string {
	switch s {
	case SandboxBwrap:
		return "bwrap"
	case SandboxNamespaces:
		return "namespaces"
	}
	return "auto"
}

// Defaults of Options.
const (
	DefaultTimeout     = 5 * time.Minute
	DefaultOutputLimit = 64 << 10
	// DefaultPath is the PATH a config without one runs with, as Docker's.
	DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// Options tune Run and Verify.
type Options struct {
	Sandbox Sandbox
	// Timeout bounds each command (DefaultTimeout when 0).
	Timeout time.Duration
	// OutputLimit is how many bytes of a command's output are kept, the
	// last ones (DefaultOutputLimit when 0).
	OutputLimit int
	// Dir is the directory in which Verify makes its private directory
	// for the unpacked tree ("" for the system's temporary directory).
	// The private directory is removed afterwards; Dir is left as it was.
	Dir string
	// Limits bound each command's processes, memory and written bytes.
	Limits Limits
	// Started, when set, is called as each command starts.
	Started func(argv []string)
	// SeparateOutput keeps stdout and stderr apart too (Result.Stdout and
	// Result.Stderr); Output is then their merge in the order whittle
	// read them, which may differ from the order they were written.
	SeparateOutput bool
	// Launch, when set, is given the sandbox's helper process before it
	// starts and may change how it is started (Learn starts it under a
	// tracer). launcherExecs is how many programs the helper's line
	// executes before the command (1 for bwrap, 0 for the namespace
	// sandbox), none of them the command's.
	Launch func(cmd *exec.Cmd, launcherExecs int)
}

// Result is what one command did.
type Result struct {
	Argv []string
	// ExitCode is the command's exit status: 128 + the signal when a
	// signal killed it (137 for the memory limit's SIGKILL), as Docker
	// says; 127 not found, 126 not executable; -1 when it timed out.
	ExitCode int
	// Output is the end of what the command wrote to stdout and stderr,
	// interleaved as written; Truncated says when earlier output was cut.
	Output    []byte
	Truncated bool
	// Stdout and Stderr are the ends of each stream, with
	// Options.SeparateOutput (each limited to OutputLimit).
	Stdout, Stderr []byte
	// Passed is true when the command exited with status 0.
	Passed   bool
	Duration time.Duration
	// Err says why a command failed without an exit status of its own
	// (not found in the image, timed out, killed by a signal); nil otherwise.
	Err error
	// Sandbox is the sandbox the command ran in.
	Sandbox Sandbox
}

// ErrNotFound is in a Result's Err when the command is not in the image.
var ErrNotFound = errors.New("not found in the image")

// spec is a command ready to run in a sandbox: everything resolved. It
// is handed to the helper process as JSON.
type spec struct {
	Root   string   // the unpacked root on the host
	Exe    string   // the program's path inside the root
	Argv   []string // argv, argv[0] as given
	Env    []string
	Dir    string // working directory inside the root
	UID    int
	GID    int
	Groups []int
	// Cgroups are the directories of the command's control group.
	Cgroups []string
	// Rlimits are the limits no cgroup or overlay enforces.
	Rlimits rlimits
	// Disk > 0: the command's writes go to an overlay over Root whose
	// upper layer is a tmpfs of Disk bytes.
	Disk int64
	// UserNS: the helper runs in a user namespace (userns.go).
	UserNS bool
	// Bwrap is set when the helper executes bubblewrap.
	Bwrap *bwrapSpec

	launch func(*exec.Cmd, int) // Options.Launch
}

// Run runs argv inside the root file system at root (as Unpack wrote it)
// as the image config cfg says — its Env (PATH finds the program, in the
// image; PATH, HOSTNAME and HOME added as Docker adds them), WorkingDir
// (created when missing, as runc does) and User (resolved through the
// image's /etc/passwd and /etc/group) — in the sandbox opts chooses,
// contained as runc's defaults contain a container (see the package doc)
// and within opts.Limits. Each command starts from the tree as it is:
// what it writes goes to a layer of its own, discarded when it ends (as
// root; without root the tree itself is written). The error is for what
// stops any command from running (an unknown user, no usable sandbox);
// what the command itself did, including not being found or not being
// executable, is in the Result.
func Run(ctx context.Context, root string, cfg v1.Config, argv []string, opts Options) (Result, error) {
	res := Result{Argv: argv, ExitCode: -1}
	if len(argv) == 0 {
		return res, errors.New("no command to run")
	}
	sb, err := chooseSandbox(opts.Sandbox)
	if err != nil {
		return res, err
	}
	res.Sandbox = sb
	r, err := os.OpenRoot(root)
	if err != nil {
		return res, err
	}
	defer r.Close()
	fsys := r.FS()
	u, err := ResolveUser(fsys, cfg.User)
	if err != nil {
		return res, err
	}
	sp := spec{Root: root, Argv: argv, UID: u.UID, GID: u.GID, Groups: u.Groups}
	sp.Env = environment(cfg.Env, u.Home)
	sp.Dir = path.Clean("/" + cfg.WorkingDir)
	if err := ensureDir(r, fsys, sp.Dir); err != nil {
		res.Err = err
		return res, nil
	}
	// The sandbox mounts /proc and /dev over directories the image may
	// lack (minimal images often do), as runc makes them; a sandbox
	// running as the image's user could not create them in a root-owned
	// root. /tmp is the image's or none, as in a container.
	for _, mp := range []string{"/proc", "/dev"} {
		if err := ensureDir(r, fsys, mp); err != nil {
			return res, fmt.Errorf("preparing %s: %w", mp, err)
		}
	}
	exe, err := lookPath(fsys, argv[0], getenv(sp.Env, "PATH"), sp.Dir)
	if err != nil {
		res.ExitCode, res.Err = 127, err
		res.Output = []byte(fmt.Sprintf("%s: %v\n", argv[0], err))
		return res, nil
	}
	sp.Exe = exe
	sp.launch = opts.Launch
	{
		// bwrap executes with execvp, which runs a file the kernel
		// refuses (ENOEXEC) with /bin/sh; a container runtime does not.
		// (The namespace sandbox executes with execve, and would say the
		// same; checked here, both give the same Result.)
		if err := checkExecutable(fsys, exe); err != nil {
			res.ExitCode, res.Err = 126, err
			res.Output = []byte(fmt.Sprintf("exec %s: %v\n", exe, err))
			return res, nil
		}
	}

	limits := opts.Limits.withDefaults()
	cg := newCgroup(limits)
	defer cg.remove()
	if cg != nil {
		sp.Cgroups = cg.dirs
	}
	if limits.Pids > 0 && (cg == nil || !cg.pids) {
		sp.Rlimits.NProc = uint64(limits.Pids)
	}
	if limits.Memory > 0 && (cg == nil || !cg.memory) {
		sp.Rlimits.AS = uint64(limits.Memory)
	}
	if limits.Disk > 0 {
		if os.Geteuid() == 0 {
			sp.Disk = limits.Disk
		} else {
			sp.Rlimits.FSize = uint64(limits.Disk)
		}
	}

	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	limit := opts.OutputLimit
	if limit <= 0 {
		limit = DefaultOutputLimit
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out := &tail{limit: limit}
	var stdout, stderr io.Writer = out, out
	var so, se *tail
	if opts.SeparateOutput {
		so, se = &tail{limit: limit}, &tail{limit: limit}
		stdout, stderr = io.MultiWriter(out, so), io.MultiWriter(out, se)
	}
	if opts.Started != nil {
		opts.Started(argv)
	}
	start := time.Now()
	var code int
	switch sb {
	case SandboxBwrap:
		code, err = runBwrap(ctx, sp, stdout, stderr)
	default:
		code, err = runNamespaces(ctx, sp, stdout, stderr)
	}
	res.Duration = time.Since(start)
	res.Output, res.Truncated = out.bytes()
	if so != nil {
		res.Stdout, _ = so.bytes()
		res.Stderr, _ = se.bytes()
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		res.Err = fmt.Errorf("timed out after %v", timeout)
		return res, nil
	case ctx.Err() != nil:
		return res, ctx.Err()
	case err != nil:
		return res, err
	}
	res.ExitCode = code
	if code > 128 && code <= 128+64 {
		res.Err = fmt.Errorf("killed by signal %d (%v)", code-128, syscall.Signal(code-128))
	}
	res.Passed = code == 0
	return res, nil
}

// ErrExecFormat is in a Result's Err when the kernel cannot execute the
// command's file (neither a binary nor a script with #!).
var ErrExecFormat = errors.New("exec format error")

// checkExecutable fails with ErrExecFormat when the file at exe in the
// image starts neither with an ELF header nor with #!.
func checkExecutable(fsys fs.FS, exe string) error {
	f, err := imagefs.Open(fsys, exe)
	if err != nil {
		return nil // the sandbox will say
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if bytes.HasPrefix(head, []byte("\x7fELF")) || bytes.HasPrefix(head, []byte("#!")) {
		return nil
	}
	return ErrExecFormat
}

// chooseSandbox resolves SandboxAuto and checks that the choice can run.
func chooseSandbox(s Sandbox) (Sandbox, error) {
	_, lookErr := exec.LookPath("bwrap")
	switch s {
	case SandboxAuto:
		if lookErr == nil {
			return SandboxBwrap, nil
		}
		if os.Geteuid() != 0 {
			return s, errors.New("running commands in a sandbox needs bubblewrap (bwrap) or root")
		}
		return SandboxNamespaces, nil
	case SandboxBwrap:
		if lookErr != nil {
			return s, errors.New("bubblewrap (bwrap) is not installed")
		}
	case SandboxNamespaces:
		if os.Geteuid() != 0 {
			return s, errors.New("the namespace sandbox needs root; install bubblewrap (bwrap)")
		}
	default:
		return s, fmt.Errorf("unknown sandbox %d", s)
	}
	return s, nil
}

// environment is the command's environment as Docker makes it: PATH (its
// default) and HOSTNAME first, replaced by the config's Env where it has
// them, then the rest of the config's Env in order, then HOME from the
// user's passwd entry when no one set it (runc's rule).
func environment(env []string, home string) []string {
	out := []string{"PATH=" + DefaultPath, "HOSTNAME=" + hostname}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, o := range out {
			if ok, _, _ := strings.Cut(o, "="); ok == k {
				out[i], replaced = kv, true
				break
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	if !hasKey(out, "HOME") {
		out = append(out, "HOME="+home)
	}
	return out
}

func hasKey(env []string, key string) bool {
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			return true
		}
	}
	return false
}

// getenv returns the last value of key in env.
func getenv(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, _ := strings.Cut(kv, "="); k == key {
			v = val
		}
	}
	return v
}

// ensureDir makes sure the working directory exists in the root, creating
// it (confined to the root) when missing, as Docker does.
func ensureDir(r *os.Root, fsys fs.FS, dir string) error {
	_, info, err := imagefs.Stat(fsys, dir)
	switch {
	case err == nil && info.IsDir():
		return nil
	case err == nil:
		return fmt.Errorf("working directory %s: not a directory", dir)
	case errors.Is(err, fs.ErrNotExist):
		if err := r.MkdirAll(rel(dir), 0o755); err != nil {
			return fmt.Errorf("working directory %s: %w", dir, err)
		}
		return nil
	}
	return fmt.Errorf("working directory %s: %w", dir, err)
}

// lookPath finds a program in the image as execvp would: a name with a
// slash as it is (relative to dir), else the first executable regular
// file in PATH's directories. It returns the path to execute inside the
// root, symlinks left for the kernel to follow there.
func lookPath(fsys fs.FS, name, pathEnv, dir string) (string, error) {
	var candidates []string
	switch {
	case strings.HasPrefix(name, "/"):
		candidates = []string{path.Clean(name)}
	case strings.Contains(name, "/"):
		candidates = []string{path.Join(dir, name)}
	default:
		for _, d := range strings.Split(pathEnv, ":") {
			if d == "" {
				d = "."
			}
			if !path.IsAbs(d) {
				d = path.Join(dir, d)
			}
			candidates = append(candidates, path.Join(d, name))
		}
	}
	for _, c := range candidates {
		if _, info, err := imagefs.Stat(fsys, c); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			return c, nil
		}
	}
	if strings.Contains(name, "/") {
		return "", fmt.Errorf("%w (no executable file at %s)", ErrNotFound, candidates[0])
	}
	return "", fmt.Errorf("%w (not in PATH=%s)", ErrNotFound, pathEnv)
}

// tail keeps the last limit bytes written to it.
type tail struct {
	mu        sync.Mutex
	limit     int
	buf       []byte
	truncated bool
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if len(p) >= t.limit {
		t.truncated = t.truncated || len(p) > t.limit || len(t.buf) > 0
		t.buf = append(t.buf[:0], p[len(p)-t.limit:]...)
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.limit; over > 0 {
		t.truncated = true
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

func (t *tail) bytes() ([]byte, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.buf...), t.truncated
}
