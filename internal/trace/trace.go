// Package trace follows a process and all its descendants with ptrace
// (no tool to install, no Docker) and records the file paths they open,
// execute, stat, test, read as links, change into or list: the honest
// record of what a command needs from its file system. Paths are made
// absolute against the tracee's working directory or the directory file
// descriptor the call names, as the tracee sees them (its root, not the
// tracer's), and kept lexically as named: symlinks on the way are left
// for the caller to resolve in the image.
package trace

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Op is how a path was touched.
type Op string

// Operations, from the strongest need to the weakest.
const (
	Exec  Op = "exec"  // executed (execve, execveat)
	Open  Op = "open"  // opened (open, openat, openat2, creat)
	List  Op = "list"  // listed (getdents on a directory descriptor)
	Chdir Op = "chdir" // made the working directory
	Link  Op = "readlink"
	Stat  Op = "stat" // stat, lstat, statx, access and the like
)

// rank orders operations: a path's recorded operation is its strongest.
var rank = map[Op]int{Exec: 6, Open: 5, List: 4, Chdir: 3, Link: 2, Stat: 1}

// Access is one path touched: the strongest way it was, and the command
// line of the process that first touched it that way.
type Access struct {
	Path string   `json:"path"`
	Op   Op       `json:"op"`
	By   []string `json:"by"`
}

// Options tune Start.
type Options struct {
	// Launcher, when set, says the program started is a launcher (a
	// sandbox) whose own file accesses are not the command's: nothing is
	// recorded from a process until it executes a program after the
	// launcher's start; its descendants are then recorded too. When the
	// launcher's first process exits, the processes left are killed (the
	// launcher is a sandbox's init, or starts it).
	Launcher bool
	// LauncherExecs, with Launcher, is how many programs the launcher's
	// line executes before the command (a helper that executes the
	// sandbox proper): those executions do not start recording.
	LauncherExecs int
	// Env, Dir and Files are the process's environment, working
	// directory and extra files (from descriptor 3), as in os.ProcAttr.
	Env   []string
	Dir   string
	Files []*os.File
	// Stdin, Stdout and Stderr are the first three descriptors (nil: none).
	Stdin, Stdout, Stderr *os.File
	// Credential runs the process as another user.
	Credential *syscall.Credential
	// Kill, when closed, kills every traced process (SIGKILL); Run then
	// returns what they touched until then.
	Kill <-chan struct{}
	// argv0 is the first process's argv[0] when not its path (Wrap).
	argv0 string
}

// Result is what a traced run did.
type Result struct {
	// Accesses are the paths touched, sorted by path.
	Accesses []Access
	// Status is the first process's wait status.
	Status syscall.WaitStatus
}

// Run starts argv[0] (a path) with argv under ptrace and follows it and
// every process it starts (fork, vfork, clone, exec) until all have
// exited, recording the paths they touch. The error is for what stops the
// trace (the program cannot start, ptrace is not permitted); what the
// program did is in the Result.
func Run(argv []string, opts Options) (*Result, error) {
	if len(argv) == 0 {
		return nil, errors.New("no command to trace")
	}
	// Every ptrace request must come from the thread that started the
	// tracee; this goroutine keeps it and gives it up by exiting.
	type out struct {
		r   *Result
		err error
	}
	ch := make(chan out, 1)
	go func() {
		runtime.LockOSThread()
		r, err := run(argv, opts)
		ch <- out{r, err}
	}()
	o := <-ch
	return o.r, o.err
}

func devNull() *os.File {
	f, err := os.Open(os.DevNull)
	if err != nil {
		return nil
	}
	return f
}

// proc is what the tracer knows of one traced thread.
type proc struct {
	recording bool
	// skip is how many of the launcher's executions are still to come
	// (Options.LauncherExecs).
	skip int
	// attached is set by the parent's event until the new thread's
	// first stop (a SIGSTOP of the kernel's, not to be delivered).
	attached bool
	// execPath is the path an execve entry named, committed when the
	// exec succeeds.
	execPath string
	argv     []string
}

