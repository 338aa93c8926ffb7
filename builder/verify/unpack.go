package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/hosterr"
)

// Tree is an image's root file system written to a directory by Unpack.
type Tree struct {
	// Dir is the directory holding the root file system.
	Dir string
	// Skipped lists what could not be recreated, in path order: device
	// nodes and FIFOs when not root, owners when chown is not permitted,
	// hardlinks to nothing.
	Skipped []Skip
	// temp is set when Unpack made Dir, so Remove may delete it whole.
	temp bool
}

// Skip is one path (or, for owners, a whole class of paths) that Unpack
// did not recreate as the image has it, and why.
type Skip struct {
	Path   string
	Reason string
}

// Remove deletes the tree's directory when Unpack created it, or empties
// a directory the caller named.
func (t *Tree) Remove() error {
	if t.temp {
		return os.RemoveAll(t.Dir)
	}
	ents, err := os.ReadDir(t.Dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range ents {
		errs = append(errs, os.RemoveAll(t.Dir+"/"+e.Name()))
	}
	return errors.Join(errs...)
}

// Unpack writes the final root file system of an indexed image (its merged
// tree, whiteouts applied) into dir, which must exist and be empty, or
// into a fresh temporary directory when dir is "". Directories, regular
// files with their bytes, symlinks (written as they are, never followed),
// hardlinks (to the path written first for the same content), FIFOs and
// device nodes (when root), modes with setuid, setgid and sticky bits, and
// owners (when root) are recreated. Every write goes through os.Root
// confined to the directory, parents are directories Unpack made itself,
// and symlinks are created last, so no name, symlink or hardlink of the
// image can make it write outside the directory.
func Unpack(ctx context.Context, im *source.Image, ix *analyze.Index, dir string) (*Tree, error) {
	t := &Tree{Dir: dir}
	if dir == "" {
		d, err := os.MkdirTemp("", "whittle-verify-*")
		if err != nil {
			return nil, fmt.Errorf("unpacking %s: %w", im.Ref, err)
		}
		t.Dir, t.temp = d, true
	} else {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("unpacking %s into %s: %w", im.Ref, dir, hosterr.Describe(err))
		}
		if len(ents) > 0 {
			return nil, fmt.Errorf("unpacking %s into %s: the directory is not empty", im.Ref, dir)
		}
	}
	if err := t.unpack(ctx, im, ix); err != nil {
		if t.temp {
			os.RemoveAll(t.Dir)
		}
		return nil, fmt.Errorf("unpacking %s into %s: %w", im.Ref, t.Dir, err)
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
	isRoot := os.Geteuid() == 0

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
	err = analyze.ReadFiles(ctx, im, ix, func(*analyze.Node) bool { return true }, func(n *analyze.Node, r io.Reader) error {
		p := n.Path()
		f, err := root.OpenFile(rel(p), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, r); err != nil {
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
	var devs []*analyze.Node
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
			if err := mknod(root, p, unix.S_IFIFO, 0); err != nil {
				return err
			}
		case e.Type == analyze.TypeChar || e.Type == analyze.TypeBlock:
			if !isRoot {
				t.skip(p, "device nodes need root")
				continue
			}
			devs = append(devs, n)
		default:
			t.skip(p, "a "+e.Type.String()+" with nothing to link to")
		}
	}
	if len(devs) > 0 {
		numbers, err := deviceNumbers(ctx, im, ix, devs)
		if err != nil {
			return err
		}
		for _, n := range devs {
			dev, ok := numbers[n]
			if !ok {
				t.skip(n.Path(), "its device numbers are unknown")
				continue
			}
			kind := uint32(unix.S_IFCHR)
			if n.Entry.Type == analyze.TypeBlock {
				kind = unix.S_IFBLK
			}
			if err := mknod(root, n.Path(), kind, dev); err != nil {
				return err
			}
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
