package demo

import (
	"archive/tar"
	"bytes"
	"io"
	"path"
	"strings"
	"sync"
	"testing"
)

// entry is one tar entry of a layer.
type entry struct {
	hdr  *tar.Header
	data []byte
}

// path is the entry's normalised absolute path.
func (e entry) path() string { return "/" + strings.TrimSuffix(e.hdr.Name, "/") }

func readTar(t testing.TB, b []byte) []entry {
	t.Helper()
	var out []entry
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("reading tar: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("reading %s: %v", h.Name, err)
		}
		out = append(out, entry{h, data})
	}
}

// merge applies layers in order as a container runtime does: whiteouts
// delete, opaque markers hide what lower layers put in a directory, later
// entries replace earlier ones.
func merge(t testing.TB, layers [][]byte) map[string]entry {
	t.Helper()
	fs := map[string]entry{}
	removeTree := func(p string, keepSelf bool) {
		for k := range fs {
			if strings.HasPrefix(k, p+"/") || (!keepSelf && k == p) {
				delete(fs, k)
			}
		}
	}
	for _, l := range layers {
		for _, e := range readTar(t, l) {
			p := e.path()
			dir, base := path.Split(p)
			dir = path.Clean(dir)
			switch {
			case base == ".wh..wh..opq":
				removeTree(dir, true)
			case strings.HasPrefix(base, ".wh."):
				removeTree(path.Join(dir, strings.TrimPrefix(base, ".wh.")), false)
			default:
				if old, ok := fs[p]; ok && old.hdr.Typeflag == tar.TypeDir && e.hdr.Typeflag != tar.TypeDir {
					removeTree(p, false)
				}
				fs[p] = e
			}
		}
	}
	return fs
}

var (
	builtOnce sync.Once
	builtDemo *built
	builtErr  error
)

// demoBuilt builds the default demo once for the tests that only read it.
func demoBuilt(t testing.TB) *built {
	t.Helper()
	builtOnce.Do(func() { builtDemo, builtErr = build("") })
	if builtErr != nil {
		t.Fatalf("build: %v", builtErr)
	}
	return builtDemo
}

func demoContents(t testing.TB) *Contents {
	t.Helper()
	c, err := Describe("")
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	return c
}
