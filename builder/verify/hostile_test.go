package verify

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// busyboxApplets are linked to /bin/busybox in the hostile image.
var busyboxApplets = []string{"sh", "cat", "echo", "dd", "head", "id", "ls", "sleep", "stat", "mknod", "true", "grep", "pwd", "wc", "tail", "tr"}

// hostileEntries are the entries of a hostile image: a static busybox as
// its shell, device nodes that would open the host's kernel log, memory
// and null device, a setuid-root script, a script without #!, and no /tmp.
func hostileEntries(busybox []byte) []tarEntry {
	es := []tarEntry{
		dir("bin/"), dir("etc/"), dir("hostile/"),
		{tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755}, string(busybox)},
		file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n"),
		file("etc/group", "root:x:0:\nnogroup:x:65534:\n"),
		{hdr: tar.Header{Name: "hostile/kmsg", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 11, Mode: 0o666}},
		{hdr: tar.Header{Name: "hostile/mem", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 1, Mode: 0o666}},
		{hdr: tar.Header{Name: "hostile/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3, Mode: 0o666}},
		{tar.Header{Name: "hostile/suid", Typeflag: tar.TypeReg, Mode: 0o4755}, "#!/bin/sh\nid\n"},
		{tar.Header{Name: "hostile/noshebang", Typeflag: tar.TypeReg, Mode: 0o755}, "echo ran without a shebang\n"},
	}
	for _, a := range busyboxApplets {
		es = append(es, symlink("bin/"+a, "busybox"))
	}
	return es
}

// tarOf writes entries as an uncompressed layer.
func tarOf(entries []tarEntry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		h.Size = int64(len(e.data))
		if err := tw.WriteHeader(&h); err != nil {
			return nil, err
		}
		if _, err := tw.Write([]byte(e.data)); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), tw.Close()
}

// imageOf is an indexed in-memory image of the layers and config.
func imageOf(cfg v1.Config, layers ...[]byte) (*source.Image, *analyze.Index, error) {
	var diffIDs []string
	for _, l := range layers {
		sum := sha256.Sum256(l)
		diffIDs = append(diffIDs, "sha256:"+hex.EncodeToString(sum[:]))
	}
	raw, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux", "config": cfg,
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	im, err := source.Memory("demo:", raw, layers)
	if err != nil {
		return nil, nil, err
	}
	ix, err := analyze.IndexImage(context.Background(), im, analyze.IndexOptions{})
	return im, ix, err
}

// sparseSize is the apparent size of the hostile image's sparse file:
// a hole, then one block of data.
const sparseSize = 4<<30 + 4096

// sparseLayer is a layer GNU tar wrote with --sparse holding /big.
func sparseLayer(t *testing.T) []byte {
	testfix.NeedTool(t, "tar")
	d := t.TempDir()
	f, err := os.Create(filepath.Join(d, "big"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte("x"), 4096), sparseSize-4096); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p := filepath.Join(t.TempDir(), "layer.tar")
	if out, err := exec.Command("tar", "--sparse", "--format=gnu", "-C", d, "-cf", p, "big").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, out)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hostileLayer is the layer of hostileEntries, with the host's static
