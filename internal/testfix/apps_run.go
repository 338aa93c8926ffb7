package testfix

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// SmokeOptions tune SmokeImage.
type SmokeOptions struct {
	// Probe makes the run a server's: start it, wait until 127.0.0.1:Port
	// accepts connections (at most ReadyTimeout), fetch the paths, stop it.
	Probe *Probe
	// Timeout bounds a command's run (default 2 minutes); ReadyTimeout a
	// server's start (default 60 seconds).
	Timeout, ReadyTimeout time.Duration
	// Trace, when set, is a file that receives `strace -f -e
	// trace=%file` of the run (see TracedPaths).
	Trace string
	// Cmd, when set, replaces the config's Cmd, as the arguments after
	// the image in `docker run IMAGE ARG...` do.
	Cmd []string
	// Keep (SmokeImage) leaves the unpacked image in place and returns
	// its directory in SmokeResult.Bundle (the caller removes it).
	Keep bool
}

// SmokeResult is what an app did in its image.
type SmokeResult struct {
	// Output is what a smoke test compares: for a command "exit N" and
	// its stdout and stderr; for a server each fetched page's status and
	// body.
	Output string
	// ExitCode, Stdout and Stderr are the process's (a server's are what
	// it printed before it was stopped; its exit code is then -1).
	ExitCode       int
	Stdout, Stderr string
	// Args, Env, Cwd, UID, GID are how it was started.
	Args     []string
	Env      []string
	Cwd      string
	UID, GID uint32
	// Bundle is the unpacked image's directory when SmokeOptions.Keep
	// is set: its root filesystem is Bundle/rootfs.
	Bundle string
}

// Unpacked is an image unpacked by UnpackImage: its final root
// filesystem and its config.
type Unpacked struct {
	// Dir holds everything; Rootfs is Dir/rootfs.
	Dir, Rootfs string
	// Config is the image config's "config" object.
	Config AppConfig
}

// UnpackImage unpacks an image's final root filesystem into a new
// directory under dir ("" the system's temporary directory) with tools
// independent of whittle: skopeo copies it to a dir: layout, GNU tar
// extracts each layer in order after applying its whiteouts (.wh.NAME
// deletes NAME below, .wh..wh..opq empties its directory). ref is
// docker-archive:PATH, oci:DIR[:TAG], oci-archive:PATH, or a bare path (a
// directory is an OCI layout, a file a docker archive). The caller
// removes Dir.
func UnpackImage(ref, dir string) (*Unpacked, error) {
	ref = transportOf(ref)
	work, err := os.MkdirTemp(dir, "smoke-")
	if err != nil {
		return nil, err
	}
	u, err := unpack(ref, work)
	if err != nil {
		os.RemoveAll(work)
		return nil, fmt.Errorf("unpacking %s: %w", ref, err)
	}
	return u, nil
}

func unpack(ref, work string) (*Unpacked, error) {
	layout := filepath.Join(work, "layout")
	if _, err := Run("", "skopeo", "copy", "--quiet", ref, "dir:"+layout); err != nil {
		return nil, err
	}
	defer os.RemoveAll(layout)
	var manifest struct {
		Config struct{ Digest string }
		Layers []struct{ Digest string }
	}
	if err := readJSON(filepath.Join(layout, "manifest.json"), &manifest); err != nil {
		return nil, err
	}
	var config struct {
		Config AppConfig `json:"config"`
	}
	if err := readJSON(filepath.Join(layout, digestFile(manifest.Config.Digest)), &config); err != nil {
		return nil, fmt.Errorf("reading the config: %w", err)
	}
	rootfs := filepath.Join(work, "rootfs")
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		return nil, err
	}
	for _, l := range manifest.Layers {
		blob := filepath.Join(layout, digestFile(l.Digest))
		if err := applyLayer(rootfs, blob); err != nil {
			return nil, fmt.Errorf("layer %s: %w", l.Digest, err)
		}
	}
	return &Unpacked{Dir: work, Rootfs: rootfs, Config: config.Config}, nil
}

