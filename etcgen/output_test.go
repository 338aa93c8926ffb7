package etcgen

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

func TestLayerValid(t *testing.T) {
	out := planSynthetic(t, goldenSelection())
	l, err := out.Layer()
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Layer(l); err != nil {
		t.Fatalf("validate.Layer: %v", err)
	}
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if !h.ModTime.Equal(reprotar.Epoch) || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: mtime %v, owner names %q/%q", h.Name, h.ModTime, h.Uname, h.Gname)
		}
		if h.Name == "home/nonroot/" && (h.Uid != 65532 || h.Gid != 65532 || h.Mode != 0o700) {
			t.Errorf("home/nonroot/ is %d:%d %o", h.Uid, h.Gid, h.Mode)
		}
		if h.Name == "tmp/" && h.Mode != 0o1777 {
			t.Errorf("tmp/ mode %o", h.Mode)
		}
		if h.Name == "etc/passwd" && (h.Uid != 0 || h.Gid != 0) {
			t.Errorf("etc/passwd is %d:%d", h.Uid, h.Gid)
		}
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Errorf("entries not sorted: %q before %q", names[i-1], names[i])
		}
	}
}

func TestWriteTar(t *testing.T) {
	out := planSynthetic(t, goldenSelection())
	dir := t.TempDir()
	p := filepath.Join(dir, "layer.tar")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := out.WriteTar(p); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want, err := out.Tar()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("layer.tar differs from Output.Tar")
	}
	l, _ := out.Layer()
	diff, _ := l.DiffID()
	h, _, _ := v1.SHA256(bytes.NewReader(got))
	if h != diff {
		t.Errorf("file digest %s, layer diff ID %s", h, diff)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
	if err := out.WriteTar(filepath.Join(dir, "missing", "layer.tar")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("WriteTar into a missing directory: %v", err)
	}
}

func TestWriteDir(t *testing.T) {
	out := planSynthetic(t, goldenSelection())
	dir := filepath.Join(t.TempDir(), "out")
	for i := 0; i < 2; i++ { // the second run replaces what the first wrote
		if err := out.WriteDir(dir); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
	for _, tc := range []struct {
		path string
		mode os.FileMode
		link string
	}{
		{"etc/services", 0o644, ""},
		{"etc/ssl/cert.pem", os.ModeSymlink | 0o777, "certs/ca-certificates.crt"},
		{"etc/localtime", os.ModeSymlink | 0o777, "../usr/share/zoneinfo/Europe/Riga"},
		{"tmp", os.ModeDir | os.ModeSticky | 0o777, ""},
		{"home/nonroot", os.ModeDir | 0o700, ""},
		{"usr/lib/locale/locale-archive", 0o644, ""},
	} {
		fi, err := os.Lstat(filepath.Join(dir, tc.path))
		if err != nil {
			t.Error(err)
			continue
		}
		if fi.Mode() != tc.mode {
			t.Errorf("%s: mode %v, want %v", tc.path, fi.Mode(), tc.mode)
		}
		if tc.link != "" {
			if l, _ := os.Readlink(filepath.Join(dir, tc.path)); l != tc.link {
				t.Errorf("%s -> %q, want %q", tc.path, l, tc.link)
			}
		}
	}
	// Content through the symlinks resolves inside dir.
	a, _ := os.ReadFile(filepath.Join(dir, "etc/ssl/cert.pem"))
	b, _ := os.ReadFile(filepath.Join(dir, "etc/ssl/certs/ca-certificates.crt"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("cert.pem does not resolve to the bundle")
	}
	if os.Geteuid() == 0 {
		fi, _ := os.Lstat(filepath.Join(dir, "home/nonroot"))
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != 65532 || st.Gid != 65532 {
			t.Errorf("home/nonroot owned by %d:%d", st.Uid, st.Gid)
		}
	}
}

func TestWriteDirRefusesSymlinks(t *testing.T) {
	out := planSynthetic(t, Selection{Services: Names("http")})
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	// A symlink where a directory goes: refused, nothing written outside.
	dir := filepath.Join(base, "a")
	os.MkdirAll(dir, 0o755)
	if err := os.Symlink(outside, filepath.Join(dir, "etc")); err != nil {
		t.Fatal(err)
	}
	err := out.WriteDir(dir)
	if err == nil || !strings.Contains(err.Error(), "refusing to follow the symlink etc") {
		t.Errorf("WriteDir through an etc symlink: %v", err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("files written outside: %v", ents)
	}
	// An absolute symlink where a file goes: replaced, never followed.
	dir = filepath.Join(base, "b")
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	victim := filepath.Join(outside, "victim")
	os.WriteFile(victim, []byte("keep"), 0o644)
	if err := os.Symlink(victim, filepath.Join(dir, "etc", "services")); err != nil {
		t.Fatal(err)
	}
	if err := out.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("the symlink's target was written: %q", b)
	}
	if fi, _ := os.Lstat(filepath.Join(dir, "etc", "services")); fi == nil || !fi.Mode().IsRegular() {
		t.Error("etc/services was not replaced by a regular file")
	}
	// A file where a directory goes is an error.
	dir = filepath.Join(base, "c")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "etc"), nil, 0o644)
	if err := out.WriteDir(dir); err == nil || !strings.Contains(err.Error(), "etc exists and is not a directory") {
		t.Errorf("WriteDir over a file: %v", err)
	}
}
