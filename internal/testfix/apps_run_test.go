package testfix

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestResolveUser(t *testing.T) {
	root := t.TempDir()
	writeFiles(root, map[string]string{
		"/etc/passwd": "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\nnohome:x:1002:1002:::/bin/sh\n",
		"/etc/group":  "root:x:0:\napp:x:1001:\nweb:x:33:app,other\nextra:x:50:app\nwheel:x:10:other\n",
	})
	for _, tc := range []struct {
		spec string
		want imageUser
		err  string
	}{
		{spec: "", want: imageUser{uid: 0, gid: 0, home: "/root"}},
		{spec: "app", want: imageUser{uid: 1000, gid: 1001, groups: []uint32{33, 50}, home: "/home/app"}},
		{spec: "1000", want: imageUser{uid: 1000, gid: 1001, groups: []uint32{33, 50}, home: "/home/app"}},
		{spec: "app:web", want: imageUser{uid: 1000, gid: 33, groups: []uint32{50}, home: "/home/app"}},
		{spec: "4242:4343", want: imageUser{uid: 4242, gid: 4343, home: "/"}},
		{spec: "nohome", want: imageUser{uid: 1002, gid: 1002, home: "/"}},
		{spec: "ghost", err: "unable to find user ghost"},
		{spec: "app:ghosts", err: "unable to find group ghosts"},
	} {
		got, err := resolveUser(root, tc.spec)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
	}
}

func TestTracedPaths(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "trace")
	os.WriteFile(trace, []byte(`10 execve("/usr/bin/setpriv", ["setpriv"], 0x1 /* 3 vars */) = 0
10 openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3
10 execve("/usr/local/bin/bwrap", ["bwrap"], 0x1) = -1 ENOENT (No such file or directory)
10 execve("/usr/bin/bwrap", ["bwrap"], 0x1) = 0
11 execve("/usr/local/sbin/node", ["node", "server.js"], 0x2 /* 2 vars */) = -1 ENOENT (No such file or directory)
11 execve("/usr/bin/node", ["node", "server.js"], 0x2 /* 2 vars */) = 0
11 openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3
11 newfstatat(3, "", {st_mode=S_IFREG|0644, st_size=8767, ...}, AT_EMPTY_PATH) = 0
11 openat(AT_FDCWD, "server.js", O_RDONLY|O_CLOEXEC) = 4
11 openat(5, "relative-to-fd", O_RDONLY) = 6
12 openat(AT_FDCWD, "/usr/share/nodejs/x.js", O_RDONLY <unfinished ...>
13 openat(AT_FDCWD, "/missing", O_RDONLY <unfinished ...>
12 <... openat resumed>) = 7
13 <... openat resumed>) = -1 ENOENT (No such file or directory)
11 readlink("/usr/bin/java", "/etc/alternatives/java", 4095) = 22
11 access("/etc/app/a b\"c", R_OK) = 0
11 +++ exited with 0 +++
`), 0o644)
	got, err := TracedPaths(trace, "/app")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/usr/bin/node", "/etc/ld.so.cache", "/app/server.js", "/usr/share/nodejs/x.js", "/usr/bin/java", "/etc/app/a b\"c"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestMissingPaths(t *testing.T) {
	src, trim := t.TempDir(), t.TempDir()
	writeFiles(src, map[string]string{
		"/usr/lib/jvm/bin/java": "elf", "/etc/app/conf": "x", "/tmp/": "", "/usr/share/zoneinfo/UTC": "tz",
	})
	writeFiles(trim, map[string]string{"/usr/lib/jvm/bin/java": "elf", "/etc/app/conf": "x"})
	for _, root := range []string{src, trim} {
		os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755)
		os.Symlink("/etc/alternatives/java", filepath.Join(root, "usr/bin/java"))
		// An absolute link must resolve inside the root, never on the host.
		os.Symlink("/usr/share/zoneinfo/UTC", filepath.Join(root, "etc/localtime"))
	}
	os.MkdirAll(filepath.Join(src, "etc/alternatives"), 0o755)
	os.Symlink("/usr/lib/jvm/bin/java", filepath.Join(src, "etc/alternatives/java"))
	got, err := MissingPaths([]string{"/usr/bin/java", "/etc/app/conf", "/tmp/tmp.XYZ", "/etc/localtime", "/proc/self/maps"}, src, trim)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/etc/alternatives", "/etc/alternatives/java", "/tmp", "/usr/share", "/usr/share/zoneinfo", "/usr/share/zoneinfo/UTC"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestSmokeRunsAsARuntime: a tiny busybox image whose config sets User,
// WorkingDir, Env and no /tmp; the runner gives exactly those, keeps the
// root's files the user's permissions allow (its supplementary groups
// from /etc/group count), makes the missing WorkingDir, and adds no /tmp
// and no variable but HOME.
func TestSmokeRunsAsARuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("runs bwrap and skopeo")
	}
	NeedTool(t, "skopeo", "bwrap", "setpriv", "busybox")
	dir := t.TempDir()
	stage := filepath.Join(dir, "root")
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFiles(stage, map[string]string{
		"/bin/busybox|0755": string(b),
		"/etc/passwd":       "root:x:0:0:root:/root:/bin/sh\nweb:x:33:33::/srv:/bin/sh\n",
		"/etc/group":        "root:x:0:\nweb:x:33:\nlogs:x:4:web\n",
		"/srv/owned/":       "",
		"/srv/data":         "hello\n",
		"/srv/logs|0640":    "group logs may read\n",
	}); err != nil {
		t.Fatal(err)
	}
	layer := filepath.Join(dir, "layer.tar")
	if err := tarTree(stage, layer, map[string][2]int{"/srv/owned": {33, 33}, "/srv/logs": {0, 4}}); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "img.tar")
	script := `echo "id $(/bin/busybox id -u):$(/bin/busybox id -g)"; echo "pwd $(/bin/busybox pwd)"; /bin/busybox env | /bin/busybox sort; ` +
		`if [ -e /tmp ]; then echo "tmp present"; else echo "no tmp"; fi; ` +
		`{ echo x > /srv/data; } 2>/dev/null && echo "wrote root's file" || echo "root's file is read-only"; ` +
		`echo x > /srv/owned/f && echo "wrote own dir"; /bin/busybox cat /srv/data /srv/logs`
	if err := WriteDockerArchiveConfig(archive, "whittle.test/smoke:latest", []ArchiveLayer{{Tar: layer, Gzip: true}}, AppConfig{
		Entrypoint: []string{"/bin/busybox", "sh", "-c"}, Cmd: []string{script},
		Env: []string{"PATH=/bin", "GREETING=a b"}, User: "web", WorkingDir: "/work/dir",
	}); err != nil {
		t.Fatal(err)
	}
	res, err := SmokeImage(archive, SmokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "exit 0\nstdout:\nid 33:33\npwd /work/dir\nGREETING=a b\nHOME=/srv\nPATH=/bin\nPWD=/work/dir\nSHLVL=1\nno tmp\nroot's file is read-only\nwrote own dir\nhello\ngroup logs may read\n\nstderr:\n"
	if res.Output != want {
		t.Errorf("got\n%s\nwant\n%s", res.Output, want)
	}
	if res.Cwd != "/work/dir" || res.UID != 33 {
		t.Errorf("ran in %s as %d", res.Cwd, res.UID)
	}
}
