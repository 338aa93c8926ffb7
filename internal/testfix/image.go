package testfix

import (
	"archive/tar"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TarEntry is one entry of a synthetic layer: a name exactly as written in
// the tar (so "./a", "a" and "/a" can be tested), a type, and for regular
// files Size bytes of Fill (files with the same fill and size are
// duplicates); for links a target. Mode 0 means 0644.
type TarEntry struct {
	Name string
	Typ  byte
	Size int
	Fill byte
	Link string
	Mode int64
}

// FileEntry is a regular file of size bytes of fill.
func FileEntry(name string, size int, fill byte) TarEntry {
	return TarEntry{Name: name, Typ: tar.TypeReg, Size: size, Fill: fill}
}

// DirEntry is a directory.
func DirEntry(name string) TarEntry { return TarEntry{Name: name, Typ: tar.TypeDir} }

// SymlinkEntry is a symbolic link to to.
func SymlinkEntry(name, to string) TarEntry {
	return TarEntry{Name: name, Typ: tar.TypeSymlink, Link: to}
}

// HardlinkEntry is a tar hardlink to the entry named to.
func HardlinkEntry(name, to string) TarEntry {
	return TarEntry{Name: name, Typ: tar.TypeLink, Link: to}
}

// Whiteout deletes dir/name from the layers below (an OCI whiteout file).
func Whiteout(dir, name string) TarEntry {
	return FileEntry(strings.TrimSuffix(dir, "/")+"/.wh."+name, 0, 0)
}

// Opaque hides everything the layers below hold under dir.
func Opaque(dir string) TarEntry {
	return FileEntry(strings.TrimSuffix(dir, "/")+"/.wh..wh..opq", 0, 0)
}

// TarBytes writes entries as an uncompressed tar, in order.
func TarBytes(t testing.TB, entries ...TarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		mode := e.Mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Name: e.Name, Typeflag: e.Typ, Size: int64(e.Size), Linkname: e.Link, Mode: mode}
		if e.Typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if e.Typ == tar.TypeReg {
			tw.Write(bytes.Repeat([]byte{e.Fill}, e.Size))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FixtureLayers is the fixture image every source test opens: two layers,
// the second overwriting a file, deleting a directory and making another
// opaque.
//
//	layer 1: /etc/app.conf 100, /usr/bin/tool 5000, /usr/share/doc/tool/README 300,
//	         /usr/lib/libx.so 2000, /usr/lib/libx.so.1 -> libx.so, /var/cache/pkg/big 4000
//	layer 2: /etc/app.conf 120 (overwrite), whiteout /var/cache,
//	         opaque /usr/share/doc, /usr/share/doc/NEW 10
var FixtureLayers = [][]TarEntry{
	{
		DirEntry("etc/"), FileEntry("etc/app.conf", 100, 'a'), DirEntry("usr/"), DirEntry("usr/bin/"), TarEntry{Name: "usr/bin/tool", Typ: tar.TypeReg, Size: 5000, Fill: 't', Mode: 0o755},
		DirEntry("usr/share/"), DirEntry("usr/share/doc/"), DirEntry("usr/share/doc/tool/"), FileEntry("usr/share/doc/tool/README", 300, 'r'),
		DirEntry("usr/lib/"), FileEntry("usr/lib/libx.so", 2000, 'x'), SymlinkEntry("usr/lib/libx.so.1", "libx.so"),
		DirEntry("var/"), DirEntry("var/cache/"), DirEntry("var/cache/pkg/"), FileEntry("var/cache/pkg/big", 4000, 'c'),
	},
	{
		FileEntry("etc/app.conf", 120, 'A'), Whiteout("var", "cache"), DirEntry("usr/share/doc/"), Opaque("usr/share/doc"), FileEntry("usr/share/doc/NEW", 10, 'n'),
	},
}

// What every source must report for the fixture (bytes of regular files),
// and for its flattened root file system (dir:, rootfs-tar:).
const (
	FixtureContent = 100 + 5000 + 300 + 2000 + 4000 + 120 + 10
	FixtureVisible = 120 + 5000 + 2000 + 10
	FixtureWasted  = 100 + 4000 + 300
)

// FixtureFiles are the fixture's visible regular files.
var FixtureFiles = []string{"/etc/app.conf", "/usr/bin/tool", "/usr/lib/libx.so", "/usr/share/doc/NEW"}

// FixtureImage builds the fixture as a go-containerregistry image with
// gzip layers, a config with Env, Entrypoint and history, and the given
// marker file at /arch (to tell platforms apart; "" for none).
func FixtureImage(t testing.TB, arch string) v1.Image {
	t.Helper()
	img := empty.Image
	layers := FixtureLayers
	if arch != "" {
		layers = append([][]TarEntry{}, layers...)
		layers[1] = append(append([]TarEntry{}, layers[1]...), FileEntry("arch", len(arch), arch[0]))
	}
	var adds []mutate.Addendum
	for i, l := range layers {
		b := TarBytes(t, l...)
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
		if err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: []string{"ADD rootfs /", "RUN cleanup"}[i], Created: v1.Time{Time: time.Unix(1700000000, 0)}}})
	}
	img, err := mutate.Append(img, adds...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	if arch != "" {
		cf.Architecture = arch
	}
	cf.Config.Env = []string{"PATH=/usr/bin"}
	cf.Config.Entrypoint = []string{"/usr/bin/tool"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
