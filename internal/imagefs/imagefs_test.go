package imagefs

import (
	"errors"
	"io/fs"
	"reflect"
	"testing"
	"testing/fstest"
)

func link(target string) *fstest.MapFile {
	return &fstest.MapFile{Mode: fs.ModeSymlink | 0o777, Data: []byte(target)}
}

func testFS() fstest.MapFS {
	return fstest.MapFS{
		"usr/bin/bash":                       {Data: []byte("bash")},
		"usr/lib/x86_64-linux-gnu/libc.so":   {Data: []byte("libc")},
		"bin":                                link("usr/bin"),
		"lib":                                link("/usr/lib"),
		"usr/lib/x86_64-linux-gnu/libc.so.6": link("libc.so"),
		"usr/share/zoneinfo/posix":           link("."),
		"usr/share/zoneinfo/UTC":             {Data: []byte("TZif")},
		"loop/a":                             link("b"),
		"loop/b":                             link("a"),
		"escape":                             link("../../../../usr/bin"),
		"dangling":                           link("/nowhere"),
	}
}

func TestResolve(t *testing.T) {
	fsys := testFS()
	tests := []struct {
		in        string
		want      string
		wantLinks []string
	}{
		{"/bin/bash", "/usr/bin/bash", []string{"/bin"}},
		{"bin/bash", "/usr/bin/bash", []string{"/bin"}},
		{"/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so", []string{"/lib", "/usr/lib/x86_64-linux-gnu/libc.so.6"}},
		{"/usr/share/zoneinfo/posix/posix/posix/UTC", "/usr/share/zoneinfo/UTC", []string{"/usr/share/zoneinfo/posix", "/usr/share/zoneinfo/posix", "/usr/share/zoneinfo/posix"}},
		{"/escape/bash", "/usr/bin/bash", []string{"/escape"}},
		{"/usr/../../bin/./bash", "/usr/bin/bash", []string{"/bin"}},
		{"/", "/", nil},
	}
	for _, tt := range tests {
		got, err := Resolve(fsys, tt.in)
		if err != nil {
			t.Errorf("Resolve(%q): %v", tt.in, err)
			continue
		}
		if got.Path != tt.want || !reflect.DeepEqual(got.Links, tt.wantLinks) {
			t.Errorf("Resolve(%q) = %q %q, want %q %q", tt.in, got.Path, got.Links, tt.want, tt.wantLinks)
		}
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
}

func TestResolveErrors(t *testing.T) {
	fsys := testFS()
	tests := []struct {
		in   string
		want error
	}{
		{"/loop/a", ErrLoop},
		{"/dangling", fs.ErrNotExist},
		{"/usr/bin/bash/x", ErrNotDir},
		{"/usr/nope/x", fs.ErrNotExist},
	}
	for _, tt := range tests {
		_, err := Resolve(fsys, tt.in)
		if !errors.Is(err, tt.want) {
			t.Errorf("Resolve(%q) error = %v, want %v", tt.in, err, tt.want)
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

func TestOpenAndReadFile(t *testing.T) {
	fsys := testFS()
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
	res, info, err := Stat(fsys, "/bin/bash")
	if err != nil || res.Path != "/usr/bin/bash" || !info.Mode().IsRegular() {
		t.Errorf("Stat = %+v %v %v", res, info, err)
	}
}
