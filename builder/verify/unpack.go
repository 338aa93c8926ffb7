package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/hosterr"
)

// Tree is an image's root file system written to a directory by Unpack.
type Tree struct {
	// Dir is the directory holding the root file system. Its parent is a
	// private directory (mode 0700, the caller's) made for it alone.
	Dir string
	// Skipped lists what could not be recreated, in path order: device
	// nodes (never recreated: the sandbox has its own /dev), FIFOs when
	// not root, owners when chown is not permitted, hardlinks to nothing.
	Skipped []Skip
	// base is the private directory; lock, its lock file, held while the
	// tree exists.
	base string
	lock *os.File
}

// Skip is one path (or, for owners, a whole class of paths) that Unpack
// did not recreate as the image has it, and why.
type Skip struct {
	Path   string
	Reason string
}

// treePrefix starts the name of each private directory Unpack makes.
const treePrefix = "whittle-verify-"

// lockName is the lock file in a private directory: locked (flock) by the
// process using the tree, so a tree whose lock is free was left by a
// process that died.
const lockName = "lock"

// staleAge is how old a private directory without a lock file must be to
// count as left behind (one is without it only while being made).
const staleAge = 10 * time.Minute

// Remove deletes the tree and its private directory.
func (t *Tree) Remove() error {
	if t.base == "" {
		return nil
	}
	err := removeAll(t.base)
	if t.lock != nil {
		t.lock.Close()
		t.lock = nil
	}
	if err == nil {
		t.base = ""
	}
	return err
}

// removeAll removes a tree, making its directories writable when a plain
// removal is refused (without root, an image's read-only directories).
func removeAll(p string) error {
	err := os.RemoveAll(p)
	if err == nil || !errors.Is(err, fs.ErrPermission) {
		return err
	}
	filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(q, 0o700)
		}
		return nil
	})
	return os.RemoveAll(p)
}

