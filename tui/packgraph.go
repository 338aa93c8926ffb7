package tui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/whittle-dev/whittle/builder"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/text"
)

// packState is how far a node of the closure is in a build.
type packState uint8

const (
	packWaiting packState = iota // not packed yet: dim
	packPacked                   // a layer holding it was written
	packCached                   // a layer holding it came from the cache
)

// packNode is one group of the closure (a package, a store path, or the
// loose files) as the build packs it into layers.
type packNode struct {
	name  string // the group's name, as builder events name it
	label string // how the grid shows it
	bytes int64
	state packState
}

// packNodes lists the closure's groups, biggest first: each reachable
// package or store path (packages granularity), or the group of each
// reachable file (files granularity), loose files as builder.FilesGroup.
// The build names the same groups in its layer events.
func packNodes(cl *closure.Closure) []packNode {
	if cl == nil {
		return nil
	}
	at := map[string]int{}
	var nodes []packNode
	add := func(name, label string, n int64) {
		i, ok := at[name]
		if !ok {
			i = len(nodes)
			at[name] = i
			nodes = append(nodes, packNode{name: name, label: label})
		}
		nodes[i].bytes += n
	}
	g, a := cl.Graph, cl.Analysis
	for i := 0; i < g.Len(); i++ {
		id := graph.NodeID(i)
		if !a.Reachable(id) {
			continue
		}
		switch g.Get(id).Kind {
		case graph.Package, graph.StorePath:
			add(g.Get(id).Name, cl.DisplayName(id), a.SelfSize(id))
		case graph.File:
			if grp, ok := cl.Group(id); ok {
				add(g.Get(grp).Name, cl.DisplayName(grp), a.SelfSize(id))
			} else {
				add(builder.FilesGroup, "(loose files)", a.SelfSize(id))
			}
		}
	}
	slices.SortStableFunc(nodes, func(x, y packNode) int {
		if c := cmp.Compare(y.bytes, x.bytes); c != 0 {
			return c
		}
		return strings.Compare(x.name, y.name)
	})
	return nodes
}

// pack lights up the nodes a layer event names; a group the closure did
// not list (the generated /etc, say) is added.
func (b *buildPane) pack(groups []string, cached bool) {
	st := packPacked
	if cached {
		st = packCached
	}
	for _, g := range groups {
		i := slices.IndexFunc(b.nodes, func(n packNode) bool { return n.name == g })
		if i < 0 {
			label := g
			if g == builder.FilesGroup {
				label = "(loose files)"
			}
			b.nodes = append(b.nodes, packNode{name: g, label: label})
			i = len(b.nodes) - 1
		}
		b.nodes[i].state = st
	}
}

// packedCount counts the nodes packed so far, and those from the cache.
func (b *buildPane) packedCount() (packed, cached int) {
	for _, n := range b.nodes {
		switch n.state {
		case packPacked:
			packed++
		case packCached:
			packed++
			cached++
		}
	}
	return packed, cached
}

// packGrid draws the nodes as a grid w cells wide and at most h lines
// high, heading included: ○ waits (dim), ● packed, ◆ from the cache.
func (m Model) packGrid(w, h int) []string {
	s, b := m.Styles, m.buildp
	if len(b.nodes) == 0 || h < 2 {
		return nil
	}
	packed, cached := b.packedCount()
	head := "Closure · packed " + strconv.Itoa(packed) + "/" + strconv.Itoa(len(b.nodes))
	if cached > 0 {
		head += " (" + strconv.Itoa(cached) + " cached)"
	}
	out := []string{s.Header.Render(clip(head, w)) + s.Dim.Render(clip("  ○ waiting ● packed ◆ cached", max(w-len([]rune(head)), 0)))}
	cellW := 26
	if w < 2*cellW {
		cellW = w
	}
	cols := max(w/cellW, 1)
	rows := h - 1
	shown := min(len(b.nodes), rows*cols)
	if shown < len(b.nodes) {
		shown = max(rows*cols-1, 0) // the last cell says how many more
	}
	var line strings.Builder
	for i := 0; i < shown; i++ {
		n := b.nodes[i]
		size := bytesText(n.bytes)
		name := padRight(clip(text.Escape(n.label), cellW-len(size)-4), cellW-len(size)-4)
		var cell string
		switch n.state {
		case packPacked:
			cell = s.Added.Render("● ") + s.Added.Render(name) + " " + size
		case packCached:
			cell = s.Symlink.Render("◆ ") + s.Symlink.Render(name) + " " + size
		default:
			cell = s.Dim.Render("○ " + name + " " + size)
		}
		line.WriteString(padRight(cell, cellW))
		if (i+1)%cols == 0 {
			out = append(out, line.String())
			line.Reset()
		}
	}
	if shown < len(b.nodes) {
		line.WriteString(s.Dim.Render("… " + strconv.Itoa(len(b.nodes)-shown) + " more"))
	}
	if line.Len() > 0 {
		out = append(out, line.String())
	}
	return out
}
