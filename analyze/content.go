package analyze

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"

	"github.com/cespare/xxhash/v2"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/compress"
	"github.com/whittle-dev/whittle/internal/tarsparse"
)

// ReadFiles streams the content of the visible regular files for which
// want returns true, reading each layer that holds one of them once and
// only as far as its last wanted file. Each distinct content is passed once,
// with the first path (in name order) that shows it; hardlinked paths share
// it (equal Node.Content). fn must not keep r after returning. The content
// is checked against the index's hash, so a layer that changed since it
// was indexed is an error, not a wrong answer.
//
// A sparse file is handed over as a *SparseFile, which reads as any file
// and also gives its fragments and stored bytes.
//
// From an uncompressed layer whose blob can be read at an offset (a file,
// an archive member), each file is read where the index says its bytes
// lie, and nothing else of the layer is.
func ReadFiles(ctx context.Context, im *source.Image, ix *Index, want func(*Node) bool, fn func(n *Node, r io.Reader) error) error {
	return readContents(ctx, im, ix, want, func(n *Node, _ *tar.Header, r io.Reader) error { return fn(n, r) }, false)
}

// ReadContents is ReadFiles that also hands over each content's tar
// header, for what the index does not keep (extended attributes in
// hdr.PAXRecords, modification times). fn must not keep hdr or r. It
// always reads the layers in order, headers and all.
func ReadContents(ctx context.Context, im *source.Image, ix *Index, want func(*Node) bool, fn func(n *Node, hdr *tar.Header, r io.Reader) error) error {
	return readContents(ctx, im, ix, want, fn, true)
}

func readContents(ctx context.Context, im *source.Image, ix *Index, want func(*Node) bool, fn func(n *Node, hdr *tar.Header, r io.Reader) error, headers bool) error {
	type target struct {
		pos  int
		node *Node
	}
	perLayer := map[int][]target{}
	seen := map[int32]bool{}
	ix.Root.Walk(func(n *Node) bool {
		if n.Content != nil && n.contentID >= 0 && !seen[n.contentID] && want(n) {
			seen[n.contentID] = true
			l, pos := ix.locate(n.contentID)
			perLayer[l] = append(perLayer[l], target{pos, n})
		}
		return true
	})
	layers := make([]int, 0, len(perLayer))
	for l := range perLayer {
		layers = append(layers, l)
	}
	sort.Ints(layers)
	for _, l := range layers {
		ts := perLayer[l]
		sort.Slice(ts, func(i, j int) bool { return ts[i].pos < ts[j].pos })
		byPos := make(map[int]*Node, len(ts))
		for _, t := range ts {
			byPos[t.pos] = t.node
		}
		read := readLayerFiles
		if !headers && ix.Layers[l].Compression == compress.None {
			read = readLayerFilesAt
		}
		if err := read(ctx, im, l, byPos, ts[len(ts)-1].pos, fn); err != nil {
			return fmt.Errorf("%s: %w", im.Ref, describeLayer(im.Layers[l], err))
		}
	}
	return nil
}

// readLayerFiles reads layer l's tar up to entry position last, handing the
// entries at the positions in want to fn.
func readLayerFiles(ctx context.Context, im *source.Image, l int, want map[int]*Node, last int, fn func(*Node, *tar.Header, io.Reader) error) error {
	rc, err := im.Layers[l].Open()
	if err != nil {
		return fmt.Errorf("opening: %w", err)
	}
	defer rc.Close()
	u, err := compress.NewReader(rc)
	if err != nil {
		return err
	}
	defer u.Close()
	tr := tarsparse.NewReader(u)
	h := xxhash.New()
	buf := make([]byte, 64<<10) // one buffer for the rest of every file
	for pos := 0; pos <= last; {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("the layer ended before entry %d: it changed since it was indexed", last+1)
		}
		if err != nil {
			return fmt.Errorf("reading tar: %w", compress.DescribeReadError(err))
		}
		if _, ok, _ := entryFromHeader(hdr); !ok {
			continue
		}
		if n := want[pos]; n != nil {
			h.Reset()
			var r, rest io.Reader = io.TeeReader(tr, h), tr
			if frags, ok := tr.Sparse(); ok {
				// A sparse file: its map and stored bytes, as scanTar
				// hashed them.
				h.Write(sparseMap(frags))
				r = &SparseFile{frags: frags, data: io.TeeReader(tr.Data(), h), size: hdr.Size}
				rest = tr.Data()
			}
			if err := fn(n, hdr, r); err != nil {
				return err
			}
			if _, err := io.CopyBuffer(h, rest, buf); err != nil {
				return fmt.Errorf("reading %s: %w", n.Content.Path, compress.DescribeReadError(err))
			}
			if h.Sum64() != n.Content.Hash {
				return fmt.Errorf("%s changed since the layer was indexed", n.Content.Path)
			}
		}
		pos++
	}
	return nil
}

// readLayerFilesAt reads the files at the positions in want from an
// uncompressed layer at their offsets, in layer order, when the blob can
// be read at an offset and every file's offset is known; else it reads
// the layer in order (readLayerFiles). Each file is checked against the
// index's hash as readLayerFiles checks it.
func readLayerFilesAt(ctx context.Context, im *source.Image, l int, want map[int]*Node, last int, fn func(*Node, *tar.Header, io.Reader) error) error {
	for _, n := range want {
		if n.Content.Offset <= 0 {
			return readLayerFiles(ctx, im, l, want, last, fn)
		}
	}
	rc, err := im.Layers[l].Open()
	if err != nil {
		return fmt.Errorf("opening: %w", err)
	}
	defer rc.Close()
	ra, ok := rc.(io.ReaderAt)
	if !ok {
		return readLayerFiles(ctx, im, l, want, last, fn)
	}
	h := xxhash.New()
	for _, pos := range slices.Sorted(maps.Keys(want)) {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := want[pos]
		e := n.Content
		h.Reset()
		r := io.NewSectionReader(ra, e.Offset, e.Size)
		if err := fn(n, nil, io.TeeReader(r, h)); err != nil {
			return err
		}
		if _, err := io.Copy(h, r); err != nil {
			return fmt.Errorf("reading %s: %w", e.Path, err)
		}
		// A blob cut short or rewritten since the index fails here.
		if h.Sum64() != e.Hash {
			return fmt.Errorf("%s changed since the layer was indexed", e.Path)
		}
	}
	return nil
}
