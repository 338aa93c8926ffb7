package tui

import (
	"maps"
	"reflect"
	"slices"
	"strconv"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/glob"
	"github.com/whittle-dev/whittle/plan"
)

// The plan edits the keys make. Each goes through package plan's edit
// functions (which check what they add by the plan file's rules, so the
// plan always saves and loads back the same) and records the plan as it
// was, for u to undo.

// maxUndo is how many edits u can undo.
const maxUndo = 200

// record saves the plan as it is before an edit, for undo.
func (m *Model) record() {
	m.undo = append(m.undo, m.plan.Clone())
	if len(m.undo) > maxUndo {
		m.undo = slices.Delete(m.undo, 0, len(m.undo)-maxUndo)
	}
}

// forget drops the last record, when the edit it was made for changed
// nothing.
func (m *Model) forget() {
	if n := len(m.undo); n > 0 && reflect.DeepEqual(m.undo[n-1], m.plan) {
		m.undo = m.undo[:n-1]
	}
}

// undoEdit puts the plan back as it was before the last edit and
// recomputes what depends on what changed: the closure for roots, the
// generated /etc for the etc section, the estimate always.
func (m *Model) undoEdit() tea.Cmd {
	n := len(m.undo)
	if n == 0 {
		m.setNote("nothing to undo", true)
		return nil
	}
	prev := m.undo[n-1]
	m.undo = m.undo[:n-1]
	cur := m.plan
	m.plan = prev
	m.changed()
	var cmds []tea.Cmd
	note := "undone"
	if !slices.Equal(cur.Roots, prev.Roots) && m.cl != nil {
		note += "; computing the closure…"
		cmds = append(cmds, m.recomputeClosure())
	}
	if !reflect.DeepEqual(cur.Etc, prev.Etc) {
		cmds = append(cmds, m.planEtc())
	}
	m.setNote(note+" ("+strconv.Itoa(len(m.undo))+" more to undo)", false)
	return tea.Batch(cmds...)
}

// keepGlob is the glob d adds for a node, to drop or to keep it: the
// path of a file, the subtree of a directory.
func keepGlob(n *fnode) string {
	if n.dir {
		return glob.Quote(n.full) + "/**"
	}
	return glob.Quote(n.full)
}

// toggleNode is d on a path of the merged tree. It steps the path
// through the plan's three states: as the closure decides (no glob of
// its own) → dropped (a drop glob) → kept (a keep glob: the build writes
// it though no root needs it) → as the closure decides. A path a glob
// above it drops is refused (drop wins): d on that path undoes it. It
// says what it did.
func (m *Model) toggleNode(n *fnode) (string, bool) {
	g := keepGlob(n)
	p := m.plan
	m.record()
	var what string
	var err error
	switch {
	case p.RemoveDrop(g):
		_, err = p.AddKeep(g)
		what = "keep " + g
	case p.RemoveKeep(g):
		what = "as the closure decides: " + g
	case n.dropped:
		m.forget()
		for _, d := range p.Drop {
			if glob.Match(d, n.full) {
				return "dropped by " + d + "; press d on that path to keep it", false
			}
		}
		return "dropped by a glob of the plan", false
	default:
		_, err = p.AddDrop(g)
		what = "drop " + g
	}
	if err != nil {
		m.undo, m.plan = m.undo[:len(m.undo)-1], m.undo[len(m.undo)-1]
		return err.Error(), false
	}
	return what, true
}

// toggleEtcItem is space on a row of the /etc pane.
func (m *Model) toggleEtcItem(k etcgen.Kind, name string) bool {
	m.record()
	var names []string
	for _, r := range m.etcp.all[k] {
		names = append(names, r.Name)
	}
	chosen, err := m.plan.ToggleEtc(k, name, names)
	if err != nil {
		m.forget()
		m.setNote(err.Error(), true)
	}
	return chosen
}

// applyFinding is x on a finding: it makes the plan change the finding
// states (its drops, /etc choices and config settings), and says what
// changed ("" when the plan had it all).
func (m *Model) applyFinding(f finding.Finding) (string, error) {
	m.record()
	said, err := m.plan.ApplyChange(f.Change)
	m.forget()
	return said, err
}

// isBloat says whether X applies a finding: bytes to free by a change
// the finding states.
func isBloat(f finding.Finding) bool {
	return f.Family() == "bloat" && f.Bytes > 0 && f.Change != nil
}

// applyAllBloat is X: every bloat finding's change. It returns how many
// findings changed the plan, and the first error.
func (m *Model) applyAllBloat() (int, error) {
	m.record()
	n := 0
	var first error
	for _, f := range m.findp.list {
		if !isBloat(f) {
			continue
		}
		said, err := m.plan.ApplyChange(f.Change)
		switch {
		case err != nil && first == nil:
			first = err
		case said != "":
			n++
		}
	}
	m.forget()
	return n, first
}

// heldBy reports whether the plan already holds a finding's change.
func heldBy(p *plan.Plan, drops map[string]bool, c *finding.Change) bool {
	if c == nil {
		return false
	}
	for _, d := range c.Drop {
		if !drops[d] {
			return false
		}
	}
	if len(c.Etc) == 0 && len(c.Config) == 0 {
		return len(c.Drop) > 0
	}
	q := &plan.Plan{Etc: plan.CloneEtc(p.Etc), Config: p.Config}
	q.Config.Env = maps.Clone(p.Config.Env)
	said, err := q.ApplyChange(&finding.Change{Etc: c.Etc, Config: c.Config})
	return err == nil && said == ""
}

// toggleLayering is L: single layer or popularity layers.
func (m *Model) toggleLayering() {
	m.record()
	if m.plan.Layers.Kind() == plan.Single {
		m.plan.Layers.Strategy = plan.Popularity
	} else {
		m.plan.Layers.Strategy = plan.Single
	}
}

// setOutputs is o's input accepted.
func (m *Model) setOutputs(outs []string) {
	m.record()
	m.plan.SetOutputs(outs)
	m.forget()
}

// setVerify is v's input accepted.
func (m *Model) setVerify(argv []string) error {
	m.record()
	err := m.plan.SetVerify(argv)
	m.forget()
	return err
}
