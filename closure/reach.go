package closure

import "github.com/whittle-dev/whittle/finding"

// unreachedNote is added to the message of a problem no root reaches.
const unreachedNote = " (no root reaches it: nothing the image runs fails for it)"

// demoteUnreached makes the problems of files no root reaches notes: a
// dangling link among the docs or a library nothing loads breaks nothing
// the image runs. Problems without a file path (the roots', the package
// database's) and every problem of a graph without roots keep their
// severity.
func (c *Closure) demoteUnreached(ps []Problem) []Problem {
	if len(c.Roots) == 0 || c.Analysis == nil {
		return ps
	}
	for i, p := range ps {
		if p.Name() == "root" {
			continue
		}
		path := p.Path()
		if path == "" || path[0] != '/' {
			continue
		}
		if id, ok := c.Owner(path); ok && !c.Analysis.Reachable(id) {
			ps[i].Severity = finding.Info
			ps[i].Message += unreachedNote
		}
	}
	return ps
}
