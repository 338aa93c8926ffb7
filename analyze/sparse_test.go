package analyze

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// TestSparseFile: a sparse file is indexed at its apparent size without
// being read for it, and ReadFiles hands it over as a *SparseFile that
// reads as the file (holes as zeros) and gives its fragments; its hash
// is not that of the same bytes stored whole.
func TestSparseFile(t *testing.T) {
	const size = 3<<20 + 17
	frags := []reprotar.Fragment{{Offset: 100, Length: 5}, {Offset: 2 << 20, Length: 3}}
	want := make([]byte, size)
	copy(want[100:], "hello")
	copy(want[2<<20:], "abc")
	b, err := reprotar.Bytes([]reprotar.File{
		{Path: "/sparse", Kind: reprotar.Regular, Mode: 0o644, Size: size, Open: func() (reprotar.Content, error) {
			return reprotar.Content{R: strings.NewReader("helloabc"), Sparse: frags}, nil
		}},
		{Path: "/dense", Kind: reprotar.Regular, Mode: 0o644, Data: want},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "layer.tar")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	im, ix := openIndexed(t, "rootfs-tar:"+p, source.Options{})
	sparse, dense := ix.Root.Lookup("/sparse"), ix.Root.Lookup("/dense")
	if sparse == nil || sparse.Content.Size != size || sparse.Content.Offset != 0 || sparse.Content.Hash == dense.Content.Hash {
		t.Fatalf("indexed sparse file: %+v (dense hash %x)", sparse.Content, dense.Content.Hash)
	}
	got := map[string]string{}
	err = ReadFiles(context.Background(), im, ix, func(*Node) bool { return true }, func(n *Node, r io.Reader) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		sf, ok := r.(*SparseFile)
		desc := "dense"
		if ok {
			desc = "sparse"
			if len(sf.Fragments()) != 2 || sf.Fragments()[1] != (Fragment{Offset: 2 << 20, Length: 3}) || sf.Size() != size {
				t.Errorf("fragments %v, size %d", sf.Fragments(), sf.Size())
			}
		}
		if !bytes.Equal(b, want) {
			desc += " differs"
		}
		got[n.Path()] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got["/sparse"] != "sparse" || got["/dense"] != "dense" {
		t.Errorf("read %v", got)
	}
}
