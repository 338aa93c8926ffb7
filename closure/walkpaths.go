package closure

import "github.com/whittle-dev/whittle/analyze"

// walkPaths is analyze.Node.Walk with each node's path (Node.Path, the
// path its entry already holds: a walk over an image of hundreds of
// thousands of files asks every path, and builds none).
func walkPaths(n *analyze.Node, fn func(n *analyze.Node, p string) bool) {
	n.Walk(func(n *analyze.Node) bool { return fn(n, n.Path()) })
}
