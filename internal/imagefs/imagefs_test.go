package imagefs

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func link(target string) *fstest.MapFile {
	return &fstest.MapFile{Mode: fs.ModeSymlink | 0o777, Data: []byte(target)}
}

func testFS() fstest.MapFS {
	fsys := fstest.MapFS{
		"usr/bin/bash":                       {Data: []byte("bash")},
		"usr/bin/dash":                       {Data: []byte("dash")},
		"usr/bin/sh":                         link("dash"),
		"usr/lib/x86_64-linux-gnu/libc.so":   {Data: []byte("libc")},
		"bin":                                link("usr/bin"),
		"lib":                                link("/usr/lib"),
		"lib64":                              link("lib"),
		"usr/lib/x86_64-linux-gnu/libc.so.6": link("libc.so"),
		"usr/share/zoneinfo/posix":           link("."),
		"usr/share/zoneinfo/UTC":             {Data: []byte("TZif")},
		"etc/localtime":                      link("/usr/share/zoneinfo/posix/UTC"),
		"loop/a":                             link("b"),
		"loop/b":                             link("a"),
		"loop/self":                          link("self"),
		"loop/dir":                           link("dir/x"),
		"escape":                             link("../../../../usr/bin"),
		"escape2":                            link("/../../usr/../../bin"),
		"dangling":                           link("/nowhere"),
		"deep/d0":                            {Data: []byte("end")},
	}
	// deep/d40 -> d39 -> ... -> d0: 40 links, as many as Linux follows.
	for i := 1; i <= MaxLinks+1; i++ {
		fsys[fmt.Sprintf("deep/d%d", i)] = link(fmt.Sprintf("d%d", i-1))
	}
	return fsys
}

func TestWalk(t *testing.T) {
	fsys := testFS()
	tests := []struct {
		in        string
		mode      Mode
		want      string
		wantLinks []string
	}{
		// Parent symlinks, relative and absolute targets.
		{"/bin/bash", Follow, "/usr/bin/bash", []string{"/bin"}},
		{"bin/bash", Follow, "/usr/bin/bash", []string{"/bin"}},
		{"/lib/x86_64-linux-gnu/libc.so.6", Follow, "/usr/lib/x86_64-linux-gnu/libc.so", []string{"/lib", "/usr/lib/x86_64-linux-gnu/libc.so.6"}},
		// A chain of links: lib64 -> lib -> /usr/lib.
		{"/lib64/x86_64-linux-gnu/libc.so", Follow, "/usr/lib/x86_64-linux-gnu/libc.so", []string{"/lib64", "/lib"}},
		// Parent and final link: /bin/sh -> /usr/bin/dash.
		{"/bin/sh", Follow, "/usr/bin/dash", []string{"/bin", "/usr/bin/sh"}},
		{"/bin/sh", NoFollow, "/usr/bin/sh", []string{"/bin"}},
		{"/bin", NoFollow, "/bin", nil},
		{"/bin", Follow, "/usr/bin", []string{"/bin"}},
		// posix -> . refers to its own directory: not a loop.
		{"/usr/share/zoneinfo/posix/UTC", Follow, "/usr/share/zoneinfo/UTC", []string{"/usr/share/zoneinfo/posix"}},
		{"/usr/share/zoneinfo/posix/posix/posix/UTC", Follow, "/usr/share/zoneinfo/UTC", []string{"/usr/share/zoneinfo/posix", "/usr/share/zoneinfo/posix", "/usr/share/zoneinfo/posix"}},
		{"/etc/localtime", Follow, "/usr/share/zoneinfo/UTC", []string{"/etc/localtime", "/usr/share/zoneinfo/posix"}},
		// ".." never climbs above the root, in a path or in a target.
		{"/escape/bash", Follow, "/usr/bin/bash", []string{"/escape"}},
		{"/escape2/bash", Follow, "/usr/bin/bash", []string{"/escape2", "/bin"}},
		{"/usr/../../bin/./bash", Follow, "/usr/bin/bash", []string{"/bin"}},
		{"/../../..", Follow, "/", nil},
		// ".." after a link applies to where the link led, as in the kernel.
		{"/bin/../lib/x86_64-linux-gnu/libc.so", Follow, "/usr/lib/x86_64-linux-gnu/libc.so", []string{"/bin"}},
		{"/", Follow, "/", nil},
		{"", Follow, "/", nil},
		// MaxLinks links are followed; the next one is a loop (below).
		{fmt.Sprintf("/deep/d%d", MaxLinks), Follow, "/deep/d0", nil},
		{fmt.Sprintf("/deep/d%d", MaxLinks+1), NoFollow, fmt.Sprintf("/deep/d%d", MaxLinks+1), nil},
		{"/loop/a", NoFollow, "/loop/a", nil},
	}
	for _, tt := range tests {
		_, got, err := Walk[string](FSTree{fsys}, tt.in, tt.mode)
		if err != nil {
			t.Errorf("Walk(%q, %d): %v", tt.in, tt.mode, err)
			continue
		}
		if strings.HasPrefix(tt.in, "/deep/") && tt.mode == Follow {
			if len(got.Links) != MaxLinks {
				t.Errorf("Walk(%q) followed %d links, want %d", tt.in, len(got.Links), MaxLinks)
			}
			tt.wantLinks = got.Links
		}
		if got.Path != tt.want || !reflect.DeepEqual(got.Links, tt.wantLinks) || got.Named != Clean(tt.in) {
			t.Errorf("Walk(%q, %d) = %q %q (named %q), want %q %q", tt.in, tt.mode, got.Path, got.Links, got.Named, tt.want, tt.wantLinks)
		}
	}
}