func digestFile(d string) string {
	_, hex, _ := strings.Cut(d, ":")
	return hex
}

func readJSON(file string, v any) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// applyLayer applies one layer blob (tar, gzip or zstd: GNU tar detects
// it) to rootfs: its whiteouts first, then its entries.
func applyLayer(rootfs, blob string) error {
	out, err := Run("", "tar", "--list", "--file", blob)
	if err != nil {
		return err
	}
	for _, name := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		clean := path.Clean("/" + name)
		dir, base := path.Split(clean)
		if !strings.HasPrefix(base, ".wh.") {
			continue
		}
		target := filepath.Join(rootfs, dir)
		if base == ".wh..wh..opq" {
			entries, err := os.ReadDir(target)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			for _, e := range entries {
				if err := os.RemoveAll(filepath.Join(target, e.Name())); err != nil {
					return err
				}
			}
			continue
		}
		if err := os.RemoveAll(filepath.Join(target, strings.TrimPrefix(base, ".wh."))); err != nil {
			return err
		}
	}
	_, err = Run(rootfs, "tar", "--extract", "--file", blob, "--numeric-owner", "--same-owner",
		"--same-permissions", "--exclude=.wh.*", "--exclude=./dev/*", "--exclude=dev/*")
	return err
}

// CachedRootfs unpacks an image (a file or directory reference) once per
// fixture directory (keyed by its reference, size and time) and returns the unpacked image; its Rootfs must
// stay read-only: SmokeUnpacked runs over it with an overlay.
func CachedRootfs(t T, archive string) *Unpacked {
	t.Helper()
	file := archive
	if _, p, ok := strings.Cut(transportOf(archive), ":"); ok {
		file = strings.SplitN(p, ":", 2)[0]
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatalf("image %s: %v", archive, err)
	}
	dir := Build(t, fmt.Sprintf("unpacked:%s:%d:%d", archive, fi.Size(), fi.ModTime().UnixNano()), func(dir string) error {
		u, err := UnpackImage(archive, dir)
		if err != nil {
			return err
		}
		if err := os.Rename(u.Rootfs, filepath.Join(dir, "rootfs")); err != nil {
			return err
		}
		b, _ := json.Marshal(u.Config)
		if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
			return err
		}
		return os.RemoveAll(u.Dir)
	})
	u := &Unpacked{Dir: dir, Rootfs: filepath.Join(dir, "rootfs")}
	if err := readJSON(filepath.Join(dir, "config.json"), &u.Config); err != nil {
		t.Fatalf("image %s: %v", archive, err)
	}
	return u
}

// SmokeImage unpacks an image (UnpackImage) and runs its app
// (SmokeUnpacked) in a copy of its root that is removed afterwards
// unless opts.Keep.
func SmokeImage(ref string, opts SmokeOptions) (*SmokeResult, error) {
	u, err := UnpackImage(ref, "")
	if err != nil {
		return nil, err
	}
	res, err := SmokeUnpacked(u, false, opts)
	if opts.Keep && res != nil {
		res.Bundle = u.Dir
	} else {
		os.RemoveAll(u.Dir)
	}
	return res, err
}