type tracer struct {
	procs map[int]*proc
	// live are the traced threads, for Options.Kill (another goroutine).
	mu   sync.Mutex
	live map[int]bool
	// held are new threads that stopped before their parent's event
	// named them: they wait for it, so that they inherit its recording.
	held map[int]bool
	seen map[string]Access
	opts Options
}

const traceOptions = unix.PTRACE_O_TRACESYSGOOD | unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK |
	unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACEEXEC | unix.PTRACE_O_EXITKILL

func run(argv []string, opts Options) (*Result, error) {
	files := []*os.File{opts.Stdin, opts.Stdout, opts.Stderr}
	var closers []*os.File
	for i, f := range files {
		if f == nil {
			f = devNull()
			files[i] = f
			closers = append(closers, f)
		}
	}
	defer func() {
		for _, f := range closers {
			f.Close()
		}
	}()
	fds := make([]uintptr, 0, 3+len(opts.Files))
	for _, f := range append(files, opts.Files...) {
		fds = append(fds, f.Fd())
	}
	attr := &syscall.ProcAttr{Dir: opts.Dir, Env: opts.Env, Files: fds, Sys: &syscall.SysProcAttr{
		Ptrace: true, Credential: opts.Credential, Pdeathsig: syscall.SIGKILL,
	}}
	if attr.Env == nil {
		attr.Env = []string{}
	}
	args := argv
	if opts.argv0 != "" {
		args = append([]string{opts.argv0}, argv[1:]...)
	}
	pid, err := syscall.ForkExec(argv[0], args, attr)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	t := &tracer{procs: map[int]*proc{}, held: map[int]bool{}, seen: map[string]Access{}, opts: opts, live: map[int]bool{pid: true}}
	if opts.Kill != nil {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-opts.Kill:
				t.mu.Lock()
				for p := range t.live {
					unix.Kill(p, unix.SIGKILL)
				}
				t.mu.Unlock()
			case <-done:
			}
		}()
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, unix.WALL, nil); err != nil {
		return nil, fmt.Errorf("waiting for %s: %w", argv[0], err)
	}
	if !ws.Stopped() {
		return nil, fmt.Errorf("starting %s: it did not stop for the tracer", argv[0])
	}
	if err := unix.PtraceSetOptions(pid, traceOptions); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		return nil, fmt.Errorf("tracing %s: %w", argv[0], err)
	}
	first := &proc{recording: !opts.Launcher}
	if opts.Launcher {
		first.skip = opts.LauncherExecs
	}
	t.procs[pid] = first
	if first.recording {
		first.argv = cmdline(pid)
		t.record(pid, first, Exec, t.absolute(pid, unix.AT_FDCWD, argv[0]))
	}
	if err := unix.PtraceSyscall(pid, 0); err != nil {
		return nil, fmt.Errorf("tracing %s: %w", argv[0], err)
	}
	res := &Result{}
	// ended: a launcher's first process (the sandbox's init, or what
	// executes the sandbox) has exited; the sandbox ends with it, as a
	// PID namespace does with its init, though the tracer took the
	// init's place: what is left is killed.
	ended := false
	for {
		wpid, err := unix.Wait4(-1, &ws, unix.WALL, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.ECHILD) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("waiting for traced processes: %w", err)
		}
		if ws.Exited() || ws.Signaled() {
			if wpid == pid {
				res.Status = syscall.WaitStatus(ws)
				if opts.Launcher {
					ended = true
					t.mu.Lock()
					for p := range t.live {
						unix.Kill(p, unix.SIGKILL)
					}
					t.mu.Unlock()
				}
			}
			delete(t.procs, wpid)
			t.mu.Lock()
			delete(t.live, wpid)
			t.mu.Unlock()
			continue
		}
		t.mu.Lock()
		t.live[wpid] = true
		t.mu.Unlock()
		if !ws.Stopped() {
			continue
		}
		if ended {
			unix.Kill(wpid, unix.SIGKILL)
			continue
		}
		t.stopped(wpid, ws)
	}
	for _, a := range t.seen {
		res.Accesses = append(res.Accesses, a)
	}
	slices.SortFunc(res.Accesses, func(a, b Access) int { return strings.Compare(a.Path, b.Path) })
	return res, nil
}

