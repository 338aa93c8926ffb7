package analyze

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The fixture image every source test opens: two layers, the second
// overwriting a file, deleting a directory and making another opaque.
//
//	layer 1: /etc/app.conf 100, /usr/bin/tool 5000, /usr/share/doc/tool/README 300,
//	         /usr/lib/libx.so 2000, /usr/lib/libx.so.1 -> libx.so, /var/cache/pkg/big 4000
//	layer 2: /etc/app.conf 120 (overwrite), whiteout /var/cache,
//	         opaque /usr/share/doc, /usr/share/doc/NEW 10
var fixtureLayers = [][]tarEntry{
	{
		dir("etc/"), file("etc/app.conf", 100, 'a'), dir("usr/"), dir("usr/bin/"), tarEntry{name: "usr/bin/tool", typ: tar.TypeReg, size: 5000, fill: 't', mode: 0o755},
		dir("usr/share/"), dir("usr/share/doc/"), dir("usr/share/doc/tool/"), file("usr/share/doc/tool/README", 300, 'r'),
		dir("usr/lib/"), file("usr/lib/libx.so", 2000, 'x'), symlink("usr/lib/libx.so.1", "libx.so"),
		dir("var/"), dir("var/cache/"), dir("var/cache/pkg/"), file("var/cache/pkg/big", 4000, 'c'),
	},
	{
		file("etc/app.conf", 120, 'A'), whiteout("var", "cache"), dir("usr/share/doc/"), opaque("usr/share/doc"), file("usr/share/doc/NEW", 10, 'n'),
	},
}

// What every source must report for the fixture, and for its flattened
// root file system (dir:, rootfs-tar:).
const (
	fixtureContent = 100 + 5000 + 300 + 2000 + 4000 + 120 + 10
	fixtureVisible = 120 + 5000 + 2000 + 10
	fixtureWasted  = 100 + 4000 + 300
)

var fixtureFiles = []string{"/etc/app.conf", "/usr/bin/tool", "/usr/lib/libx.so", "/usr/share/doc/NEW"}

// fixtureImage builds the fixture as a go-containerregistry image with
// gzip layers, a config with Env, Entrypoint and history, and the given
// marker file at /arch (to tell platforms apart; "" for none).
func fixtureImage(t testing.TB, arch string) v1.Image {
	t.Helper()
	img := empty.Image
	layers := fixtureLayers
	if arch != "" {
		layers = append([][]tarEntry{}, layers...)
		layers[1] = append(append([]tarEntry{}, layers[1]...), file("arch", len(arch), arch[0]))
	}
	var adds []mutate.Addendum
	for i, l := range layers {
		b := tarBytes(t, l...)
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

// writeFixtureRootfs writes the fixture's final file system into dir.
func writeFixtureRootfs(t testing.TB, dir string) {
	t.Helper()
	for p, e := range map[string]struct {
		size int
		fill byte
		mode os.FileMode
	}{
		"etc/app.conf": {120, 'A', 0o644}, "usr/bin/tool": {5000, 't', 0o755}, "usr/lib/libx.so": {2000, 'x', 0o644}, "usr/share/doc/NEW": {10, 'n', 0o644},
	} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, bytes.Repeat([]byte{e.fill}, e.size), e.mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("libx.so", filepath.Join(dir, "usr/lib/libx.so.1")); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "var"), 0o755)
}

// gzipFile compresses src into dst.
func gzipFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// openIndexed opens and indexes a reference with no cache.
func openIndexed(t testing.TB, ref string, opts Options) (*Image, *Index) {
	t.Helper()
	im, err := Open(context.Background(), ref, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", ref, err)
	}
	t.Cleanup(func() { im.Close() })
	ix, err := im.Index(context.Background(), IndexOptions{})
	if err != nil {
		t.Fatalf("Index(%s): %v", ref, err)
	}
	return im, ix
}

func visibleFiles(ix *Index) []string {
	var files []string
	ix.Root.Walk(func(n *Node) bool {
		if n.Entry.Type == TypeRegular || n.Entry.Type == TypeHardlink {
			files = append(files, n.Path())
		}
		return true
	})
	return files
}

func writeFile(p string, b []byte) error { return os.WriteFile(p, b, 0o644) }
