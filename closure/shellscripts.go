package closure

// The commands shell scripts run: runs edges, the config's Cmd behind
// exec "$@", dynamic-command and missing-command findings. Kept in one
// file, wired into Build by a few calls.

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/closure/script"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/imagefs"
)

// Kinds of the findings about what scripts run.
const (
	// DynamicCommand: a reachable script builds a command word at run time.
	DynamicCommand = "dynamic-command"
	// MissingCommand: a reachable script runs a command found nowhere.
	MissingCommand = "missing-command"
)

// maxExplain bounds the explanations kept per edge (one per command name,
// at its first line).
const maxExplain = 5

type shellScripts struct {
	src     map[string][]byte           // script path → contents
	dialect map[string]string           // script path → its shell's base name
	args    map[string][]script.Command // script path → its "$@" runs
	pending []pendingFinding
	read    map[string][]byte // sourced files read so far, by real path
}

// pendingFinding waits for the analysis: only reachable scripts count.
type pendingFinding struct {
	script graph.NodeID
	f      finding.Finding
}

// shellEdges adds a runs edge from each shell script to every program it
// runs and file it sources.
func (b *builder) shellEdges() error {
	var paths []string
	for p := range b.sh.src {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	walked, err := b.prefetchSourced(paths)
	if err != nil {
		return err
	}
	b.sh.args = map[string][]script.Command{}
	for _, p := range paths {
		from, ok := b.nodeOf(p)
		if !ok {
			continue
		}
		w, done := walked[p]
		if !done {
			w.cmds, w.dyn, w.err = script.Commands(b.sh.src[p], p, script.Options{
				Path: b.searchDir, Dialect: b.sh.dialect[p], ReadFile: b.readSourced,
			})
		}
		cmds, dyn := w.cmds, w.dyn
		if w.err != nil {
			b.problem("bad-script", p, w.err.Error())
			continue
		}
		for _, d := range dyn {
			b.later(from, DynamicCommand, finding.Info, d.File, fmt.Sprintf("line %d%s: the command %s is chosen at run time (%s); add a root or a keep for what it runs",
				d.Line, viaText(d.Via), d.Word, d.Reason))
		}
		for _, c := range cmds {
			if c.Kind == script.Args {
				b.sh.args[p] = append(b.sh.args[p], c)
				continue
			}
			if strings.Contains(c.Name, "/") && !strings.HasPrefix(c.Name, "/") {
				b.later(from, DynamicCommand, finding.Info, c.File, fmt.Sprintf("line %d%s: %s is relative to the working directory", c.Line, viaText(c.Via), c.Name))
				continue
			}
			found, res, err := b.lookCommand(c.Name, c.Path, c.Kind == script.Run)
			if err != nil {
				sev := finding.Error
				if c.Guarded {
					sev = finding.Info
					err = fmt.Errorf("%w (the script checks for it first)", err)
				}
				verb := "runs"
				if c.Kind != script.Run {
					verb = "reads"
				}
				b.later(from, MissingCommand, sev, c.File, fmt.Sprintf("line %d%s %s %s: %v", c.Line, viaText(c.Via), verb, c.Name, err))
				continue
			}
			src := from
			if c.File != p {
				if id, ok := b.nodeOf(c.File); ok {
					src = id
				}
			}
			b.runsEdge(src, res, fmt.Sprintf("%s line %d runs %s → %s", c.File, c.Line, c.Name, found))
		}
	}
	return nil
}

// errNotRead stands for a sourced file prefetchSourced has not read yet.
var errNotRead = errors.New("not read yet")

// maxSourceRounds bounds prefetchSourced's passes: files sourced deeper
// are read one by one when the scripts are walked.
const maxSourceRounds = 4

// walk is what script.Commands found in one script.
type walk struct {
	cmds []script.Command
	dyn  []script.Dynamic
	err  error
}

// prefetchSourced reads the files the scripts source before they are
// walked, all the files of one level of sourcing in one pass over the
// layers (a file found sourced by a sourced file is read in the next),
// instead of one pass for each file. It returns the walks of the scripts
// whose sourced files were all at hand (in memory or cached), which need
// no second walk.
func (b *builder) prefetchSourced(scripts []string) (map[string]walk, error) {
	walked := map[string]walk{}
	unwalked := scripts
	for round := 0; round < maxSourceRounds && len(unwalked) > 0; round++ {
		want := map[string]bool{}
		var again []string
		for _, p := range unwalked {
			asked := false
			probe := func(name string, dirs []string) (string, []byte, error) {
				_, res, err := b.lookCommand(name, dirs, false)
				if err != nil {
					return "", nil, err
				}
				if _, ok := b.sh.read[res.Path]; ok || b.fsys.Ready(imagefs.Name(res.Path)) {
					return b.readSourced(name, dirs)
				}
				want[res.Path], asked = true, true
				return "", nil, errNotRead
			}
			var w walk
			w.cmds, w.dyn, w.err = script.Commands(b.sh.src[p], p, script.Options{Path: b.searchDir, Dialect: b.sh.dialect[p], ReadFile: probe})
			if asked {
				again = append(again, p)
			} else {
				walked[p] = w
			}
		}
		if len(want) == 0 {
			return walked, nil
		}
		if err := b.fsys.Preload(func(n *analyze.Node) bool { return want[n.Path()] }); err != nil {
			return nil, err
		}
		unwalked = again
	}
	return walked, nil
}

func viaText(via []string) string {
	if len(via) == 0 {
		return ""
	}
	return " (via " + strings.Join(via, ", ") + ")"
}

// runsEdge links from to a program and the symlinks on the way to it,
// explaining each edge.
func (b *builder) runsEdge(from graph.NodeID, res imagefs.Resolved, why string) {
	if b.c.explain == nil {
		b.c.explain = map[[2]graph.NodeID][]string{}
	}
	for _, l := range append(append([]string(nil), res.Links...), res.Path) {
		to, ok := b.nodeOf(l)
		if !ok || to == from {
			continue
		}
		b.g.AddEdge(from, to, graph.Runs)
		k := [2]graph.NodeID{from, to}
		if len(b.c.explain[k]) < maxExplain && !sameCommand(b.c.explain[k], why) {
			b.c.explain[k] = append(b.c.explain[k], why)
		}
	}
}

// sameCommand reports whether list explains the same command as why
// (the same " runs NAME → PATH" from the same file).
func sameCommand(list []string, why string) bool {
	file, _, _ := strings.Cut(why, " line ")
	_, what, _ := strings.Cut(why, " runs ")
	for _, x := range list {
		f, _, _ := strings.Cut(x, " line ")
		_, w, _ := strings.Cut(x, " runs ")
		if f == file && w == what {
			return true
		}
	}
	return false
}

func (b *builder) later(script graph.NodeID, kind string, sev finding.Severity, p, msg string) {
	b.sh.pending = append(b.sh.pending, pendingFinding{script: script, f: finding.Finding{
		Kind: "closure/" + kind, Severity: sev, Paths: []string{p}, Message: msg,
	}})
}

// lookCommand finds a command as the shell does: a path as named, else the
// first match in the PATH given (executable when exec is set; `.` needs
// only a readable file). It returns the path found and its resolution.
func (b *builder) lookCommand(name string, dirs []string, exec bool) (string, imagefs.Resolved, error) {
	if strings.HasPrefix(name, "/") {
		res, fi, err := imagefs.Stat(b.fsys, name)
		if err != nil {
			return "", res, describeMissing(err)
		}
		if fi.IsDir() {
			return "", res, fmt.Errorf("is a directory")
		}
		return path.Clean(name), res, nil
	}
	for _, dir := range dirs {
		if !strings.HasPrefix(dir, "/") {
			continue
		}
		p := path.Join(dir, name)
		if res, fi, err := imagefs.Stat(b.fsys, p); err == nil && !fi.IsDir() && (!exec || fi.Mode()&0o111 != 0) {
			return p, res, nil
		}
	}
	return "", imagefs.Resolved{}, fmt.Errorf("not found in PATH %s", strings.Join(dirs, ":"))
}

// readSourced reads a file a script sources, for script.Commands.
func (b *builder) readSourced(name string, dirs []string) (string, []byte, error) {
	_, res, err := b.lookCommand(name, dirs, false)
	if err != nil {
		return "", nil, err
	}
	if data, ok := b.sh.read[res.Path]; ok {
		return res.Path, data, nil
	}
	data, err := imagefs.ReadFile(b.fsys, res.Path, script.DefaultMaxSize)
	if err != nil {
		return "", nil, err
	}
	if b.sh.read == nil {
		b.sh.read = map[string][]byte{}
	}
	b.sh.read[res.Path] = data
	return res.Path, data, nil
}

// shellArgsRoots makes the config's Cmd a root when the Entrypoint is a
// script that runs "$@" (exec "$@", exec gosu app "$@"): the Cmd is what
// it runs.
func (b *builder) shellArgsRoots(opts Options) {
	if opts.NoConfigRoots || b.im.Config == nil {
		return
	}
	cfg := b.im.Config.Config
	if len(cfg.Entrypoint) == 0 || len(cfg.Cmd) == 0 {
		return
	}
	for _, r := range b.c.Roots {
		if r.Source != "entrypoint" || r.Path == "" {
			continue
		}
		res, err := imagefs.Resolve(b.fsys, r.Path)
		if err != nil {
			continue
		}
		for _, c := range b.sh.args[res.Path] {
			word := cfg.Cmd[0]
			found, to, err := b.lookCommand(word, c.Path, true)
			if strings.Contains(word, "/") && !strings.HasPrefix(word, "/") {
				err = fmt.Errorf("is relative to the working directory")
			}
			if err != nil {
				b.later(r.Node, MissingCommand, finding.Error, c.File, fmt.Sprintf("line %d%s runs \"$@\", the config's Cmd %q: %v", c.Line, viaText(c.Via), word, err))
				continue
			}
			id, ok := b.nodeOf(to.Path)
			if !ok {
				continue
			}
			from := r.Node
			if n, ok := b.nodeOf(c.File); ok {
				from = n
			}
			b.runsEdge(from, to, fmt.Sprintf("%s line %d runs \"$@\" (the config's Cmd %s) → %s", c.File, c.Line, word, found))
			if !b.g.IsRoot(id) {
				b.addRoot(Root{Spec: word, Path: found, Node: id, Source: "cmd"})
			}
		}
	}
}

// shellFindings reports what reachable scripts run dynamically or cannot
// find.
func (b *builder) shellFindings() {
	for _, p := range b.sh.pending {
		if b.c.Analysis.Reachable(p.script) {
			b.problems.Add(p.f)
		}
	}
}

// Explain returns what the edge from → to stands for, when the builder
// recorded it (runs edges: "SCRIPT line N runs NAME → PATH").
func (c *Closure) Explain(from, to graph.NodeID) []string {
	return c.explain[[2]graph.NodeID{from, to}]
}

// DynamicCommands counts the dynamic-command findings.
func (c *Closure) DynamicCommands() int {
	n := 0
	for _, p := range c.Problems {
		if p.Kind == "closure/"+DynamicCommand {
			n++
		}
	}
	return n
}
