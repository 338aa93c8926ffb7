package analyze

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/testfix"
)

var (
	fixtureImage  = testfix.FixtureImage
	fixtureLayers = testfix.FixtureLayers
	fixtureFiles  = testfix.FixtureFiles
)

const (
	fixtureContent = testfix.FixtureContent
	fixtureVisible = testfix.FixtureVisible
	fixtureWasted  = testfix.FixtureWasted
)

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
func openIndexed(t testing.TB, ref string, opts source.Options) (*source.Image, *Index) {
	t.Helper()
	im, err := source.Open(context.Background(), ref, opts)
	if err != nil {
		t.Fatalf("source.Open(%s): %v", ref, err)
	}
	t.Cleanup(func() { im.Close() })
	ix, err := IndexImage(context.Background(), im, IndexOptions{})
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