// SmokeUnpacked runs the app of an unpacked image the way a container
// runtime would: the config's Entrypoint+Cmd, its Env (plus HOME from the
// user's passwd entry when Env has none, as Docker adds it), its User
// (a name or uid looked up in the image's own /etc/passwd and /etc/group,
// with the groups that list the user, as Docker does; numeric ids as they
// are), its WorkingDir (created when missing, as runc does); a fresh
// /proc, a minimal /dev, a private network with its own loopback, and no
// /tmp unless the image has one. The root filesystem is writable, as a
// container's is: with overlay set, writes go to an overlay over
// u.Rootfs (left unchanged), else to u.Rootfs itself. It runs with
// bubblewrap (bwrap) and setpriv, and needs root.
//
// An error means the run could not be made (tools, mounts); an app that
// cannot start, such as a User the image does not define, is a result
// whose Output says so.
func SmokeUnpacked(u *Unpacked, overlay bool, opts SmokeOptions) (*SmokeResult, error) {
	rootfs := u.Rootfs
	if overlay {
		work, err := os.MkdirTemp("", "smoke-overlay-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(work)
		merged := filepath.Join(work, "merged")
		for _, d := range []string{"upper", "work", "merged"} {
			if err := os.Mkdir(filepath.Join(work, d), 0o755); err != nil {
				return nil, err
			}
		}
		opt := "lowerdir=" + u.Rootfs + ",upperdir=" + filepath.Join(work, "upper") + ",workdir=" + filepath.Join(work, "work")
		if err := unix.Mount("overlay", merged, "overlay", 0, opt); err != nil {
			return nil, fmt.Errorf("mounting an overlay over %s: %w", u.Rootfs, err)
		}
		defer unix.Unmount(merged, unix.MNT_DETACH)
		rootfs = merged
	}
	c := u.Config
	if opts.Cmd != nil {
		c.Cmd = opts.Cmd
	}
	args := append(append([]string{}, c.Entrypoint...), c.Cmd...)
	cwd := c.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	res := &SmokeResult{Args: args, Cwd: cwd, ExitCode: -1}
	if len(args) == 0 {
		res.Output = "not started: the image has neither Entrypoint nor Cmd\n"
		return res, nil
	}
	user, err := resolveUser(rootfs, c.User)
	if err != nil {
		res.Output = "not started: " + err.Error() + "\n"
		return res, nil
	}
	res.UID, res.GID = user.uid, user.gid
	res.Env = append([]string{}, c.Env...)
	hasHome := false
	for _, kv := range res.Env {
		hasHome = hasHome || strings.HasPrefix(kv, "HOME=")
	}
	if !hasHome {
		res.Env = append(res.Env, "HOME="+user.home)
	}
	// What runc makes before it starts the process: the mount points and
	// the working directory. The root's parents are opened to the user.
	for _, d := range []string{"/proc", "/dev", cwd} {
		if err := mkdirInRoot(rootfs, d); err != nil {
			return nil, err
		}
	}
	for d := rootfs; d != "/" && d != "."; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o005 != 0o005 {
			os.Chmod(d, fi.Mode().Perm()|0o055)
		}
	}
	return runSandbox(rootfs, res, user, opts)
}

// imageUser is a resolved image config User.
type imageUser struct {
	uid, gid uint32
	groups   []uint32
	home     string
}

// resolveUser reads User as Docker does: "", "name", "uid", each with an
// optional ":group" or ":gid"; names must exist in the image's
// /etc/passwd and /etc/group.
func resolveUser(rootfs, spec string) (imageUser, error) {
	u := imageUser{home: "/"}
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	passwd := readColonFile(filepath.Join(rootfs, "etc/passwd"))
	groups := readColonFile(filepath.Join(rootfs, "etc/group"))
	name := ""
	if userPart == "" {
		userPart = "0"
	}
	if n, err := strconv.ParseUint(userPart, 10, 32); err == nil {
		u.uid = uint32(n)
		for _, f := range passwd {
			if len(f) >= 6 && f[2] == userPart {
				name, u.home = f[0], f[5]
				if g, err := strconv.ParseUint(f[3], 10, 32); err == nil {
					u.gid = uint32(g)
				}
				break
			}
		}
	} else {
		found := false
		for _, f := range passwd {
			if len(f) >= 6 && f[0] == userPart {
				uid, err1 := strconv.ParseUint(f[2], 10, 32)
				gid, err2 := strconv.ParseUint(f[3], 10, 32)
				if err1 != nil || err2 != nil {
					continue
				}
				name, u.uid, u.gid, u.home, found = f[0], uint32(uid), uint32(gid), f[5], true
				break
			}
		}
		if !found {
			return u, fmt.Errorf("unable to find user %s: no matching entries in passwd file", userPart)
		}
	}
	if hasGroup {
		if n, err := strconv.ParseUint(groupPart, 10, 32); err == nil {
			u.gid = uint32(n)
		} else {
			found := false
			for _, f := range groups {
				if len(f) >= 3 && f[0] == groupPart {
					if g, err := strconv.ParseUint(f[2], 10, 32); err == nil {
						u.gid, found = uint32(g), true
						break
					}
				}
			}
			if !found {
				return u, fmt.Errorf("unable to find group %s: no matching entries in group file", groupPart)
			}
		}
	}
	if name != "" {
		for _, f := range groups {
			if len(f) < 4 {
				continue
			}
			for _, m := range strings.Split(f[3], ",") {
				if m == name {
					if g, err := strconv.ParseUint(f[2], 10, 32); err == nil && uint32(g) != u.gid {
						u.groups = append(u.groups, uint32(g))
					}
				}
			}
		}
	}
	if u.home == "" {
		u.home = "/"
	}
	return u, nil
}