// busybox.
func hostileLayer(t *testing.T) []byte {
	busybox, err := os.ReadFile("/bin/busybox")
	if err != nil {
		if testing.Short() {
			t.Skip("no /bin/busybox")
		}
		t.Fatal(err)
	}
	l, err := tarOf(hostileEntries(busybox))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// hostileConfig runs as root in a WorkingDir the image lacks.
var hostileConfig = v1.Config{Env: []string{"PATH=/bin"}, WorkingDir: "/work"}

// hostileTree unpacks the hostile image (with the sparse layer when
// sparse) for a test, and removes it at the end.
func hostileTree(t *testing.T, sparse bool) (*Tree, *analyze.Index) {
	if testing.Short() {
		t.Skip("starts sandboxes (-short)")
	}
	testfix.NeedTool(t, "bwrap")
	if os.Geteuid() != 0 {
		t.Skip("the hostile images need root: device nodes, owners, both sandboxes")
	}
	layers := [][]byte{hostileLayer(t)}
	if sparse {
		layers = append(layers, sparseLayer(t))
	}
	im, ix, err := imageOf(hostileConfig, layers...)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := Unpack(context.Background(), im, ix, searchableDir(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tree.Remove() })
	return tree, ix
}

// searchableDir is a temporary directory that any user can search, up to
// /: only the private directory verify makes in it keeps others out.
func searchableDir(t *testing.T) string {
	d := t.TempDir()
	for p := d; p != "/" && p != os.TempDir(); p = filepath.Dir(p) {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// nobodyReaches runs argv on the host as nobody; nil when it could.
func nobodyReaches(argv ...string) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	return nil
}

// TestHostileContained runs what a hostile image's commands try, in both
// sandboxes, as root in the image: each must fail, and the host must be
// as it was.
func TestHostileContained(t *testing.T) {
	tree, _ := hostileTree(t, false)
	corePattern, err := os.ReadFile("/proc/sys/kernel/core_pattern")
	if err != nil {
		t.Fatal(err)
	}
	nobody := hostileConfig
	nobody.User = "nobody"
	for _, sb := range sandboxes(t) {
		t.Run(sb.String(), func(t *testing.T) {
			for _, tc := range []struct {
				name string
				cfg  v1.Config
				cmd  string
				code int
				out  string // a substring of the output ("" for an empty output)
			}{
				// The kernel would run the program as root on the host.
				{"core_pattern", hostileConfig, `echo '|/hostile/suid' > /proc/sys/kernel/core_pattern`, 1, "Read-only file system"},
				{"proc/sys", hostileConfig, `cat /proc/sys/vm/swappiness > /proc/sys/vm/swappiness`, 1, "Read-only file system"},
				{"kcore masked", hostileConfig, `cat /proc/keys /proc/timer_list | wc -c`, 0, "0\n"},
				// The image's device nodes are not made; one made in the
				// sandbox (root has CAP_MKNOD, as in Docker) is dead.
				{"kmsg node", hostileConfig, `echo hostile > /hostile/kmsg && stat -c %F /hostile/kmsg`, 0, "regular file\n"},
				{"mem node", hostileConfig, `head -c 16 /hostile/mem`, 1, "/hostile/mem"},
				{"null node", hostileConfig, `ls /hostile`, 0, "noshebang\nsuid\n"},
				// (In a user namespace mknod itself is refused.)
				{"mknod", hostileConfig, `mknod /kmsg c 1 11 && echo hostile > /kmsg`, 1, "Permission denied|Operation not permitted"},
				// setuid-root does nothing: the root is nosuid (and nodev).
				{"nosuid", nobody, `grep ' / ' /proc/self/mounts`, 0, ",nosuid,nodev,"},
				// Faithful: no /tmp the image lacks; the WorkingDir made.
				{"no tmp", hostileConfig, `ls -d /tmp`, 1, "No such file or directory"},
				{"workdir", hostileConfig, `pwd`, 0, "/work\n"},
			} {
				res, err := Run(context.Background(), tree.Dir, tc.cfg, []string{"sh", "-c", tc.cmd}, Options{Sandbox: sb, Timeout: time.Minute})
				if err != nil {
					t.Errorf("%s: %v: %s", tc.name, err, res.Output)
					continue
				}
				out := string(res.Output)
				okOut := tc.out == "" && out == ""
				for _, o := range strings.Split(tc.out, "|") {
					okOut = okOut || o != "" && strings.Contains(out, o)
				}
				if res.ExitCode != tc.code || !okOut {
					t.Errorf("%s: exit %d, output %q; want exit %d, output with %q", tc.name, res.ExitCode, out, tc.code, tc.out)
				}
			}
			// A script without #! is not executed (bwrap's execvp would
			// have run it with /bin/sh).
			res, err := Run(context.Background(), tree.Dir, hostileConfig, []string{"/hostile/noshebang"}, Options{Sandbox: sb})
			if err != nil || res.ExitCode != 126 || !errors.Is(res.Err, ErrExecFormat) || string(res.Output) != "exec /hostile/noshebang: exec format error\n" {
				t.Errorf("no shebang: %v, exit %d, output %q", err, res.ExitCode, res.Output)
			}
			// The namespace sandbox maps the image's ids 0..65535 to host
			// ids from 2^30 when it can, and runs with the host's ids
			// otherwise. bwrap runs root as root, and another user in a
			// user namespace (nested in one of its own) that maps only it.
			for _, u := range []struct {
				sb         Sandbox
				user, want string
			}{
				{SandboxNamespaces, "", "0 1073741824 65536\n0 0\n"},
				{SandboxNamespaces, "70000:70000", "0 0 4294967295\n0 0\n"},
				{SandboxBwrap, "", "0 0 4294967295\n0 0\n"},
				{SandboxBwrap, "70000:70000", "70000 0 1\n65534 65534\n"},
			} {
				if u.sb != sb {
					continue
				}
				cfg := hostileConfig
				cfg.User = u.user
				res, err := Run(context.Background(), tree.Dir, cfg, []string{"sh", "-c", "echo $(cat /proc/self/uid_map); stat -c '%u %g' /etc/passwd"}, Options{Sandbox: sb})
				if err != nil || string(res.Output) != u.want {
					t.Errorf("user %q: %v, %q; want %q", u.user, err, res.Output, u.want)
				}
			}
			// Separate streams.
			res, err = Run(context.Background(), tree.Dir, hostileConfig, []string{"sh", "-c", "echo out; echo err >&2; exit 3"}, Options{Sandbox: sb, SeparateOutput: true})
			if err != nil || res.ExitCode != 3 || string(res.Stdout) != "out\n" || string(res.Stderr) != "err\n" || len(res.Output) != 8 {
				t.Errorf("separate output: %v, exit %d, stdout %q, stderr %q, output %q", err, res.ExitCode, res.Stdout, res.Stderr, res.Output)
			}
			// Env is the config's, with Docker's PATH, HOSTNAME and HOME.
			res, err = Run(context.Background(), tree.Dir, hostileConfig, []string{"cat", "/proc/self/environ"}, Options{Sandbox: sb})
			want := "PATH=/bin\x00HOSTNAME=" + hostname + "\x00HOME=/root\x00"
			if sb == SandboxBwrap {
				want += "PWD=/work\x00" // bwrap's --chdir sets it
			}
			if err != nil || string(res.Output) != want {
				t.Errorf("env: %v, %q, want %q", err, res.Output, want)
			}
		})
	}
	if after, _ := os.ReadFile("/proc/sys/kernel/core_pattern"); !bytes.Equal(after, corePattern) {
		t.Errorf("core_pattern changed: %q", after)
	}
	// What the commands wrote went to layers of their own.
	if _, err := os.Lstat(filepath.Join(tree.Dir, "kmsg")); err == nil {
		t.Error("a command's write reached the tree")
	}
}

// TestHostileTreePrivate checks that while a tree exists another host
// user reaches nothing in it (its setuid programs included), that its
// device nodes were not made, and that a sparse file costs no disk.
func TestHostileTreePrivate(t *testing.T) {
	tree, _ := hostileTree(t, true)
	base := filepath.Dir(tree.Dir)
	info, err := os.Stat(base)
	if err != nil {
		t.Fatal(err)
	}
	if st := info.Sys().(*syscall.Stat_t); info.Mode().Perm() != 0o700 || st.Uid != 0 {
		t.Errorf("private directory %s: %v owned by %d", base, info.Mode(), st.Uid)
	}
	// The check can fail: nobody reaches the parent.
	if err := nobodyReaches("/bin/ls", filepath.Dir(base)); err != nil {
		t.Fatalf("nobody cannot list the parent: %v", err)
	}
	for _, argv := range [][]string{
		{"/bin/cat", filepath.Join(tree.Dir, "etc/passwd")},
		{"/bin/ls", tree.Dir},
		{filepath.Join(tree.Dir, "hostile/suid")},
	} {
		if err := nobodyReaches(argv...); err == nil || !strings.Contains(err.Error(), "ermission denied") {
			t.Errorf("nobody ran %q: %v", argv, err)
		}
	}
	// And while Verify runs a command.
	im, ix, err := imageOf(hostileConfig, hostileLayer(t))
	if err != nil {
		t.Fatal(err)
	}
	parent := searchableDir(t)
	checked := false
	_, err = Verify(context.Background(), im, ix, [][]string{{"true"}}, Options{Dir: parent, Started: func([]string) {
		m, _ := filepath.Glob(filepath.Join(parent, treePrefix+"*", "root", "etc", "passwd"))
		if len(m) != 1 {
			t.Errorf("trees while verify runs: %v", m)
			return
		}
		if err := nobodyReaches("/bin/cat", m[0]); err == nil || !strings.Contains(err.Error(), "ermission denied") {
			t.Errorf("nobody read %s while verify ran: %v", m[0], err)
		}
		checked = true
	}})
	if err != nil || !checked {
		t.Errorf("verify: %v, checked %v", err, checked)
	}
	for _, p := range []string{"hostile/kmsg", "hostile/mem", "hostile/null"} {
		if _, err := os.Lstat(filepath.Join(tree.Dir, p)); err == nil {
			t.Errorf("%s: the device node was made", p)
		}
	}
	fi, err := os.Stat(filepath.Join(tree.Dir, "big"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := fi.Sys().(*syscall.Stat_t).Blocks * 512
	if fi.Size() != sparseSize || blocks > 64<<10 {
		t.Errorf("big: %d bytes, %d on disk; want %d, at most 64 KiB on disk", fi.Size(), blocks, int64(sparseSize))
	}
	t.Logf("big: %d bytes, %d on disk", fi.Size(), blocks)
}

// TestHostileLimits runs a fork bomb and disk fillers: the limits stop
// them, and nothing of them is left on the host afterwards.
func TestHostileLimits(t *testing.T) {
	tree, _ := hostileTree(t, false)
	limits := Limits{Pids: 64, Memory: 256 << 20, Disk: 32 << 20}
	for _, sb := range sandboxes(t) {
		t.Run(sb.String(), func(t *testing.T) {
			for _, tc := range []struct {
				name, cmd, out string
			}{
				{"processes", `i=0; while [ $i -lt 200 ]; do sleep 600 & i=$((i+1)); done; echo all $i started`, "can't fork"},
				{"one big file", `dd if=/dev/zero of=/fill bs=1M count=200`, "No space left on device"},
				// 8 files of 4 MiB fill the 32 MiB; busybox's head says EIO
				// for the ENOSPC of the 9th.
				{"many files", `i=0; while head -c 4194304 /dev/zero > /fill$i; do i=$((i+1)); done; echo $i files; exit 1`, "\n8 files\n"},
			} {
				res, err := Run(context.Background(), tree.Dir, hostileConfig, []string{"sh", "-c", tc.cmd}, Options{Sandbox: sb, Limits: limits, Timeout: 2 * time.Minute})
				if err != nil || res.Passed || !strings.Contains(string(res.Output), tc.out) || res.Err != nil {
					t.Errorf("%s: %v, exit %d (%v), output %q", tc.name, err, res.ExitCode, res.Err, res.Output)
				}
			}
			// 400 MB in a shell variable: killed by the memory limit.
			res, err := Run(context.Background(), tree.Dir, hostileConfig, []string{"sh", "-c", `x=$(head -c 400000000 /dev/zero | tr '\0' a); echo ${#x}`}, Options{Sandbox: sb, Limits: limits, Timeout: 2 * time.Minute})
			if err != nil || res.ExitCode != 137 || res.Err == nil || !strings.Contains(res.Err.Error(), "killed by signal 9") {
				t.Errorf("memory: %v, exit %d (%v), output %q", err, res.ExitCode, res.Err, res.Output)
			}
			// A fork bomb, ended by the timeout: the pid limit kept it
			// small, and it is gone at once.
			res, err = Run(context.Background(), tree.Dir, hostileConfig, []string{"sh", "-c", `b() { b | b; }; b`}, Options{Sandbox: sb, Limits: limits, Timeout: 3 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("fork bomb: exit %d (%v) after %v", res.ExitCode, res.Err, res.Duration)
			if res.Passed {
				t.Error("the fork bomb passed")
			}
			if n := ourCgroups(t, os.Getpid()); n != 0 {
				t.Errorf("%d cgroups left", n)
			}
		})
	}
	for _, p := range []string{"fill", "fill0"} {
		if _, err := os.Lstat(filepath.Join(tree.Dir, p)); err == nil {
			t.Errorf("/%s reached the tree", p)
		}
	}
}

// ourCgroups counts the cgroups verify made for the process pid.
func ourCgroups(t *testing.T, pid int) int {
	own, err := ownCgroups()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range []string{filepath.Join("/sys/fs/cgroup/pids", own["pids"]), filepath.Join("/sys/fs/cgroup/memory", own["memory"]), filepath.Join("/sys/fs/cgroup", own[""])} {
		m, _ := filepath.Glob(filepath.Join(dir, fmt.Sprintf("%s%d-*", cgroupPrefix, pid)))
		n += len(m)
	}
	return n
}

// childEnv makes the test binary a verify run to be killed (runChild).
const childEnv = "WHITTLE_VERIFY_TEST_CHILD"

// runChild unpacks a busybox image into the directory named by childEnv
// and runs sleep in it in the sandbox named by its second field, until
// killed.
func runChild() {
	parent, sb, _ := strings.Cut(os.Getenv(childEnv), ":")
	busybox, err := os.ReadFile("/bin/busybox")
	if err != nil {
		panic(err)
	}
	l, err := tarOf(hostileEntries(busybox))
	if err != nil {
		panic(err)
	}
	im, ix, err := imageOf(hostileConfig, l)
	if err != nil {
		panic(err)
	}
	s := SandboxBwrap
	if sb == "namespaces" {
		s = SandboxNamespaces
	}
	_, err = Verify(context.Background(), im, ix, [][]string{{"sleep", "600"}}, Options{Sandbox: s, Dir: parent})
	panic(fmt.Sprint("the child's verify ended: ", err))
}

// TestKilledRunLeavesNothing kills (SIGKILL) a process in the middle of
// Verify, and checks that nothing of it is left after the next run: no
// tree, no cgroup, no process.
func TestKilledRunLeavesNothing(t *testing.T) {
	tree, ix := hostileTree(t, false) // and the skips
	tree.Remove()
	im, _, err := imageOf(hostileConfig, hostileLayer(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, sb := range sandboxes(t) {
		t.Run(sb.String(), func(t *testing.T) {
			parent := t.TempDir()
			cmd := exec.Command("/proc/self/exe", "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"="+parent+":"+sb.String())
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Wait until its command runs: its sleep is in its cgroup.
			deadline := time.Now().Add(time.Minute)
			for ourCgroups(t, cmd.Process.Pid) == 0 || !sleeping() {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatal("the child's command did not start")
				}
				time.Sleep(50 * time.Millisecond)
			}
			cmd.Process.Kill()
			cmd.Wait()
			if ents, _ := os.ReadDir(parent); len(ents) != 1 {
				t.Fatalf("the killed run left %v", ents)
			}
			// The next run removes what the killed one left.
			tree, err := Unpack(context.Background(), im, ix, parent)
			if err != nil {
				t.Fatal(err)
			}
			if ents, _ := os.ReadDir(parent); len(ents) != 1 || filepath.Join(parent, ents[0].Name(), "root") != tree.Dir {
				t.Errorf("after the next unpack: %v", ents)
			}
			if _, err := Run(context.Background(), tree.Dir, hostileConfig, []string{"true"}, Options{Sandbox: sb}); err != nil {
				t.Fatal(err)
			}
			if n := ourCgroups(t, cmd.Process.Pid); n != 0 {
				t.Errorf("%d cgroups of the killed run left", n)
			}
			if err := tree.Remove(); err != nil {
				t.Fatal(err)
			}
			for i := 0; sleeping(); i++ {
				if i > 100 {
					t.Fatal("the killed run's sleep 600 still runs")
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// sleeping reports whether a "sleep 600" runs on the host.
func sleeping() bool {
	m, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range m {
		if b, _ := os.ReadFile(p); strings.HasSuffix(string(b), "sleep\x00600\x00") {
			return true
		}
	}
	return false
}
