package closure

import (
	"fmt"
	"slices"
	"strings"

	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/imagefs"
)

// Traced is one path a command touched when it ran under the
// file-access tracer (a plan's learn: commands, `whittle learn`).
type Traced struct {
	// Path is the image path as the command named it, made absolute.
	Path string
	// Op is how: exec, open, list, chdir, readlink or stat ("" when not
	// known, as for a plan's learned: list).
	Op string
	// By is the command line that touched it ("" when not known).
	By string
}

// tracedEdges links the first root to every traced path that is in the
// image (and to the symlinks on the way to it), with a traced edge that
// says which command touched it, so that the trim keeps what the static
// rules cannot see. Without roots each path becomes a root of its own.
// Directories are not linked: a directory is kept when anything below it
// is.
func (b *builder) tracedEdges(traced []Traced) {
	if len(traced) == 0 {
		return
	}
	if b.c.explain == nil {
		b.c.explain = map[[2]graph.NodeID][]string{}
	}
	var from graph.NodeID = -1
	if len(b.c.Roots) > 0 {
		from = b.c.Roots[0].Node
	}
	for _, t := range traced {
		res, err := imagefs.ResolveMode(b.fsys, t.Path, imagefs.NoFollow)
		if err != nil {
			continue // not in the image
		}
		why := tracedWhy(t)
		targets := append(slices.Clone(res.Links), res.Path)
		// A final symlink is kept with what it points to.
		if full, err := imagefs.Resolve(b.fsys, t.Path); err == nil && full.Path != res.Path {
			targets = append(targets, full.Links...)
			targets = append(targets, full.Path)
		}
		for _, p := range targets {
			to, ok := b.nodeOf(p)
			if !ok {
				continue
			}
			if from < 0 {
				b.addRoot(Root{Spec: t.Path, Path: p, Named: t.Path, Node: to, Source: "traced"})
				continue
			}
			if to == from {
				continue
			}
			b.g.AddEdge(from, to, graph.Traced)
			k := [2]graph.NodeID{from, to}
			if len(b.c.explain[k]) < maxExplain && !slices.Contains(b.c.explain[k], why) {
				b.c.explain[k] = append(b.c.explain[k], why)
			}
		}
	}
}

// tracedWhy says what a traced edge stands for: "opened by `python3
// /app/run.py`".
func tracedWhy(t Traced) string {
	verb := map[string]string{"exec": "executed", "open": "opened", "list": "listed", "chdir": "entered",
		"readlink": "read as a link", "stat": "looked up"}[t.Op]
	if verb == "" {
		verb = "touched"
	}
	if t.By == "" {
		return fmt.Sprintf("%s %s by a learn: command (the plan's learned: list)", t.Path, verb)
	}
	return fmt.Sprintf("%s %s by `%s`", t.Path, verb, strings.TrimSpace(t.By))
}

// Miss is a traced path the static closure does not reach.
type Miss struct {
	Traced
	// Unreached are the image paths the trim would lose: the file, the
	// symlinks on the way to it, what a final symlink points to.
	Unreached []string
}

// TracedCount says how many traced paths are files in the image, and
// which of them no root of c reaches: the honest measure of the static
// rules (directories, which a trim keeps for what they hold, are not
// counted).
func (c *Closure) TracedCount(traced []Traced) (inImage int, missed []Miss) {
	for _, t := range traced {
		res, err := imagefs.ResolveMode(c.fsys, t.Path, imagefs.NoFollow)
		if err != nil || !c.Exists(t.Path) {
			continue
		}
		targets := append(slices.Clone(res.Links), res.Path)
		if full, err := imagefs.Resolve(c.fsys, t.Path); err == nil && full.Path != res.Path {
			targets = append(append(targets, full.Links...), full.Path)
		}
		var un []string
		counted := false
		for _, p := range targets {
			id, ok := c.nodeOf(p)
			if !ok {
				continue
			}
			counted = true
			if !c.Analysis.Reachable(id) && !slices.Contains(un, p) {
				un = append(un, p)
			}
		}
		if counted {
			inImage++
			if len(un) > 0 {
				missed = append(missed, Miss{Traced: t, Unreached: un})
			}
		}
	}
	return inImage, missed
}

// Exists reports whether the image holds p as a file or a symlink
// (parent symlinks followed, a final one not): directories, which a trim
// keeps for what they hold, are not counted.
func (c *Closure) Exists(p string) bool {
	_, fi, err := imagefs.Lstat(c.fsys, p)
	return err == nil && !fi.IsDir()
}