func readColonFile(file string) [][]string {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var rows [][]string
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rows = append(rows, strings.Split(line, ":"))
	}
	return rows
}

func runSandbox(rootfs string, res *SmokeResult, user imageUser, opts SmokeOptions) (*SmokeResult, error) {
	var argv []string
	if opts.Trace != "" {
		if _, err := exec.LookPath("strace"); err != nil {
			return nil, fmt.Errorf("tracing: %w", err)
		}
		argv = append(argv, "strace", "-f", "-qq", "-s", "4096", "-e", "trace=%file,chdir", "-o", opts.Trace)
	}
	userNS := user.uid != 0 || user.gid != 0
	if userNS {
		groups := "--clear-groups"
		if len(user.groups) > 0 {
			var gs []string
			for _, g := range user.groups {
				gs = append(gs, strconv.FormatUint(uint64(g), 10))
			}
			groups = "--groups=" + strings.Join(gs, ",")
		}
		argv = append(argv, "setpriv", "--reuid="+strconv.FormatUint(uint64(user.uid), 10),
			"--regid="+strconv.FormatUint(uint64(user.gid), 10), groups, "--")
	}
	argv = append(argv, "bwrap", "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
		"--unshare-net", "--unshare-cgroup-try")
	if userNS {
		argv = append(argv, "--unshare-user")
	}
	argv = append(argv, "--bind", rootfs, "/", "--proc", "/proc", "--dev", "/dev", "--chdir", res.Cwd,
		"--info-fd", "3", "--clearenv")
	for _, kv := range res.Env {
		k, v, _ := strings.Cut(kv, "=")
		argv = append(argv, "--setenv", k, v)
	}
	argv = append(argv, "--")
	argv = append(argv, res.Args...)

	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	infoR, infoW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer infoR.Close()
	cmd.ExtraFiles = []*os.File{infoW}
	if err := cmd.Start(); err != nil {
		infoW.Close()
		return nil, fmt.Errorf("starting bwrap: %w", err)
	}
	infoW.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stop := func(sig syscall.Signal) { syscall.Kill(-cmd.Process.Pid, sig) }
	waitExit := func(err error) {
		res.Stdout, res.Stderr = stdout.String(), stderr.String()
		var ee *exec.ExitError
		switch {
		case err == nil:
			res.ExitCode = 0
		case errors.As(err, &ee):
			res.ExitCode = ee.ExitCode()
		}
	}

	if opts.Probe == nil {
		select {
		case err := <-done:
			waitExit(err)
		case <-time.After(timeout):
			stop(syscall.SIGKILL)
			waitExit(<-done)
			res.Stderr += fmt.Sprintf("\n(smoke: killed after %v)", timeout)
		}
		res.Output = fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", res.ExitCode, res.Stdout, res.Stderr)
		return res, nil
	}

	// A server: find its network namespace, wait for the port, fetch.
	childPID, err := readChildPID(infoR, 10*time.Second)
	if err != nil {
		stop(syscall.SIGKILL)
		waitExit(<-done)
		res.Output = fmt.Sprintf("did not start: %v\nexit %d\nstderr:\n%s", err, res.ExitCode, res.Stderr)
		return res, nil
	}
	ready := opts.ReadyTimeout
	if ready == 0 {
		ready = 60 * time.Second
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.Probe.Port))
	deadline := time.Now().Add(ready)
	var out strings.Builder
	exited := false
	for {
		c, err := dialIn(childPID, addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case werr := <-done:
			waitExit(werr)
			exited = true
		case <-time.After(100 * time.Millisecond):
		}
		if exited {
			fmt.Fprintf(&out, "exited before listening on %s: exit %d\nstderr:\n%s", addr, res.ExitCode, res.Stderr)
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(&out, "not listening on %s after %v: %v\n", addr, ready, err)
			break
		}
	}
	if out.Len() == 0 {
		client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
				return dialIn(childPID, a, 5*time.Second)
			},
		}}
		for _, pth := range opts.Probe.Paths {
			fmt.Fprintf(&out, "GET %s: ", pth)
			resp, err := client.Get("http://" + addr + pth)
			if err != nil {
				fmt.Fprintf(&out, "%v\n", err)
				continue
			}
			body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			fmt.Fprintf(&out, "%d %s\n%s\n", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			if err != nil {
				fmt.Fprintf(&out, "(reading the body: %v)\n", err)
			}
		}
	}
	if !exited {
		stop(syscall.SIGTERM)
		select {
		case err := <-done:
			waitExit(err)
		case <-time.After(10 * time.Second):
			stop(syscall.SIGKILL)
			waitExit(<-done)
		}
		res.ExitCode = -1
	}
	res.Output = out.String()
	return res, nil
}

