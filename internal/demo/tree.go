package demo

import (
	"bytes"
	"path"

	"github.com/whittle-dev/whittle/internal/reprotar"
)

// tree collects the entries of one layer.
type tree struct {
	files []reprotar.File
	// elfs records the spec of every ELF file written, by path, so tests
	// can check what readers find in the bytes.
	elfs map[string]elfSpec
}

// file adds a regular file; mode is its permission bits.
func (t *tree) file(p string, mode int64, data []byte) {
	t.files = append(t.files, reprotar.File{Path: p, Kind: reprotar.Regular, Mode: mode, Data: data})
}

// link adds a symbolic link p -> target.
func (t *tree) link(p, target string) {
	t.files = append(t.files, reprotar.File{Path: p, Kind: reprotar.Symlink, Mode: 0o777, Link: target})
}

// dir adds a directory with its own mode (directories implied by files
// get 0755).
func (t *tree) dir(p string, mode int64) {
	t.files = append(t.files, reprotar.File{Path: p, Kind: reprotar.Dir, Mode: mode})
}

// whiteout deletes p of a lower layer: an empty ".wh.<name>" file next to
// it, as the OCI image spec and Docker write deletions.
func (t *tree) whiteout(p string) {
	t.file(path.Join(path.Dir(p), ".wh."+path.Base(p)), 0o644, nil)
}

// opaque hides everything lower layers put in dir: the ".wh..wh..opq"
// marker inside it.
func (t *tree) opaque(dir string) {
	t.file(path.Join(dir, ".wh..wh..opq"), 0o644, nil)
}

// tar returns the layer's tar stream, written into a buffer sized up
// front (the data plus room for headers) so it is not grown and copied.
func (t *tree) tar() ([]byte, error) {
	n := 1 << 16
	for _, f := range t.files {
		n += len(f.Data) + 3*512
	}
	buf := bytes.NewBuffer(make([]byte, 0, n))
	if err := reprotar.Write(buf, t.files); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// storeTree adds files under one store path, with the store's modes:
// read-only files, executables 0555.
type storeTree struct {
	t    *tree
	root string
}

func (t *tree) in(root string) storeTree { return storeTree{t, root} }

// file adds a read-only data file.
func (s storeTree) file(rel string, data []byte) { s.t.file(s.root+"/"+rel, 0o444, data) }

// exe adds an executable.
func (s storeTree) exe(rel string, data []byte) { s.t.file(s.root+"/"+rel, 0o555, data) }

// link adds a symlink.
func (s storeTree) link(rel, target string) { s.t.link(s.root+"/"+rel, target) }

// elf adds an ELF file, executable when it has an interpreter or is a
// shared library (the store marks both 0555).
func (s storeTree) elf(rel string, spec elfSpec) {
	p := s.root + "/" + rel
	if spec.Key == "" {
		spec.Key = p
	}
	if s.t.elfs == nil {
		s.t.elfs = map[string]elfSpec{}
	}
	s.t.elfs[p] = spec
	s.exe(rel, spec.bytes())
}
