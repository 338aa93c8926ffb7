package analyze

import (
	"sort"
	"strings"
)

// diveLayer feeds one layer into dive's efficiency formula. Dive builds a
// tree per layer and visits its leaves: every path that occurs in some
// layer accumulates the size it has there (a whiteout of a directory counts
// the bytes it deletes, a whiteout of a file counts 0), and the score is the
// sum of each path's smallest size over the sum of all its sizes. Dive drops
// opaque markers, and so does this.
func (m *merger) diveLayer(l *LayerIndex, whiteoutSize map[string]int64) {
	type leaf struct {
		path string
		size int64
	}
	last := make(map[string]int64, len(l.Entries))
	for j := range l.Entries {
		e := &l.Entries[j]
		switch {
		case e.Type == TypeOpaque, e.Path == "/":
			continue
		case e.Type == TypeWhiteout:
			last[e.Path] = whiteoutSize[e.Path]
		case e.Type == TypeRegular:
			last[e.Path] = e.Size
		default:
			last[e.Path] = 0
		}
	}
	leaves := make([]leaf, 0, len(last))
	for p, s := range last {
		leaves = append(leaves, leaf{p, s})
	}
	sort.Slice(leaves, func(i, j int) bool { return leaves[i].path < leaves[j].path })
	for i, lf := range leaves {
		// A path with something below it in this layer is not a leaf. In
		// sorted order, the paths below p follow p, possibly after siblings
		// such as "p-x" or "p.d" that sort between p and "p/".
		isLeaf := true
		for k := i + 1; k < len(leaves) && strings.HasPrefix(leaves[k].path, lf.path); k++ {
			if lf.path == "/" || leaves[k].path[len(lf.path)] == '/' {
				isLeaf = false
				break
			}
		}
		if !isLeaf {
			continue
		}
		d := m.dive[lf.path]
		if d == nil {
			d = &diveData{min: -1}
			m.dive[lf.path] = d
		}
		d.cumulative += lf.size
		if d.min < 0 || lf.size < d.min {
			d.min = lf.size
		}
		d.count++
	}
}

// diveTotals finishes dive's figures: the score, the wasted bytes (each
// path seen in two or more layers counts all its sizes) and the wasted share
// of the bytes of every layer above the first.
func (m *merger) diveTotals() {
	t := &m.ix.Totals
	var minSum, cumSum, wasted int64
	for _, d := range m.dive {
		minSum += d.min
		cumSum += d.cumulative
		if d.count >= 2 {
			wasted += d.cumulative
		}
	}
	t.DiveEfficiency = 1
	if cumSum > 0 {
		t.DiveEfficiency = float64(minSum) / float64(cumSum)
	}
	t.DiveWastedBytes = wasted
	var user int64
	for _, l := range m.ix.Layers[min(1, len(m.ix.Layers)):] {
		user += l.ContentBytes()
	}
	if user > 0 {
		t.DiveUserWastedPercent = 100 * float64(wasted) / float64(user)
	}
	m.dive = nil
}