func TestWalkErrors(t *testing.T) {
	fsys := testFS()
	tests := []struct {
		in       string
		mode     Mode
		want     error
		wantPath string // Resolved.Path on the error: where a missing entry would be
	}{
		{"/loop/a", Follow, ErrLoop, ""},
		{"/loop/a/x", NoFollow, ErrLoop, ""},
		{"/loop/self", Follow, ErrLoop, ""},
		{"/loop/dir", Follow, ErrLoop, ""},
		{fmt.Sprintf("/deep/d%d", MaxLinks+1), Follow, ErrLoop, ""},
		{"/dangling", Follow, fs.ErrNotExist, "/nowhere"},
		{"/bin/nope", NoFollow, fs.ErrNotExist, "/usr/bin/nope"},
		{"/usr/bin/bash/x", Follow, ErrNotDir, "/usr/bin/bash"},
		{"/bin/sh/x", Follow, ErrNotDir, "/usr/bin/dash"},
		{"/usr/nope/x", Follow, fs.ErrNotExist, ""},
	}
	for _, tt := range tests {
		_, got, err := Walk[string](FSTree{fsys}, tt.in, tt.mode)
		if !errors.Is(err, tt.want) {
			t.Errorf("Walk(%q) error = %v, want %v", tt.in, err, tt.want)
		}
		var pe *fs.PathError
		if !errors.As(err, &pe) || pe.Path != Clean(tt.in) {
			t.Errorf("Walk(%q) error %v is not a PathError naming the path", tt.in, err)
		}
		if got.Path != tt.wantPath {
			t.Errorf("Walk(%q) error path %q, want %q", tt.in, got.Path, tt.wantPath)
		}
	}
}

// checkFS is an fs.FS that fails the test when it is handed a name whose
// parent directories hold a symlink: the resolver must follow the image's
// links itself, never let the file system do it.
type checkFS struct {
	t *testing.T
	fstest.MapFS
}

func (c checkFS) check(name string) {
	c.t.Helper()
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		if f, ok := c.MapFS[d]; ok && f.Mode&fs.ModeSymlink != 0 {
			c.t.Errorf("file system handed %q, through the link %q", name, d)
		}
	}
}

