package verify

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
)

// layerBytes writes tar headers (with content for regular files) as an
// uncompressed layer.
func layerBytes(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		h.Size = int64(len(e.data))
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.data))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type tarEntry struct {
	hdr  tar.Header
	data string
}

func file(name, data string) tarEntry {
	return tarEntry{tar.Header{Name: name, Typeflag: tar.TypeReg}, data}
}
func dir(name string) tarEntry { return tarEntry{hdr: tar.Header{Name: name, Typeflag: tar.TypeDir}} }
func symlink(name, to string) tarEntry {
	return tarEntry{hdr: tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: to, Mode: 0o777}}
}
func hardlink(name, to string) tarEntry {
	return tarEntry{hdr: tar.Header{Name: name, Typeflag: tar.TypeLink, Linkname: to}}
}

// memoryImage is an indexed in-memory image of the given layers and
// runtime config.
func memoryImage(t *testing.T, runtime map[string]any, layers ...[]byte) (*source.Image, *analyze.Index) {
	t.Helper()
	var diffIDs []string
	for _, l := range layers {
		sum := sha256.Sum256(l)
		diffIDs = append(diffIDs, "sha256:"+hex.EncodeToString(sum[:]))
	}
	raw, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux", "config": runtime,
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	im, err := source.Memory("demo:", raw, layers)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := analyze.IndexImage(context.Background(), im, analyze.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return im, ix
}

// TestUnpackHostile unpacks images whose names, symlinks and hardlinks try
// to reach outside the target: nothing appears beside it, and what is
// inside is the index's tree.
func TestUnpackHostile(t *testing.T) {
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	target := filepath.Join(base, "root")
	for _, d := range []string{outside, target} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	l1 := layerBytes(t,
		dir("etc/"), file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
		symlink("etc2", outside), // later written below: becomes a directory
		symlink("abs", outside),
		symlink("chain1", "chain2"), symlink("chain2", "../../../../"+outside),
		symlink("up", "../../.."),
		file("../../escaped", "climbs"),
		file("/../x", "clamped"),
		symlink("tmp", outside),
	)
	l2 := layerBytes(t,
		file("etc2/x", "through the symlink"),
		file("abs/y", "replaces the symlink"),
		hardlink("shadow", "/etc/shadow"),            // the host's: not in the image
		hardlink("chainlink", "chain1/../../secret"), // cleaned to /secret: missing
		hardlink("passwd2", "etc/passwd"),
		file("up/z", "below a symlink to ../../.."),
		// The same layer: a symlink, then a file below it.
		symlink("same", outside), file("same/w", "same layer"),
	)
	im, ix := memoryImage(t, map[string]any{}, l1, l2)
	tree, err := Unpack(context.Background(), im, ix, target)
	if err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(target); len(ents) != 1 || filepath.Join(target, ents[0].Name(), "root") != tree.Dir {
		t.Errorf("the target holds %v; the tree is at %s", ents, tree.Dir)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("files appeared outside the target: %v", ents)
	}
	if ents, _ := os.ReadDir(base); len(ents) != 2 {
		t.Errorf("files appeared beside the target: %v", ents)
	}
	for _, p := range []string{"/etc/shadow", "/secret", "/escaped"} {
		// /escaped is in the image, clamped to the root; the others are not.
		_, err := os.Lstat(filepath.Join(tree.Dir, p))
		if want := p == "/escaped"; (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", p, err == nil, want)
		}
	}
	checkTree(t, ix, tree.Dir)
	var skipped []string
	for _, s := range tree.Skipped {
		skipped = append(skipped, s.Path)
	}
	if want := []string{"/chainlink", "/shadow"}; !slices.Equal(skipped, want) {
		t.Errorf("skipped %v, want %v", skipped, want)
	}
	if err := tree.Remove(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(target); len(ents) != 0 {
		t.Errorf("Remove left %v", ents)
	}
	if info, err := os.Stat(target); err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("Remove deleted or changed the caller's directory: %v %v", info.Mode(), err)
	}
}

// checkTree compares the unpacked directory with the index's tree: types,
// permission bits, owners, symlink targets, contents, shared inodes.
func checkTree(t *testing.T, ix *analyze.Index, dir string) {
	t.Helper()
	inodes := map[*analyze.Entry]uint64{}
	ix.Root.Walk(func(n *analyze.Node) bool {
		p := filepath.Join(dir, n.Path())
		e := n.Entry
		info, err := os.Lstat(p)
		if err != nil {
			if e.Type == analyze.TypeHardlink && n.Content == nil || e.Type == analyze.TypeChar || e.Type == analyze.TypeBlock {
				return true // a hardlink to nothing, a device node: skipped
			}
			t.Errorf("%s: %v", n.Path(), err)
			return true
		}
		st := info.Sys().(*syscall.Stat_t)
		wantType := e.FileMode().Type()
		if n.Content != nil {
			wantType = 0
		}
		if info.Mode().Type() != wantType {
			t.Errorf("%s: type %v, want %v", n.Path(), info.Mode().Type(), wantType)
		}
		if e.Type != analyze.TypeSymlink {
			if got, want := uint32(st.Mode)&0o7777, e.Mode; got != want {
				t.Errorf("%s: mode %o, want %o", n.Path(), got, want)
			}
		}
		if os.Geteuid() == 0 && (st.Uid != uint32(e.UID) || st.Gid != uint32(e.GID)) {
			t.Errorf("%s: owner %d:%d, want %d:%d", n.Path(), st.Uid, st.Gid, e.UID, e.GID)
		}
		switch {
		case e.Type == analyze.TypeSymlink:
			if got, _ := os.Readlink(p); got != e.Link {
				t.Errorf("%s: link %q, want %q", n.Path(), got, e.Link)
			}
		case n.Content != nil:
			if info.Size() != n.Content.Size {
				t.Errorf("%s: size %d, want %d", n.Path(), info.Size(), n.Content.Size)
			}
			if ino, ok := inodes[n.Content]; ok && ino != st.Ino {
				t.Errorf("%s: not hardlinked to its content's first path", n.Path())
			}
			inodes[n.Content] = st.Ino
		}
		return true
	})
}

// TestUnpackModesOwnersDevices checks what needs root: owners, setuid,
// setgid and sticky bits, FIFOs and device nodes with their numbers.
func TestUnpackModesOwnersDevices(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	owned := func(e tarEntry, mode int64, uid, gid int) tarEntry {
		e.hdr.Mode, e.hdr.Uid, e.hdr.Gid = mode, uid, gid
		return e
	}
	l := layerBytes(t,
		owned(dir("app/"), 0o700, 1000, 1000),
		owned(file("app/run", "#!/bin/sh\n"), 0o4755, 1000, 50),
		owned(dir("shared/"), 0o2775, 0, 50),
		owned(dir("tmp/"), 0o1777, 0, 0),
		owned(symlink("app/link", "run"), 0o777, 1000, 1000),
		dir("dev/"),
		tarEntry{hdr: tar.Header{Name: "dev/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3, Mode: 0o666}},
		tarEntry{hdr: tar.Header{Name: "dev/loop9", Typeflag: tar.TypeBlock, Devmajor: 7, Devminor: 9, Mode: 0o660}},
		tarEntry{hdr: tar.Header{Name: "dev/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 5, Mode: 0o666}}, // the later one wins
		tarEntry{hdr: tar.Header{Name: "fifo", Typeflag: tar.TypeFifo, Mode: 0o620}},
	)
	im, ix := memoryImage(t, map[string]any{}, l)
	tree, err := Unpack(context.Background(), im, ix, "")
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Remove()
	// Device nodes are never made: whoever reached one would open the
	// host's device.
	var skipped []string
	for _, s := range tree.Skipped {
		skipped = append(skipped, s.Path)
	}
	if want := []string{"/dev/loop9", "/dev/null"}; !slices.Equal(skipped, want) {
		t.Errorf("skipped %v, want %v", skipped, want)
	}
	checkTree(t, ix, tree.Dir)
	for _, p := range []string{"/dev/null", "/dev/loop9"} {
		if _, err := os.Lstat(filepath.Join(tree.Dir, p)); err == nil {
			t.Errorf("%s: made", p)
		}
	}
	// The image's root is 0755; the private directory above it is 0700.
	if info, err := os.Stat(filepath.Dir(tree.Dir)); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("private directory: %v, %v", info.Mode(), err)
	}
	if info, _ := os.Lstat(filepath.Join(tree.Dir, "fifo")); info == nil || info.Mode().Type() != fs.ModeNamedPipe {
		t.Errorf("fifo: %v", info)
	}
	d := filepath.Dir(tree.Dir)
	if err := tree.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d); err == nil {
		t.Errorf("Remove left the temporary directory %s", d)
	}
}

func TestUnpackParent(t *testing.T) {
	im, ix := memoryImage(t, map[string]any{}, layerBytes(t, file("a", "x")))
	d := t.TempDir()
	os.WriteFile(filepath.Join(d, "mine"), nil, 0o644)
	tree, err := Unpack(context.Background(), im, ix, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := tree.Remove(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(d); len(ents) != 1 || ents[0].Name() != "mine" {
		t.Errorf("left %v", ents)
	}
	if _, err := Unpack(context.Background(), im, ix, filepath.Join(d, "missing")); err == nil {
		t.Fatal("unpacked into a missing directory")
	}
}
