package nixref

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/internal/imagefs"
)

// PathInfo is what is known of one store path: its NAR size and the store
// paths it references (itself included when it refers to itself).
type PathInfo struct {
	// Path is the full store path.
	Path string
	// NarSize is the size in bytes of the path's NAR serialisation, as
	// `nix path-info` reports it.
	NarSize int64
	// References are full store paths, sorted.
	References []string
}

// ScanTree scans the store path (or any file tree) at the fs name root for
// the candidates of sc, as Nix scans the NAR serialisation of a build
// output: the contents of regular files, the targets of symlinks and the
// names of directory entries below root, each as a separate stream (NAR
// framing keeps a hash part from spanning two of them). It returns the
// tree's NAR size. Symlinks are never followed.
func ScanTree(fsys fs.FS, root string, sc *Scanner) (narSize int64, err error) {
	return scanNode(fsys, root, sc, strLen("nix-archive-1"))
}

// NarSize returns the size of the NAR serialisation of the tree at the fs
// name root without scanning it.
func NarSize(fsys fs.FS, root string) (int64, error) {
	return scanNode(fsys, root, nil, strLen("nix-archive-1"))
}

// strLen is the size of a string in a NAR: a 64-bit length, the bytes,
// and zero padding to a multiple of 8.
func strLen(s string) int64 { return strLenN(int64(len(s))) }

func strLenN(n int64) int64 { return 8 + (n+7)/8*8 }

func scanNode(fsys fs.FS, name string, sc *Scanner, size int64) (int64, error) {
	info, err := fs.Lstat(fsys, name)
	if err != nil {
		return 0, fmt.Errorf("scanning %s: %w", name, err)
	}
	size += strLen("(") + strLen("type")
	switch mode := info.Mode(); {
	case mode.IsRegular():
		size += strLen("regular")
		if mode.Perm()&0o100 != 0 {
			size += strLen("executable") + strLen("")
		}
		size += strLen("contents") + strLenN(info.Size())
		if sc != nil {
			if err := scanFile(fsys, name, sc); err != nil {
				return 0, err
			}
		}
	case mode&fs.ModeSymlink != 0:
		target, err := fs.ReadLink(fsys, name)
		if err != nil {
			return 0, fmt.Errorf("scanning %s: %w", name, err)
		}
		size += strLen("symlink") + strLen("target") + strLen(target)
		if sc != nil {
			sc.EndStream()
			sc.Write([]byte(target))
			sc.EndStream()
		}
	case mode.IsDir():
		size += strLen("directory")
		entries, err := fs.ReadDir(fsys, name)
		if err != nil {
			return 0, fmt.Errorf("scanning %s: %w", name, err)
		}
		for _, e := range entries {
			size += strLen("entry") + strLen("(") + strLen("name") + strLen(e.Name()) + strLen("node")
			if sc != nil {
				sc.EndStream()
				sc.Write([]byte(e.Name()))
				sc.EndStream()
			}
			if size, err = scanNode(fsys, path.Join(name, e.Name()), sc, size); err != nil {
				return 0, err
			}
			size += strLen(")")
		}
	default:
		return 0, fmt.Errorf("scanning %s: unsupported file type %s", name, mode.Type())
	}
	return size + strLen(")"), nil
}

func scanFile(fsys fs.FS, name string, sc *Scanner) error {
	f, err := fsys.Open(name)
	if err != nil {
		return fmt.Errorf("scanning %s: %w", name, err)
	}
	defer f.Close()
	sc.EndStream()
	if _, err := sc.ReadFrom(f); err != nil {
		return fmt.Errorf("scanning %s: %w", name, err)
	}
	sc.EndStream()
	return nil
}

// StoreContents lists the store paths directly inside storeDir (an
// absolute path, read from fsys, whose names are relative to "/"; a
// symlink on the way is followed inside fsys), keyed
// by hash part. Entries that are not store paths are skipped; when two
// entries share a hash part (a path and its leftover ".lock" or ".check"
// sibling), the shorter name wins.
func StoreContents(fsys fs.FS, storeDir string) (map[string]StorePath, error) {
	storeDir = path.Clean(storeDir)
	real, err := imagefs.Resolve(fsys, storeDir)
	if err != nil {
		return nil, fmt.Errorf("listing store %s: %w", storeDir, err)
	}
	entries, err := fs.ReadDir(fsys, imagefs.Name(real.Path))
	if err != nil {
		return nil, fmt.Errorf("listing store %s: %w", storeDir, err)
	}
	out := make(map[string]StorePath, len(entries))
	for _, e := range entries {
		sp, err := ParseBase(e.Name())
		if err != nil {
			continue
		}
		sp.StoreDir = storeDir
		if old, ok := out[sp.Hash]; ok && len(old.Name) <= len(sp.Name) {
			continue
		}
		out[sp.Hash] = sp
	}
	return out, nil
}

// ScanClosure computes with no Nix involved the closure of roots (full
// store paths in storeDir) and each member's references and NAR size, by
// scanning every member for the hash parts of all store paths present in
// storeDir — at build time Nix scans for the hash parts of the build's
// inputs, a subset, so the two agree whenever no output mentions a path
// it was not built with. fsys is the file system holding storeDir, with
// names relative to "/" (os.DirFS("/") on a host, an image's tree
// otherwise). The result is sorted by path.
func ScanClosure(fsys fs.FS, storeDir string, roots []string) ([]PathInfo, error) {
	store, err := StoreContents(fsys, storeDir)
	if err != nil {
		return nil, err
	}
	hashes := make([]string, 0, len(store))
	for h := range store {
		hashes = append(hashes, h)
	}
	sort.Strings(hashes)
	set, err := NewSet(hashes)
	if err != nil {
		return nil, err
	}
	var queue []StorePath
	done := map[string]bool{}
	for _, r := range roots {
		sp, err := ParseStorePath(path.Clean(storeDir), strings.TrimRight(r, "/"))
		if err != nil {
			return nil, fmt.Errorf("scanning closure: %w", err)
		}
		if _, ok := store[sp.Hash]; !ok {
			return nil, fmt.Errorf("scanning closure: %s is not in %s", r, storeDir)
		}
		if !done[sp.Hash] {
			done[sp.Hash] = true
			queue = append(queue, store[sp.Hash])
		}
	}
	// Read through the store directory's real path, so that no symlink
	// is followed by the file system itself (a host directory's would
	// lead out of the image).
	real, err := imagefs.Resolve(fsys, storeDir)
	if err != nil {
		return nil, fmt.Errorf("scanning closure: %w", err)
	}
	var out []PathInfo
	sc := set.NewScanner()
	for len(queue) > 0 {
		sp := queue[0]
		queue = queue[1:]
		sc.Reset()
		size, err := ScanTree(fsys, imagefs.Name(path.Join(real.Path, sp.Base())), sc)
		if err != nil {
			return nil, fmt.Errorf("scanning closure of %s: %w", strings.Join(roots, ", "), err)
		}
		info := PathInfo{Path: sp.String(), NarSize: size}
		for _, h := range sc.Found() {
			ref := store[h]
			info.References = append(info.References, ref.String())
			if !done[h] {
				done[h] = true
				queue = append(queue, ref)
			}
		}
		sort.Strings(info.References)
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}