func (c checkFS) Open(name string) (fs.File, error) { c.check(name); return c.MapFS.Open(name) }
func (c checkFS) Lstat(name string) (fs.FileInfo, error) {
	c.check(name)
	return c.MapFS.Lstat(name)
}
func (c checkFS) ReadLink(name string) (string, error) {
	c.check(name)
	return c.MapFS.ReadLink(name)
}

func TestOpenAndReadFile(t *testing.T) {
	fsys := checkFS{t, testFS()}
	data, err := ReadFile(fsys, "/lib/x86_64-linux-gnu/libc.so.6", 100)
	if err != nil || string(data) != "libc" {
		t.Errorf("ReadFile = %q, %v", data, err)
	}
	if _, err := ReadFile(fsys, "/lib/x86_64-linux-gnu/libc.so.6", 3); err == nil {
		t.Error("ReadFile over the limit succeeded")
	}
	if _, err := Open(fsys, "/usr/share/zoneinfo/posix"); err == nil {
		t.Error("Open of a directory succeeded")
	}
	if _, err := ReadFile(fsys, "/dangling", 10); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(dangling) error = %v", err)
	}
	res, info, err := Stat(fsys, "/bin/sh")
	if err != nil || res.Path != "/usr/bin/dash" || !info.Mode().IsRegular() || res.String() != "/bin/sh → /usr/bin/dash" {
		t.Errorf("Stat = %+v %v %v", res, info, err)
	}
	res, info, err = Lstat(fsys, "/bin/sh")
	if err != nil || res.Path != "/usr/bin/sh" || info.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Lstat = %+v %v %v", res, info, err)
	}
	ents, res, err := ReadDir(fsys, "/usr/share/zoneinfo/posix")
	if err != nil || res.Path != "/usr/share/zoneinfo" || len(ents) != 2 {
		t.Errorf("ReadDir = %v %+v %v", ents, res, err)
	}
	data, res, err = ReadFileResolved(fsys, "etc/localtime", 10)
	if err != nil || string(data) != "TZif" || res.Path != "/usr/share/zoneinfo/UTC" {
		t.Errorf("ReadFileResolved = %q %+v %v", data, res, err)
	}
}

func TestResolveParent(t *testing.T) {
	fsys := testFS()
	tests := []struct{ in, want string }{
		{"/bin/bash", "/usr/bin/bash"},
		{"/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6"},
		{"/bin/not-there", "/usr/bin/not-there"},
		{"/dangling", "/dangling"},
	}
	for _, tt := range tests {
		got, err := ResolveParent(fsys, tt.in)
		if err != nil {
			t.Errorf("ResolveParent(%q): %v", tt.in, err)
			continue
		}
		if got.Path != tt.want {
			t.Errorf("ResolveParent(%q) = %q, want %q", tt.in, got.Path, tt.want)
		}
	}
	if _, err := ResolveParent(fsys, "/usr/nope/x"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ResolveParent through a missing directory: %v", err)
	}
}

func TestResolvedString(t *testing.T) {
	for _, tc := range []struct {
		r    Resolved
		want string
	}{
		{Resolved{Named: "/bin/sh", Path: "/usr/bin/dash"}, "/bin/sh → /usr/bin/dash"},
		{Resolved{Named: "/usr/bin/dash", Path: "/usr/bin/dash"}, "/usr/bin/dash"},
		{Resolved{Path: "/x"}, "/x"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.r, got, tc.want)
		}
	}
}

func TestNameClean(t *testing.T) {
	for in, want := range map[string]string{"/": ".", "/usr/lib": "usr/lib", "usr/lib/": "usr/lib", "./a/../b": "b"} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"./a/b": "/a/b", "a/b/": "/a/b", "/a//b": "/a/b", "": "/"} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}
