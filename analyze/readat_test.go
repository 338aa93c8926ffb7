package analyze

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// readAtFixture writes a root file system tarball of regular files (one
// of them empty, one a multi-block file), indexes it, and returns its
// path, the index and each file's content.
func readAtFixture(t *testing.T) (string, *source.Image, *Index, map[string]string) {
	t.Helper()
	want := map[string]string{
		"/a/first":  "the first file",
		"/a/empty":  "",
		"/b/big":    strings.Repeat("0123456789", 700),
		"/c/last":   "last",
		"/c/link-x": "not a link",
	}
	var files []reprotar.File
	for p, c := range want {
		files = append(files, reprotar.File{Path: p, Kind: reprotar.Regular, Mode: 0o644, Data: []byte(c)})
	}
	files = append(files, reprotar.File{Path: "/c/sym", Kind: reprotar.Symlink, Mode: 0o777, Link: "last"})
	tarball, err := reprotar.Bytes(files)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "root.tar")
	if err := os.WriteFile(p, tarball, 0o644); err != nil {
		t.Fatal(err)
	}
	im, err := source.Open(context.Background(), "rootfs-tar:"+p, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { im.Close() })
	ix, err := IndexImage(context.Background(), im, IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p, im, ix, want
}

// TestEntryOffsets: each regular file's recorded offset is where tar's
// own reader finds its bytes in the stream.
func TestEntryOffsets(t *testing.T) {
	p, _, ix, want := readAtFixture(t)
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range ix.Layers[0].Entries {
		if e.Type != TypeRegular {
			if e.Offset != 0 {
				t.Errorf("%s (type %v) has offset %d", e.Path, e.Type, e.Offset)
			}
			continue
		}
		seen++
		if e.Size == 0 {
			if e.Offset != 0 {
				t.Errorf("empty %s has offset %d", e.Path, e.Offset)
			}
			continue
		}
		if got := string(raw[e.Offset : e.Offset+e.Size]); got != want[e.Path] {
			t.Errorf("%s: bytes at offset %d are %.20q, want %.20q", e.Path, e.Offset, got, want[e.Path])
		}
	}
	if seen != len(want) {
		t.Errorf("%d regular entries, want %d", seen, len(want))
	}
}

// TestReadFilesAt: from an uncompressed file-backed layer, ReadFiles
// reads each wanted file where it lies: the same bytes as the ordered
// read, nothing else of the layer (a damaged header before them does not
// matter, while it stops ReadContents, which reads in order), and a file
// rewritten since the index is an error.
func TestReadFilesAt(t *testing.T) {
	p, im, ix, want := readAtFixture(t)
	wanted := func(n *Node) bool { return strings.HasPrefix(n.Path(), "/b/") || strings.HasPrefix(n.Path(), "/c/") }
	read := func(ordered bool) (map[string]string, error) {
		got := map[string]string{}
		collect := func(n *Node, r io.Reader) error {
			b, err := io.ReadAll(r)
			got[n.Path()] = string(b)
			return err
		}
		if ordered {
			return got, ReadContents(context.Background(), im, ix, wanted, func(n *Node, _ *tar.Header, r io.Reader) error { return collect(n, r) })
		}
		return got, ReadFiles(context.Background(), im, ix, wanted, collect)
	}
	at, err := read(false)
	if err != nil {
		t.Fatal(err)
	}
	if len(at) != 3 || at["/b/big"] != want["/b/big"] || at["/c/last"] != "last" || at["/c/link-x"] != "not a link" {
		t.Errorf("ReadFiles: %q", at)
	}
	// Damage /a/first's header (the layer's first entries): an ordered
	// read fails, a read at the offsets does not go there.
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	first := ix.Layers[0].Entries[0]
	for _, e := range ix.Layers[0].Entries {
		if e.Path == "/a/first" {
			first = e
		}
	}
	copy(raw[first.Offset-512:first.Offset], bytes.Repeat([]byte{0xff}, 512))
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := read(true); err == nil {
		t.Fatal("ReadContents read past a damaged header")
	}
	again, err := read(false)
	if err != nil || len(again) != 3 || again["/b/big"] != want["/b/big"] {
		t.Fatalf("ReadFiles after damage before its files: %v, %q", err, again)
	}
	// Rewrite /b/big in place, same size: the hash catches it.
	for _, e := range ix.Layers[0].Entries {
		if e.Path == "/b/big" {
			raw[e.Offset+10] ^= 1
		}
	}
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := read(false); err == nil || !strings.Contains(err.Error(), "/b/big changed since the layer was indexed") {
		t.Errorf("ReadFiles of a rewritten file: %v", err)
	}
}

// TestSparseFilesReadInOrder: GNU tar's sparse files (old GNU and PAX
// formats) get no offset, their stored bytes not being the file, and
// ReadFiles still returns their whole content (holes as zeros), as GNU
// tar extracts it.
func TestSparseFilesReadInOrder(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("no tar")
	}
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	os.MkdirAll(filepath.Join(tree, "usr/lib"), 0o755)
	f, err := os.Create(filepath.Join(tree, "usr/lib/libholes.so.1"))
	if err != nil {
		t.Fatal(err)
	}
	f.Write(append([]byte("\x7fELF"), bytes.Repeat([]byte("x"), 4092)...))
	f.Seek(4<<12, io.SeekStart) // a hole of whole file system blocks
	f.Write(bytes.Repeat([]byte("tail"), 1024))
	f.Close()
	want, _ := os.ReadFile(filepath.Join(tree, "usr/lib/libholes.so.1"))
	for _, format := range []string{"gnu", "posix"} {
		t.Run(format, func(t *testing.T) {
			p := filepath.Join(dir, format+".tar")
			if out, err := exec.Command("tar", "--sparse", "--format="+format, "-C", tree, "-cf", p, "usr").CombinedOutput(); err != nil {
				t.Fatalf("tar: %v\n%s", err, out)
			}
			im, err := source.Open(context.Background(), "rootfs-tar:"+p, source.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer im.Close()
			ix, err := IndexImage(context.Background(), im, IndexOptions{})
			if err != nil {
				t.Fatal(err)
			}
			n := ix.Root.Lookup("/usr/lib/libholes.so.1")
			if n == nil || n.Content == nil {
				t.Fatal("the sparse file is not in the index")
			}
			if n.Content.Offset != 0 {
				t.Errorf("sparse file has offset %d", n.Content.Offset)
			}
			var got []byte
			err = ReadFiles(context.Background(), im, ix, func(m *Node) bool { return m == n }, func(_ *Node, r io.Reader) error {
				got, err = io.ReadAll(r)
				return err
			})
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("ReadFiles: %v, %d bytes (want %d, equal %v)", err, len(got), len(want), bytes.Equal(got, want))
			}
		})
	}
}

func TestSparseHeader(t *testing.T) {
	for _, tc := range []struct {
		hdr  tar.Header
		want bool
	}{
		{tar.Header{Typeflag: tar.TypeReg}, false},
		{tar.Header{Typeflag: tar.TypeGNUSparse}, true},
		{tar.Header{Typeflag: tar.TypeReg, PAXRecords: map[string]string{"GNU.sparse.major": "1"}}, true},
		{tar.Header{Typeflag: tar.TypeReg, PAXRecords: map[string]string{"mtime": "1"}}, false},
	} {
		if got := sparse(&tc.hdr); got != tc.want {
			t.Errorf("sparse(%c, %v) = %v", tc.hdr.Typeflag, tc.hdr.PAXRecords, got)
		}
	}
}
