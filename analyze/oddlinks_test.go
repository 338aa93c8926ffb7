package analyze

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"

	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// extractedCounts extracts a layer with GNU tar and counts what the disk
// holds: regular files (bytes once per inode) and symlinks, by path.
func extractedCounts(t *testing.T, layer []byte) (files, symlinks int, bytesOnce int64, kinds map[string]string) {
	t.Helper()
	testfix.NeedTool(t, "tar")
	dir := t.TempDir()
	cmd := exec.Command("tar", "-x", "-C", dir)
	cmd.Stdin = bytes.NewReader(layer)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar -x: %v\n%s", err, out)
	}
	kinds = map[string]string{}
	seen := map[uint64]bool{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel := "/" + filepath.ToSlash(p[len(dir)+1:])
		switch {
		case fi.Mode().IsRegular():
			files++
			kinds[rel] = "file"
			ino := fi.Sys().(*syscall.Stat_t).Ino
			if !seen[ino] {
				seen[ino] = true
				bytesOnce += fi.Size()
			}
		case fi.Mode()&os.ModeSymlink != 0:
			symlinks++
			kinds[rel] = "symlink"
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, symlinks, bytesOnce, kinds
}

// TestHardlinkToSymlink: a tar hardlink means "the same inode", and the
// inode may be a symlink's. GNU tar's extraction is the oracle.
func TestHardlinkToSymlink(t *testing.T) {
	layer := []tarEntry{
		dir("opt/"), file("opt/real", 40, 'r'), symlink("opt/a", "real"),
		hardlink("opt/b", "opt/a"), hardlink("opt/c", "/opt/real"),
	}
	b := tarBytes(t, layer...)
	files, symlinks, once, kinds := extractedCounts(t, b)
	if files != 2 || symlinks != 2 || once != 40 {
		t.Fatalf("GNU tar extracts %d files, %d symlinks, %d bytes; the test expects 2, 2, 40", files, symlinks, once)
	}
	ix := scanAll(t, layer)
	if ix.Totals.Files != files || ix.Totals.Symlinks != symlinks || ix.Totals.VisibleBytes != once {
		t.Errorf("files/symlinks/visible = %d/%d/%d, GNU tar: %d/%d/%d", ix.Totals.Files, ix.Totals.Symlinks, ix.Totals.VisibleBytes, files, symlinks, once)
	}
	for p, k := range kinds {
		n := ix.Root.Lookup(p)
		got := ""
		if n != nil {
			got = map[Type]string{TypeRegular: "file", TypeHardlink: "file", TypeSymlink: "symlink"}[n.Entry.Type]
		}
		if got != k {
			t.Errorf("%s is a %q in the index, a %s on disk", p, got, k)
		}
	}
	if n := ix.Root.Lookup("/opt/b"); n == nil || n.Entry.Link != "real" {
		t.Errorf("/opt/b: %+v, want a symlink to real", n)
	}
	if len(ix.Findings) != 0 {
		t.Errorf("findings %+v, want none", ix.Findings)
	}
}

// TestAUFSBookkeeping: every path component starting with .wh..wh. is
// layer metadata; files under .wh..wh.plnk are the content hardlinks
// elsewhere share, and appear nowhere in the tree.
func TestAUFSBookkeeping(t *testing.T) {
	ix := scanAll(t, []tarEntry{
		file(".wh..wh.aufs", 0, 0), dir(".wh..wh.orph/"), file(".wh..wh.orph/x", 7, 'o'),
		dir(".wh..wh.plnk/"), file(".wh..wh.plnk/262.1234", 500, 'f'),
		dir("usr/"), dir("usr/bin/"), hardlink("usr/bin/foo", ".wh..wh.plnk/262.1234"), file("usr/bin/bar", 100, 'b'),
	})
	var paths []string
	ix.Root.Walk(func(n *Node) bool {
		paths = append(paths, n.Path())
		return true
	})
	if want := []string{"/", "/usr", "/usr/bin", "/usr/bin/bar", "/usr/bin/foo"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("tree %q, want %q", paths, want)
	}
	if ix.Totals.Files != 2 || ix.Totals.VisibleBytes != 600 || ix.Totals.WastedBytes != 0 || ix.Totals.ContentBytes != 600 {
		t.Errorf("totals %+v, want 2 files, 600 visible, 600 content, 0 wasted", ix.Totals)
	}
	if n := ix.Root.Lookup("/usr/bin/foo"); n == nil || n.Bytes != 500 {
		t.Errorf("/usr/bin/foo: %+v, want 500 bytes", n)
	}
	if len(ix.Findings) != 0 {
		t.Errorf("findings %+v, want none", ix.Findings)
	}

	// A link source no hardlink uses is stored for nothing.
	ix = scanAll(t, []tarEntry{dir(".wh..wh.plnk/"), file(".wh..wh.plnk/1.2", 300, 's'), file("a", 5, 'a')})
	if ix.Totals.Files != 1 || ix.Totals.WastedBytes != 300 || len(ix.Wasted) != 1 || ix.Wasted[0].Reason != ReasonUnreachable {
		t.Errorf("unused link source: totals %+v, wasted %+v", ix.Totals, ix.Wasted)
	}
}

// TestWriteBelowSymlinkedDir: a layer that writes bin/hello where a lower
// layer has /bin -> usr/bin replaces the symlink with a directory: a
// modification of /bin, reported with one-based layer numbers.
func TestWriteBelowSymlinkedDir(t *testing.T) {
	ix := scanAll(t,
		[]tarEntry{dir("usr/"), dir("usr/bin/"), symlink("bin", "usr/bin")},
		[]tarEntry{file("bin/hello", 10, 'h')},
	)
	if got, want := ix.Changes[1], (LayerChanges{Added: 1, AddedBytes: 10, Modified: 1}); got != want {
		t.Errorf("layer 2 changes %+v, want %+v", got, want)
	}
	want := []finding.Finding{{
		Kind: KindReplacedByDir, Severity: finding.Warning, Paths: []string{"/bin"}, Layer: 2,
		Message: "layer 2 writes below /bin, a symlink of layer 1; it becomes a directory",
	}}
	if !reflect.DeepEqual(ix.Findings, want) {
		t.Errorf("findings %+v\nwant %+v", ix.Findings, want)
	}
	if n := ix.Root.Lookup("/bin"); n == nil || n.Entry.Type != TypeDir || ix.Totals.Symlinks != 0 {
		t.Errorf("/bin is %+v, symlinks %d; want a directory and no symlink", n, ix.Totals.Symlinks)
	}
}
