package verify

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/unix"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/compress"
)

// deviceNumbers finds the major and minor numbers of device nodes, which
// the index does not keep, by reading the tar headers of the layers that
// wrote them (each only as far as its last wanted device). A node's entry
// is the k-th device entry for its path in its layer, so it is matched to
// the k-th device header with that name. Nodes that are not an entry of a
// layer (a hardlink to a device) are left out of the answer.
func deviceNumbers(ctx context.Context, im *source.Image, ix *analyze.Index, nodes []*analyze.Node) (map[*analyze.Node]uint64, error) {
	type want struct {
		node *analyze.Node
		k    int // the entry is the k-th (from 1) device entry for its path
	}
	perLayer := map[int]map[string]want{}
	for _, n := range nodes {
		if n.Layer < 0 || n.Layer >= len(ix.Layers) {
			continue
		}
		entries := ix.Layers[n.Layer].Entries
		k := 0
		for j := range entries {
			e := &entries[j]
			if e.Path == n.Entry.Path && (e.Type == analyze.TypeChar || e.Type == analyze.TypeBlock) {
				k++
			}
			if e == n.Entry {
				if perLayer[n.Layer] == nil {
					perLayer[n.Layer] = map[string]want{}
				}
				perLayer[n.Layer][e.Path] = want{n, k}
				break
			}
		}
	}
	out := map[*analyze.Node]uint64{}
	for l, wants := range perLayer {
		if err := scanDevices(ctx, im.Layers[l], func(p string, count int, hdr *tar.Header) bool {
			w, ok := wants[p]
			if ok && w.k == count {
				out[w.node] = unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
				delete(wants, p)
			}
			return len(wants) > 0
		}); err != nil {
			return nil, fmt.Errorf("reading device numbers from layer %d: %w", l+1, err)
		}
	}
	return out, nil
}

// scanDevices calls fn for each device header of a layer with its clean
// path and how many device headers for that path came so far (from 1),
// until fn returns false or the layer ends.
func scanDevices(ctx context.Context, l *source.Layer, fn func(p string, count int, hdr *tar.Header) bool) error {
	rc, err := l.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	u, err := compress.NewReader(rc)
	if err != nil {
		return err
	}
	defer u.Close()
	tr := tar.NewReader(u)
	counts := map[string]int{}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return compress.DescribeReadError(err)
		}
		if hdr.Typeflag != tar.TypeChar && hdr.Typeflag != tar.TypeBlock {
			continue
		}
		p, _ := analyze.CleanPath(hdr.Name)
		counts[p]++
		if !fn(p, counts[p], hdr) {
			return nil
		}
	}
}