// mkdirInRoot makes dir (an absolute path inside root) unless it exists,
// following no symbolic link out of root: a link on the way is left as it is.
func mkdirInRoot(root, dir string) error {
	cur := root
	for _, part := range strings.Split(strings.Trim(path.Clean(dir), "/"), "/") {
		if part == "" {
			continue
		}
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		switch {
		case err == nil && fi.Mode()&os.ModeSymlink != 0:
			return nil
		case err == nil:
			continue
		case errors.Is(err, os.ErrNotExist):
			if err := os.Mkdir(cur, 0o755); err != nil {
				return fmt.Errorf("making %s in the bundle: %w", dir, err)
			}
		default:
			return err
		}
	}
	return nil
}

// readChildPID reads bwrap's --info-fd document: the host pid of the
// sandbox's first process.
func readChildPID(r *os.File, timeout time.Duration) (int, error) {
	type result struct {
		pid int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var info struct {
			ChildPID int `json:"child-pid"`
		}
		err := json.NewDecoder(r).Decode(&info)
		if err == nil && info.ChildPID == 0 {
			err = errors.New("bwrap named no child pid")
		}
		ch <- result{info.ChildPID, err}
	}()
	select {
	case r := <-ch:
		return r.pid, r.err
	case <-time.After(timeout):
		return 0, fmt.Errorf("bwrap said nothing in %v", timeout)
	}
}

