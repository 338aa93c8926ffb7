package analyze

import (
	"bytes"
	"context"
	"math"
	"reflect"
	"sort"
	"testing"

	"github.com/whittle-dev/whittle/internal/testfix"
)

// tarEntry describes one raw tar entry for synthetic layers: a name exactly
// as written in the tar (so "./a", "a" and "/a" can be tested), and for
// The synthetic layer helpers of testfix, under short names.
type tarEntry = testfix.TarEntry

var (
	file     = testfix.FileEntry
	dir      = testfix.DirEntry
	symlink  = testfix.SymlinkEntry
	hardlink = testfix.HardlinkEntry
	whiteout = testfix.Whiteout
	opaque   = testfix.Opaque
	tarBytes = testfix.TarBytes
)

func scanAll(t testing.TB, layers ...[]tarEntry) *Index {
	t.Helper()
	var lis []*LayerIndex
	for _, l := range layers {
		li, err := scanLayer(context.Background(), bytes.NewReader(tarBytes(t, l...)), zeroHash, zeroHash)
		if err != nil {
			t.Fatal(err)
		}
		lis = append(lis, li)
	}
	return Merge(lis)
}

type wasteRow struct {
	path   string
	layer  int
	bytes  int64
	reason WasteReason
	by     int
	root   string
}

