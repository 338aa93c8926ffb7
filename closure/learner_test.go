package closure

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// TestLearner: with a Learner at the index, a cold closure reads no layer
// again (ELF facts, package database, configuration, a sourced library), and with a cache the next run's closure (other roots, so not the
// cached closure) reads none either. The layer is zeroed after the index,
// but for its first header, so any read of it fails.
func TestLearner(t *testing.T) {
	elfBytes, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Skip("no /bin/true to use as an ELF file")
	}
	tarball, err := reprotar.Bytes([]reprotar.File{
		reg("/usr/bin/true", string(elfBytes), 0o755),
		reg("/usr/lib/x86_64-linux-gnu/libfake.so.1", string(elfBytes), 0o644),
		reg("/usr/bin/entry.sh", "#!/bin/sh\nset -e\n. /usr/lib/tools/lib.sh\nexec true \"$@\"\n", 0o755),
		reg("/usr/lib/tools/lib.sh", "# sourced by entry.sh\nhelper() { env; }\n", 0o644),
		reg("/usr/bin/other.sh", "#!/bin/sh\nexec entry.sh\n", 0o755),
		reg("/bin/sh", "\x7fELF not really", 0o755),
		reg("/var/lib/dpkg/status", "Package: tools\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n\n", 0o644),
		reg("/var/lib/dpkg/info/tools.list", "/usr/bin/true\n/usr/bin/entry.sh\n", 0o644),
		reg("/etc/nsswitch.conf", "passwd: files\nhosts: files dns\n", 0o644),
		reg("/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n", 0o644),
		reg("/usr/share/doc/tools/README", "words", 0o644),
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pristine := filepath.Join(dir, "pristine.tar")
	p := filepath.Join(dir, "root.tar")
	for _, f := range []string{pristine, p} {
		if err := os.WriteFile(f, tarball, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	open := func(path string) *source.Image {
		t.Helper()
		im, err := source.Open(context.Background(), "rootfs-tar:"+path, source.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { im.Close() })
		return im
	}
	build := func(im *source.Image, ix *analyze.Index, opts Options) []byte {
		t.Helper()
		c, err := Build(context.Background(), im, ix, opts)
		if err != nil {
			t.Fatal(err)
		}
		return rendered(t, c)
	}
	reference := func(roots ...string) []byte {
		im := open(pristine)
		ix, err := analyze.IndexImage(context.Background(), im, analyze.IndexOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return build(im, ix, Options{Roots: roots})
	}
	cache := &analyze.Cache{Dir: t.TempDir()}
	im := open(p)
	learner := NewLearner(cache)
	ix, err := analyze.IndexImage(context.Background(), im, analyze.IndexOptions{Cache: cache, Learner: learner})
	if err != nil {
		t.Fatal(err)
	}
	// Keep the first header, which opening the image looks at; zero the
	// rest. The time is kept, so the cache still knows the file.
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	zeroed := append(append([]byte(nil), tarball[:512]...), make([]byte, len(tarball)-512)...)
	if err := os.WriteFile(p, zeroed, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
	got := build(im, ix, Options{Roots: []string{"/usr/bin/entry.sh"}, Learned: learner, Cache: cache})
	if want := reference("/usr/bin/entry.sh"); !bytes.Equal(got, want) {
		t.Errorf("closure from the learner differs from one read from the layer:\n%s\nwant:\n%s", got, want)
	}
	if !bytes.Contains(got, []byte("runs")) || !bytes.Contains(got, []byte("bad-elf")) || !bytes.Contains(got, []byte("/usr/lib/tools/lib.sh")) {
		t.Errorf("the closure lacks the script's runs edge or the bad ELF:\n%s", got)
	}
	// The next run: the index from the cache, no learner, other roots.
	im2 := open(p)
	ix2, err := analyze.IndexImage(context.Background(), im2, analyze.IndexOptions{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	got = build(im2, ix2, Options{Roots: []string{"/usr/bin/other.sh", "tools"}, Cache: cache})
	if want := reference("/usr/bin/other.sh", "tools"); !bytes.Equal(got, want) {
		t.Errorf("closure from the cache the learner filled differs:\n%s\nwant:\n%s", got, want)
	}
}
