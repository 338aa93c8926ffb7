package closure

import (
	"github.com/whittle-dev/whittle/closure/graph"
)

// owners maps the image's paths to the nodes that hold them. A path held
// by the file node of its own name (every owned path in files
// granularity) is marked on that node rather than keyed again: the
// graph's index of file nodes by name already finds it, and an image of
// hundreds of thousands of files then builds one map of their paths, not
// two. The other paths (a package's or store path's, in packages
// granularity) are kept in a map.
type owners struct {
	g     *graph.Graph
	self  []bool // by node ID: the file node holds the path it is named by
	other map[string]graph.NodeID
	n     int
}

func newOwners(g *graph.Graph) *owners {
	return &owners{g: g, other: map[string]graph.NodeID{}}
}

// get returns the node holding path p.
func (o *owners) get(p string) (graph.NodeID, bool) {
	if id, ok := o.other[p]; ok {
		return id, true
	}
	if id, ok := o.g.Lookup(graph.File, p); ok && int(id) < len(o.self) && o.self[id] {
		return id, true
	}
	return 0, false
}

// set makes node id the holder of path p.
func (o *owners) set(p string, id graph.NodeID) {
	if nd := o.g.Get(id); nd.Kind == graph.File && nd.Name == p {
		for int(id) >= len(o.self) {
			o.self = append(o.self, make([]bool, max(1024, len(o.self)))...)
		}
		if !o.self[id] {
			if _, ok := o.other[p]; ok {
				delete(o.other, p)
			} else {
				o.n++
			}
			o.self[id] = true
		}
		return
	}
	if _, ok := o.other[p]; !ok {
		if f, ok := o.g.Lookup(graph.File, p); ok && int(f) < len(o.self) && o.self[f] {
			o.self[f] = false
		} else {
			o.n++
		}
	}
	o.other[p] = id
}

// len is the number of paths held.
func (o *owners) len() int { return o.n }

// each calls fn for every path and its holder, in no order.
func (o *owners) each(fn func(p string, id graph.NodeID)) {
	for p, id := range o.other {
		fn(p, id)
	}
	for id, ok := range o.self {
		if ok {
			fn(o.g.Get(graph.NodeID(id)).Name, graph.NodeID(id))
		}
	}
}