// stopped handles one stop of a traced thread and resumes it (unless it
// is held for its parent's event).
func (t *tracer) stopped(pid int, ws unix.WaitStatus) {
	sig := ws.StopSignal()
	p, known := t.procs[pid]
	if !known {
		// A new thread's first stop, before its parent's event: hold it.
		t.procs[pid] = &proc{}
		if sig == unix.SIGSTOP {
			t.held[pid] = true
			return
		}
		p = t.procs[pid]
	}
	inject := 0
	switch {
	case sig == unix.SIGTRAP|0x80:
		t.syscallStop(pid, p)
	case sig == unix.SIGTRAP && ws.TrapCause() > 0:
		t.event(pid, p, ws.TrapCause())
	case sig == unix.SIGTRAP:
	case sig == unix.SIGSTOP && p.attached:
		p.attached = false
	default:
		inject = int(sig)
	}
	unix.PtraceSyscall(pid, inject)
}

// event handles fork, vfork, clone and exec events.
func (t *tracer) event(pid int, p *proc, cause int) {
	switch cause {
	case unix.PTRACE_EVENT_FORK, unix.PTRACE_EVENT_VFORK, unix.PTRACE_EVENT_CLONE:
		msg, err := unix.PtraceGetEventMsg(pid)
		if err != nil {
			return
		}
		child := int(msg)
		c, ok := t.procs[child]
		if !ok {
			c = &proc{attached: true} // its first stop is still to come
			t.procs[child] = c
		}
		c.recording, c.argv, c.skip = p.recording, p.argv, p.skip
		if t.held[child] {
			delete(t.held, child)
			unix.PtraceSyscall(child, 0)
		}
	case unix.PTRACE_EVENT_EXEC:
		// A multi-threaded process's exec takes the leader's id: the
		// state of the thread that called it moves there.
		if msg, err := unix.PtraceGetEventMsg(pid); err == nil && int(msg) != pid {
			if old, ok := t.procs[int(msg)]; ok {
				p.execPath = old.execPath
				p.recording = p.recording || old.recording
				p.skip = old.skip
				delete(t.procs, int(msg))
			}
		}
		if !p.recording && p.skip > 0 {
			p.skip-- // the launcher executing its next stage
			p.execPath = ""
			return
		}
		p.recording = true
		p.argv = cmdline(pid)
		if p.execPath != "" {
			t.record(pid, p, Exec, p.execPath)
			p.execPath = ""
		}
		// The program the kernel loaded: a script's interpreter, the
		// target of a symlink executed.
		if exe := t.procPath(pid, "exe"); exe != "" {
			t.record(pid, p, Exec, exe)
		}
	}
}

// syscallStop reads a system call's path arguments at its entry.
func (t *tracer) syscallStop(pid int, p *proc) {
	// The kernel says whether this is an entry or an exit: no counting
	// of stops, which exec and signals would upset.
	info, ok := syscallInfo(pid)
	if !ok || info.op != opEntry {
		return
	}
	if info.arch != nativeArch {
		return
	}
	call, ok := calls[info.nr]
	if !ok {
		return
	}
	if !p.recording && call.op != Exec {
		return
	}
	var abs string
	switch {
	case call.fdArg >= 0 && call.pathArg < 0: // getdents: a descriptor only
		abs = t.fdPath(pid, int(int32(info.args[call.fdArg])))
	default:
		name, err := readString(pid, uintptr(info.args[call.pathArg]))
		if err != nil {
			return
		}
		dirfd := unix.AT_FDCWD
		if call.fdArg >= 0 {
			dirfd = int(int32(info.args[call.fdArg]))
		}
		if name == "" {
			abs = t.fdPath(pid, dirfd) // AT_EMPTY_PATH: the descriptor itself
		} else {
			abs = t.absolute(pid, dirfd, name)
		}
	}
	if abs == "" {
		return
	}
	if call.op == Exec && !p.recording {
		p.execPath = abs // recorded when the exec succeeds
		return
	}
	if call.op == Exec {
		p.execPath = abs
	}
	t.record(pid, p, call.op, abs)
}

func (t *tracer) record(pid int, p *proc, op Op, abs string) {
	if old, ok := t.seen[abs]; ok && rank[old.Op] >= rank[op] {
		return
	}
	t.seen[abs] = Access{Path: abs, Op: op, By: p.argv}
}

