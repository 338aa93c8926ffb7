package analyze

// diveLayer feeds one layer into dive's efficiency formula. Dive builds a
// tree per layer and visits its leaves: every path that occurs in some
// layer accumulates the size it has there (a whiteout of a directory counts
// the bytes it deletes, a whiteout of a file counts 0), and the score is the
// sum of each path's smallest size over the sum of all its sizes. Dive drops
// opaque markers, and so does this. It runs after the layer's entries are
// applied: an entry is a leaf when no entry of the same layer lies below
// its node (childMark), and a whiteout always is.
func (m *merger) diveLayer(l *LayerIndex, whiteoutSize map[string]int64, nodes []*Node) {
	mark := int32(m.layer + 1)
	for j := len(l.Entries) - 1; j >= 0; j-- { // the last entry for a path wins
		e := &l.Entries[j]
		switch {
		case e.Type == TypeOpaque || e.Path == "/":
		case e.Type == TypeWhiteout:
			d := m.dive[e.Path]
			if d == nil {
				d = &diveData{min: -1}
				m.dive[e.Path] = d
			}
			d.add(whiteoutSize[e.Path])
		default:
			n := nodes[j]
			if n == nil || n.childMark == mark || n.diveMark == mark {
				continue
			}
			n.diveMark = mark
			if n.dive.count == 0 && len(m.dive) > 0 {
				// The path was in the tree before, under a node since
				// deleted or replaced: take its tally back.
				p := n.Path()
				if d, ok := m.dive[p]; ok {
					n.dive = *d
					delete(m.dive, p)
				}
			}
			var size int64
			if e.Type == TypeRegular {
				size = e.Size
			}
			if n.dive.count == 0 {
				n.dive.min = -1
			}
			n.dive.add(size)
		}
	}
}

// add counts one more occurrence of the path, of the given size.
func (d *diveData) add(size int64) {
	d.cumulative += size
	if d.min < 0 || size < d.min {
		d.min = size
	}
	d.count++
}

// keepDive moves the tallies of a subtree leaving the tree into the map,
// keyed by path, so that a later layer writing the same path adds to them.
func (m *merger) keepDive(n *Node) {
	if n.dive.count == 0 {
		return
	}
	p := n.Path()
	if d, ok := m.dive[p]; ok {
		d.cumulative += n.dive.cumulative
		d.min = min(d.min, n.dive.min)
		d.count += n.dive.count
	} else {
		d := n.dive
		m.dive[p] = &d
	}
	n.dive = diveData{}
}

// diveTotals finishes dive's figures: the score, the wasted bytes (each
// path seen in two or more layers counts all its sizes) and the wasted share
// of the bytes of every layer above the first.
func (m *merger) diveTotals() {
	t := &m.ix.Totals
	var minSum, cumSum, wasted int64
	tally := func(d *diveData) {
		if d.count == 0 {
			return
		}
		minSum += d.min
		cumSum += d.cumulative
		if d.count >= 2 {
			wasted += d.cumulative
		}
	}
	for _, d := range m.dive {
		tally(d)
	}
	m.ix.Root.Walk(func(n *Node) bool {
		tally(&n.dive)
		return true
	})
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