func TestMerge(t *testing.T) {
	for _, tc := range []struct {
		name     string
		layers   [][]tarEntry
		visible  int64 // Totals.VisibleBytes
		content  int64
		files    []string // regular files and hardlinks in the final tree
		wasted   []wasteRow
		changes  []LayerChanges
		dups     [][]string
		dupBytes int64
		diveEff  float64
		diveWst  int64
	}{
		{
			name: "overwrite and delete a file",
			layers: [][]tarEntry{
				{dir("dir/"), file("a", 100, 'a'), file("dir/b", 200, 'b'), file("dir/c", 50, 'c')},
				{file("a", 30, 'A'), whiteout("dir", "c")},
			},
			visible: 230, content: 380,
			files: []string{"/a", "/dir/b"},
			wasted: []wasteRow{
				{"/a", 0, 100, ReasonOverwritten, 1, "/a"},
				{"/dir/c", 0, 50, ReasonDeleted, 1, "/dir/c"},
			},
			changes: []LayerChanges{
				{Added: 4, AddedBytes: 350, WastedBytes: 150},
				{Modified: 1, ModifiedBytes: 30, Removed: 1, RemovedBytes: 50},
			},
			// dive: /a 100+30 (min 30), /dir/b 200, /dir/c 50 then 0.
			diveEff: 230.0 / 380.0, diveWst: 180,
		},
		{
			name: "deleted directory, ./ prefixed names",
			layers: [][]tarEntry{
				{dir("./var/"), dir("./var/cache/"), file("./var/cache/a", 100, 'a'), dir("./var/cache/b/"), file("./var/cache/b/c", 200, 'c'), file("./var/keep", 7, 'k')},
				{whiteout("./var", "cache")},
			},
			visible: 7, content: 307,
			files: []string{"/var/keep"},
			wasted: []wasteRow{
				{"/var/cache/b/c", 0, 200, ReasonDeleted, 1, "/var/cache"},
				{"/var/cache/a", 0, 100, ReasonDeleted, 1, "/var/cache"},
			},
			changes: []LayerChanges{
				{Added: 6, AddedBytes: 307, WastedBytes: 300},
				{Removed: 1, RemovedBytes: 300},
			},
			// dive: leaves /var/cache/a, /var/cache/b/c, /var/keep; the
			// whiteout counts 300 at /var/cache, a path of its own, so dive
			// sees no waste at all.
			diveEff: 1, diveWst: 0,
		},
		{
			name: "opaque directory",
			layers: [][]tarEntry{
				{dir("/d/"), file("/d/x", 10, 'x'), file("/d/y", 20, 'y')},
				{dir("/d/"), opaque("/d"), file("/d/z", 5, 'z')},
			},
			visible: 5, content: 35,
			files: []string{"/d/z"},
			wasted: []wasteRow{
				{"/d/y", 0, 20, ReasonOpaque, 1, "/d"},
				{"/d/x", 0, 10, ReasonOpaque, 1, "/d"},
			},
			changes: []LayerChanges{
				{Added: 3, AddedBytes: 30, WastedBytes: 30},
				{Added: 1, AddedBytes: 5, Modified: 1, Removed: 2, RemovedBytes: 30},
			},
			diveEff: 1, diveWst: 0,
		},
		{
			name: "hardlink keeps deleted content visible",
			layers: [][]tarEntry{
				{file("bin/a", 1000, 'a'), hardlink("bin/b", "bin/a"), hardlink("./bin/c", "./bin/a")},
				{whiteout("bin", "a")},
			},
			visible: 1000, content: 1000,
			files:  []string{"/bin/b", "/bin/c"},
			wasted: nil,
			changes: []LayerChanges{
				{Added: 4, AddedBytes: 1000},
				{Removed: 1, RemovedBytes: 1000},
			},
			// dive: /bin/a is 1000 then 0 (a file's whiteout counts 0).
			diveEff: 0, diveWst: 1000,
		},
		{
			name: "same path twice in one layer",
			layers: [][]tarEntry{
				{file("f", 10, '1'), file("f", 20, '2')},
			},
			visible: 20, content: 30,
			files:   []string{"/f"},
			wasted:  []wasteRow{{"/f", 0, 10, ReasonOverwritten, 0, "/f"}},
			changes: []LayerChanges{{Added: 1, AddedBytes: 10, WastedBytes: 10}},
			diveEff: 1, diveWst: 0,
		},
		{
			name: "directory replaced by a file, file replaced by a directory",
			layers: [][]tarEntry{
				{file("x/y", 10, 'y'), file("p", 3, 'p')},
				{file("x", 5, 'x'), file("p/q", 4, 'q')},
			},
			visible: 9, content: 22,
			files: []string{"/p/q", "/x"},
			wasted: []wasteRow{
				{"/x/y", 0, 10, ReasonOverwritten, 1, "/x"},
				{"/p", 0, 3, ReasonReplaced, 1, "/p"},
			},
			changes: []LayerChanges{
				{Added: 3, AddedBytes: 13, WastedBytes: 13},
				// /p becomes a directory: a modification with no entry.
				{Added: 1, AddedBytes: 4, Modified: 2, ModifiedBytes: 5},
			},
			// dive: every leaf path occurs once.
			diveEff: 1, diveWst: 0,
		},
		{
			name: "duplicates, hardlinks counted once",
			layers: [][]tarEntry{
				{file("a", 100, 'd'), file("b", 100, 'd'), hardlink("c", "a"), file("e", 100, 'e'), file("z/d", 100, 'd'), file("empty1", 0, 0), file("empty2", 0, 0)},
			},
			visible: 400, content: 400,
			files:    []string{"/a", "/b", "/c", "/e", "/empty1", "/empty2", "/z/d"},
			changes:  []LayerChanges{{Added: 8, AddedBytes: 400}},
			dups:     [][]string{{"/a", "/b", "/z/d"}},
			dupBytes: 200,
			diveEff:  1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ix := scanAll(t, tc.layers...)
			tot := ix.Totals
			if tot.VisibleBytes != tc.visible || tot.ContentBytes != tc.content || tot.WastedBytes != tc.content-tc.visible {
				t.Errorf("visible/content/wasted = %d/%d/%d, want %d/%d/%d", tot.VisibleBytes, tot.ContentBytes, tot.WastedBytes, tc.visible, tc.content, tc.content-tc.visible)
			}
			var files []string
			ix.Root.Walk(func(n *Node) bool {
				if n.Entry.Type == TypeRegular || n.Entry.Type == TypeHardlink {
					files = append(files, n.Path())
				}
				return true
			})
			if !reflect.DeepEqual(files, tc.files) {
				t.Errorf("files = %q, want %q", files, tc.files)
			}
			var wasted []wasteRow
			for _, w := range ix.Wasted {
				wasted = append(wasted, wasteRow{w.Path, w.Layer, w.Bytes, w.Reason, w.By, w.Root})
			}
			if !reflect.DeepEqual(wasted, tc.wasted) {
				t.Errorf("wasted = %+v\nwant %+v", wasted, tc.wasted)
			}
			for i, l := range ix.Layers {
				var added, modified, removed int
				for _, c := range ix.EntryChanges[i] {
					switch c {
					case ChangeAdded:
						added++
					case ChangeModified:
						modified++
					case ChangeRemoved:
						removed++
					}
				}
				// Implied directories are counted in Changes but have no
				// entry (an added one, or a modified one where a lower
				// layer's file or symlink was); whiteouts remove one path
				// each, opaque markers all the children they hide.
				if modified > ix.Changes[i].Modified || removed > ix.Changes[i].Removed || len(ix.EntryChanges[i]) != len(l.Entries) {
					t.Errorf("layer %d entry changes: %d added, %d modified, %d removed; layer changes %+v", i, added, modified, removed, ix.Changes[i])
				}
			}
			if !reflect.DeepEqual(ix.Changes, tc.changes) {
				t.Errorf("changes = %+v\nwant %+v", ix.Changes, tc.changes)
			}
			var dups [][]string
			for _, d := range ix.Duplicates {
				dups = append(dups, d.Paths)
			}
			if !reflect.DeepEqual(dups, tc.dups) || tot.DuplicateBytes != tc.dupBytes {
				t.Errorf("duplicates = %q (%d bytes), want %q (%d)", dups, tot.DuplicateBytes, tc.dups, tc.dupBytes)
			}
			if math.Abs(tot.DiveEfficiency-tc.diveEff) > 1e-12 || tot.DiveWastedBytes != tc.diveWst {
				t.Errorf("dive efficiency/wasted = %v/%d, want %v/%d", tot.DiveEfficiency, tot.DiveWastedBytes, tc.diveEff, tc.diveWst)
			}
			if ix.Root.Bytes != tc.visible {
				t.Errorf("root bytes %d, want %d", ix.Root.Bytes, tc.visible)
			}
			checkEntryPaths(t, ix)
		})
	}
}