// RemoveStale removes the private directories in parent that Unpack made
// for processes that no longer run (killed before they could remove
// them): those whose lock is free. Unpack calls it first.
func RemoveStale(parent string) error {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), treePrefix) || !e.IsDir() {
			continue
		}
		p := filepath.Join(parent, e.Name())
		info, err := os.Lstat(p)
		if err != nil || info.Sys().(*syscall.Stat_t).Uid != uint32(os.Geteuid()) {
			continue // another user's, or gone
		}
		f, err := os.Open(filepath.Join(p, lockName))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if time.Since(info.ModTime()) < staleAge {
				continue
			}
		case err != nil:
			continue
		default:
			lerr := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
			f.Close() // releases the lock
			if lerr != nil {
				continue // held: in use
			}
		}
		if err := removeAll(p); err != nil {
			errs = append(errs, fmt.Errorf("removing the stale tree %s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// Unpack writes the final root file system of an indexed image (its merged
// tree, whiteouts applied) into a fresh private directory made in parent
// (the system's temporary directory when ""), after removing the trees
// left there by killed runs (RemoveStale). The private directory is mode
// 0700 and locked while the tree exists, so other host users reach none
// of the image's files (its setuid programs included) and a later run
// knows it for stale when its process dies. Directories, regular files
// with their bytes (runs of zeros left as holes: sparse files stay
// sparse), symlinks (written as they are, never followed), hardlinks (to
// the path written first for the same content), FIFOs (when root), modes
// with setuid, setgid and sticky bits, and owners (when root) are
// recreated; device nodes are not. Every write goes through os.Root
// confined to the directory, parents are directories Unpack made itself,
// and symlinks are created last, so no name, symlink or hardlink of the
// image can make it write outside the directory.
func Unpack(ctx context.Context, im *source.Image, ix *analyze.Index, parent string) (*Tree, error) {
	if parent == "" {
		parent = os.TempDir()
	}
	if info, err := os.Stat(parent); err != nil {
		return nil, fmt.Errorf("unpacking %s into %s: %w", im.Ref, parent, hosterr.Describe(err))
	} else if !info.IsDir() {
		return nil, fmt.Errorf("unpacking %s into %s: not a directory", im.Ref, parent)
	}
	RemoveStale(parent) // best effort: another user's leftovers are not ours to remove
	base, err := os.MkdirTemp(parent, treePrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("unpacking %s into %s: %w", im.Ref, parent, hosterr.Describe(err))
	}
	t := &Tree{Dir: filepath.Join(base, "root"), base: base}
	fail := func(err error) (*Tree, error) {
		t.Remove()
		return nil, fmt.Errorf("unpacking %s into %s: %w", im.Ref, t.Dir, err)
	}
	if err := os.Chmod(base, 0o700); err != nil {
		return fail(err)
	}
	lock, err := os.OpenFile(filepath.Join(base, lockName), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fail(err)
	}
	t.lock = lock
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return fail(fmt.Errorf("locking: %w", err))
	}
	fmt.Fprintf(lock, "%d\n", os.Getpid())
	if err := os.Mkdir(t.Dir, 0o700); err != nil {
		return fail(err)
	}
	if err := t.unpack(ctx, im, ix); err != nil {
		return fail(err)
	}
	return t, nil
}

// rel is the name of an image path inside an os.Root.
func rel(p string) string {
	if p == "/" {
		return "."
	}
	return p[1:]
}

func (t *Tree) unpack(ctx context.Context, im *source.Image, ix *analyze.Index) error {
	root, err := os.OpenRoot(t.Dir)
	if err != nil {
		return err
	}
	defer root.Close()

	// 1. Directories, parents first. Modes come last so that a read-only
	// directory does not stop its contents from being written.
	var nodes []*analyze.Node
	var derr error
	ix.Root.Walk(func(n *analyze.Node) bool {
		if derr != nil {
			return false
		}
		if err := ctx.Err(); err != nil {
			derr = err
			return false
		}
		nodes = append(nodes, n)
		if n.Parent != nil && n.IsDir() {
			if err := root.Mkdir(rel(n.Path()), 0o700); err != nil {
				derr = err
				return false
			}
		}
		return true
	})
	if derr != nil {
		return derr
	}

	// 2. Regular files: each content once, at the first path showing it.
	written := map[*analyze.Entry]string{}
	buf := make([]byte, sparseChunk)
	err = analyze.ReadFiles(ctx, im, ix, func(*analyze.Node) bool { return true }, func(n *analyze.Node, r io.Reader) error {
		p := n.Path()
		f, err := root.OpenFile(rel(p), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		if err := copySparse(f, r, buf); err != nil {
			f.Close()
			return fmt.Errorf("writing %s: %w", p, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
		written[n.Content] = p
		return nil
	})
	if err != nil {
		return err
	}

	// 3. Hardlinks to what step 2 wrote, FIFOs and devices; symlinks last,
	// so that nothing is ever written through one.
	var links []*analyze.Node
	for _, n := range nodes {
		p := n.Path()
		e := n.Entry
		switch {
		case n.Parent == nil || n.IsDir():
		case n.Content != nil:
			first, ok := written[n.Content]
			if !ok {
				t.skip(p, "its content was not found in the layers")
				continue
			}
			if first == p {
				continue
			}
			if err := root.Link(rel(first), rel(p)); err != nil {
				return err
			}
		case e.Type == analyze.TypeSymlink:
			links = append(links, n)
		case e.Type == analyze.TypeFIFO:
			if err := mknod(root, p, unix.S_IFIFO, 0); errors.Is(err, fs.ErrPermission) {
				t.skip(p, "FIFOs need root here")
				continue
			} else if err != nil {
				return err
			}
		case e.Type == analyze.TypeChar || e.Type == analyze.TypeBlock:
			// A node would open the host's device for whoever reaches it;
			// the sandbox mounts its own /dev, and the tree nodev.
			t.skip(p, "device nodes are not recreated: the sandbox has its own /dev")
		default:
			t.skip(p, "a "+e.Type.String()+" with nothing to link to")
		}
	}
	for _, n := range links {
		if err := root.Symlink(n.Entry.Link, rel(n.Path())); err != nil {
			return err
		}
	}

	// 4. Owners and modes, children before parents.
	chownOK := true
	for _, n := range slices.Backward(nodes) {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := n.Path()
		e := n.Entry
		if n.Parent != nil {
			if _, err := root.Lstat(rel(p)); errors.Is(err, fs.ErrNotExist) {
				continue // skipped above
			}
		}
		if chownOK {
			var err error
			if e.Type == analyze.TypeSymlink {
				err = root.Lchown(rel(p), int(e.UID), int(e.GID))
			} else {
				err = root.Chown(rel(p), int(e.UID), int(e.GID))
			}
			if errors.Is(err, fs.ErrPermission) || errors.Is(err, unix.EINVAL) {
				// EINVAL: an id this user namespace does not map.
				chownOK = false
				t.skip("/", "owners: chown is not permitted here; files keep the caller's owner")
			} else if err != nil {
				return err
			}
		}
		if e.Type != analyze.TypeSymlink {
			if err := root.Chmod(rel(p), e.FileMode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
				return err
			}
		}
	}
	slices.SortFunc(t.Skipped, func(a, b Skip) int {
		if a.Path < b.Path {
			return -1
		}
		if a.Path > b.Path {
			return 1
		}
		return 0
	})
	return nil
}

func (t *Tree) skip(p, reason string) { t.Skipped = append(t.Skipped, Skip{p, reason}) }

// mknod makes a FIFO or device node at the image path p, inside root: the
// parent is opened through root (so it is one of the directories Unpack
// made) and the node is created relative to it by its single name.
func mknod(root *os.Root, p string, kind uint32, dev uint64) error {
	dir, err := root.Open(rel(path.Dir(p)))
	if err != nil {
		return err
	}
	defer dir.Close()
	if err := unix.Mknodat(int(dir.Fd()), path.Base(p), kind|0o600, int(dev)); err != nil {
		return &fs.PathError{Op: "mknod", Path: p, Err: err}
	}
	return nil
}

// sparseChunk is how much copySparse reads at once; sparseBlock, the
// size of the runs of zeros it leaves as holes (a file system block).
const (
	sparseChunk = 256 << 10
	sparseBlock = 4 << 10
)

var zeroBlock = make([]byte, sparseBlock)

// copySparse copies r into the new file f, leaving each block of zeros as
// a hole: a sparse file in the image (stored as a map of its data) costs
// on disk only its data, whatever its size. buf is the copy buffer.
func copySparse(f *os.File, r io.Reader, buf []byte) error {
	var off int64
	for {
		n, rerr := io.ReadFull(r, buf)
		chunk := buf[:n]
		for len(chunk) > 0 {
			// A run of data blocks, written at once; then a run of holes.
			data := 0
			for data < len(chunk) && !bytes.Equal(chunk[data:min(data+sparseBlock, len(chunk))], zeroBlock[:min(sparseBlock, len(chunk)-data)]) {
				data += min(sparseBlock, len(chunk)-data)
			}
			if data > 0 {
				if _, err := f.WriteAt(chunk[:data], off); err != nil {
					return err
				}
				off += int64(data)
				chunk = chunk[data:]
			}
			zeros := 0
			for zeros < len(chunk) && bytes.Equal(chunk[zeros:min(zeros+sparseBlock, len(chunk))], zeroBlock[:min(sparseBlock, len(chunk)-zeros)]) {
				zeros += min(sparseBlock, len(chunk)-zeros)
			}
			off += int64(zeros)
			chunk = chunk[zeros:]
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	// A trailing hole: the size comes from the length alone.
	return f.Truncate(off)
}