// absolute makes name absolute against the directory of dirfd (AT_FDCWD:
// the working directory), as the tracee sees its file system.
func (t *tracer) absolute(pid, dirfd int, name string) string {
	if strings.HasPrefix(name, "/") {
		return path.Clean(name)
	}
	base := t.fdPath(pid, dirfd)
	if base == "" {
		return ""
	}
	return path.Join(base, name)
}

// fdPath is the path of a tracee's descriptor (AT_FDCWD: its working
// directory) inside its root: the kernel gives it from the tracer's root,
// so the tracee's root is cut off the front.
func (t *tracer) fdPath(pid, fd int) string {
	if fd == unix.AT_FDCWD {
		return t.procPath(pid, "cwd")
	}
	if fd < 0 {
		return ""
	}
	return t.procPath(pid, "fd/"+strconv.Itoa(fd))
}

// procPath reads the link /proc/PID/NAME as a path inside the tracee's
// root.
func (t *tracer) procPath(pid int, name string) string {
	p, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/" + name)
	if err != nil || !strings.HasPrefix(p, "/") {
		return "" // a pipe, a socket, an anonymous file
	}
	p = strings.TrimSuffix(p, " (deleted)")
	root, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/root")
	if err == nil && root != "/" {
		if p == root {
			return "/"
		}
		if rest, ok := strings.CutPrefix(p, root+"/"); ok {
			return "/" + rest
		}
	}
	return p
}

// cmdline is a process's argv.
func cmdline(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(string(bytes.TrimSuffix(b, []byte{0})), "\x00")
}

// readString reads a NUL-terminated string of at most PATH_MAX bytes
// from a tracee's memory.
func readString(pid int, addr uintptr) (string, error) {
	if addr == 0 {
		return "", errors.New("null pointer")
	}
	var out []byte
	page := uintptr(os.Getpagesize())
	for len(out) < unix.PathMax {
		n := page - addr%page // never cross into a page that may be unmapped
		buf := make([]byte, n)
		got, err := unix.ProcessVMReadv(pid, []unix.Iovec{{Base: &buf[0], Len: uint64(n)}},
			[]unix.RemoteIovec{{Base: addr, Len: int(n)}}, 0)
		if err != nil || got <= 0 {
			// process_vm_readv needs more than the tracer's rights in
			// some namespaces; PEEKDATA needs only the tracer's.
			got, err = unix.PtracePeekData(pid, addr, buf)
			if err != nil || got <= 0 {
				return "", fmt.Errorf("reading the tracee's memory: %w", err)
			}
		}
		buf = buf[:got]
		if i := bytes.IndexByte(buf, 0); i >= 0 {
			return string(append(out, buf[:i]...)), nil
		}
		out = append(out, buf...)
		addr += uintptr(got)
	}
	return "", errors.New("path too long")
}

// Values of ptrace_syscall_info.op.
const (
	opEntry = 1
	opExit  = 2
)

// sysInfo is struct ptrace_syscall_info, entry variant.
type sysInfo struct {
	op   uint8
	_    [3]uint8
	arch uint32
	ip   uint64
	sp   uint64
	nr   uint64
	args [6]uint64
	_    [8]uint64 // room for the other variants
}

// syscallInfo asks the kernel which system call a syscall stop is at
// (PTRACE_GET_SYSCALL_INFO, Linux 5.3): entry or exit, arch, number and
// arguments, the same on every architecture.
func syscallInfo(pid int) (sysInfo, bool) {
	var info sysInfo
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GET_SYSCALL_INFO, uintptr(pid),
		unsafe.Sizeof(info), uintptr(unsafe.Pointer(&info)), 0, 0)
	if errno != 0 {
		return info, false
	}
	return info, info.op == opEntry || info.op == opExit
}

// call says where a system call's path is: the argument holding the
// directory descriptor (-1: none, relative to the working directory) and
// the one holding the path (-1: none, the descriptor itself).
type call struct {
	fdArg, pathArg int
	op             Op
}

// Stronger reports whether a is a stronger need than b (exec over open
// over list, chdir, readlink and stat).
func Stronger(a, b Op) bool { return rank[a] > rank[b] }