// checkEntryPaths checks the invariant Node.Path stands on: every node's
// entry holds the path its names make up to the root.
func checkEntryPaths(t *testing.T, ix *Index) {
	t.Helper()
	ix.Root.Walk(func(n *Node) bool {
		want := "/"
		if n.Parent != nil {
			want = ""
			for m := n; m.Parent != nil; m = m.Parent {
				want = "/" + m.Name + want
			}
		}
		if n.Entry.Path != want {
			t.Errorf("node %q holds an entry for %q", want, n.Entry.Path)
		}
		return true
	})
}

func TestMergeDirectorySizes(t *testing.T) {
	ix := scanAll(t,
		[]tarEntry{file("usr/bin/a", 10, 'a'), file("usr/lib/b", 20, 'b'), hardlink("usr/lib/c", "usr/bin/a"), symlink("usr/lib/d", "b"), file("etc/x", 3, 'x')},
	)
	got := map[string][2]int64{}
	ix.Root.Walk(func(n *Node) bool {
		if n.IsDir() {
			got[n.Path()] = [2]int64{n.Bytes, int64(n.Files)}
		}
		return true
	})
	want := map[string][2]int64{"/": {33, 3}, "/usr": {30, 2}, "/usr/bin": {10, 1}, "/usr/lib": {20, 1}, "/etc": {3, 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dir sizes = %v, want %v", got, want)
	}
	if n := ix.Root.Lookup("/usr/lib/../bin/./a"); n == nil || n.Path() != "/usr/bin/a" {
		t.Errorf("Lookup with .. and . failed: %v", n)
	}
	if tot := ix.Totals; tot.Files != 4 || tot.Dirs != 4 || tot.Symlinks != 1 {
		t.Errorf("counts files/dirs/symlinks = %d/%d/%d, want 4/4/1", tot.Files, tot.Dirs, tot.Symlinks)
	}
	_ = sort.Strings
}

func TestEntryChanges(t *testing.T) {
	ix := scanAll(t,
		[]tarEntry{dir("d/"), file("d/a", 1, 'a'), file("d/b", 1, 'b')},
		[]tarEntry{whiteout("d", "a"), whiteout("d", "nothing"), file("d/b", 2, 'B'), file("d/c", 1, 'c'), file("d/c", 1, 'C'), dir("d/")},
		[]tarEntry{opaque("d"), file("d/e", 1, 'e')},
	)
	want := [][]Change{
		{ChangeAdded, ChangeAdded, ChangeAdded},
		{ChangeRemoved, ChangeNone, ChangeModified, ChangeAdded, ChangeAdded, ChangeModified},
		{ChangeRemoved, ChangeAdded},
	}
	if !reflect.DeepEqual(ix.EntryChanges, want) {
		t.Errorf("entry changes %v, want %v", ix.EntryChanges, want)
	}
}