// dialIn connects to addr from inside the network namespace of pid: the
// socket is made on a thread moved into that namespace and back. (A
// thread must not die: the runner's processes were forked by some thread
// and bwrap's --die-with-parent would kill them with it.) A thread that
// cannot return is left locked and ends with its goroutine.
func dialIn(pid int, addr string, timeout time.Duration) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, err}
			return
		}
		defer home.Close()
		f, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", pid))
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, fmt.Errorf("entering the network namespace of %d: %w", pid, err)}
			return
		}
		c, err := net.DialTimeout("tcp", addr, timeout)
		if unix.Setns(int(home.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// TracedPaths reads a trace SmokeOptions.Trace wrote and returns every
// path the app named in a file system call (open, stat, exec, access,
// readlink, chdir...) that succeeded, made absolute against cwd, in order
// of first use. (A lookup that failed in the source, such as a PATH or
// module search, is no need.) The sandbox's own setup (setpriv, bwrap)
// is skipped: the trace is read from the app's first exec on. A call that
// strace splits ("<unfinished ...>", "<... resumed>") is joined.
func TracedPaths(trace, cwd string) ([]string, error) {
	f, err := os.Open(trace)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type call struct {
		name    string
		started bool
	}
	pending := map[string]call{}
	seen := map[string]bool{}
	var paths []string
	started := false
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			paths = append(paths, name)
		}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		// "PID call(args) = ret", "PID call(args <unfinished ...>",
		// "PID <... call resumed>args) = ret".
		pid, rest, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, "<...") {
			c, ok := pending[pid]
			delete(pending, pid)
			if ok && succeeded(rest) && (started || c.started) {
				add(c.name)
			}
			continue
		}
		name, args, ok := strings.Cut(rest, "(")
		if !ok || strings.HasPrefix(rest, "+++") || strings.HasPrefix(rest, "---") {
			continue
		}
		p, dirRel, ok := firstPathArg(name, args)
		if !ok {
			continue
		}
		if !started {
			if name != "execve" || p == "" || isHostTool(p) {
				continue
			}
			started = true
		}
		if !strings.HasPrefix(p, "/") {
			if !dirRel {
				continue
			}
			p = path.Join(cwd, p)
		}
		p = path.Clean(p)
		if strings.HasSuffix(rest, "<unfinished ...>") {
			pending[pid] = call{name: p, started: started}
			continue
		}
		if succeeded(rest) {
			add(p)
		}
	}
	return paths, sc.Err()
}

// succeeded says whether a traced call's line ends in a result that is
// not an error ("= -1 ENOENT (...)").
func succeeded(line string) bool {
	i := strings.LastIndex(line, ") = ")
	if i < 0 {
		return false
	}
	return !strings.HasPrefix(line[i+len(") = "):], "-")
}

// isHostTool is the runner's own programs, exec'd (found through PATH)
// before the app.
func isHostTool(p string) bool {
	switch path.Base(p) {
	case "bwrap", "setpriv", "strace":
		return true
	}
	return false
}

// firstPathArg returns the path argument of a traced call: the first
// quoted string; dirRel says whether a relative one is relative to the
// working directory (not to a directory descriptor).
func firstPathArg(call, args string) (string, bool, bool) {
	i := strings.IndexByte(args, '"')
	if i < 0 {
		return "", false, false
	}
	prefix := args[:i]
	s, err := strconv.QuotedPrefix(args[i:])
	if err != nil {
		// strace's escapes are C's, mostly Go's too; take it raw.
		end := strings.IndexByte(args[i+1:], '"')
		if end < 0 {
			return "", false, false
		}
		s = args[i : i+end+2]
	}
	name, err := strconv.Unquote(s)
	if err != nil {
		name = strings.Trim(s, `"`)
	}
	dirRel := !strings.Contains(prefix, ",") || strings.Contains(prefix, "AT_FDCWD")
	_ = call
	return name, dirRel, true
}

// transportOf gives a bare path its transport: a directory is an OCI
// layout, a file a docker archive.
func transportOf(ref string) string {
	for _, p := range []string{"docker-archive:", "oci:", "oci-archive:", "docker://", "dir:"} {
		if strings.HasPrefix(ref, p) {
			return ref
		}
	}
	if fi, err := os.Stat(ref); err == nil && fi.IsDir() {
		return "oci:" + ref
	}
	return "docker-archive:" + ref
}
