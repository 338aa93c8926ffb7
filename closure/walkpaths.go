package closure

import "github.com/whittle-dev/whittle/analyze"

// walkPaths is analyze.Node.Walk with each node's path (Node.Path), made
// from its parent's rather than by walking up to the root again: a walk
// over an image of hundreds of thousands of files asks every path.
func walkPaths(n *analyze.Node, fn func(n *analyze.Node, p string) bool) {
	walkPathsFrom(n, n.Path(), fn)
}

func walkPathsFrom(n *analyze.Node, p string, fn func(*analyze.Node, string) bool) {
	if !fn(n, p) {
		return
	}
	for _, c := range n.Children {
		if p == "/" {
			walkPathsFrom(c, "/"+c.Name, fn)
		} else {
			walkPathsFrom(c, p+"/"+c.Name, fn)
		}
	}
}
