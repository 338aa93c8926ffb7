package tui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/text"
	"github.com/whittle-dev/whittle/plan"
)

// closurePane shows the dependency graph as nix-tree does: three columns,
// what needs the selected node (its referrers), the list it is in, and
// what it needs (its children), with self, closure and added sizes; w
// shows the chains from the roots, r makes a node a root of the plan, u
// lists what no root reaches.
type closurePane struct {
	// stack is the nodes stepped into; the list shown is the children of
	// the last, or the roots when it is empty. cursors are the cursors of
	// the lists left behind.
	stack   []graph.NodeID
	cursors []int
	list    []graph.NodeID
	cursor  int
	offset  int
	sortBy  int // 0 added, 1 closure, 2 name
	why     bool
	unreach bool
	ulist   []graph.NodeID
}

var closureSorts = []string{"added", "closure", "name"}

// reset shows the roots of a new closure, keeping the place when the
// nodes stepped into are still there.
func (p *closurePane) reset(m *Model) {
	p.stack, p.cursors, p.cursor, p.offset = nil, nil, 0, 0
	cl := m.cl
	p.ulist = slices.Clone(cl.Analysis.Unreachable())
	slices.SortStableFunc(p.ulist, func(a, b graph.NodeID) int {
		return cmp.Compare(cl.Analysis.SelfSize(b), cl.Analysis.SelfSize(a))
	})
	if len(cl.Graph.Roots()) == 0 {
		// Nothing to run (no Entrypoint or Cmd): show what could be a
		// root, and say how to choose one.
		p.unreach = true
		m.setNote("the image names nothing to run: press r on a node here (or on a file in Files) to make it a root", false)
	}
	p.relist(m)
}

// relist makes the shown list again.
func (p *closurePane) relist(m *Model) {
	cl := m.cl
	switch {
	case p.unreach:
		p.list = p.ulist
	case len(p.stack) == 0:
		p.list = slices.Clone(cl.Graph.Roots())
	default:
		p.list = p.list[:0:0]
		for _, e := range cl.Graph.Edges(p.stack[len(p.stack)-1]) {
			p.list = append(p.list, e.To)
		}
	}
	if !p.unreach {
		p.sortList(m, p.list)
	}
	p.cursor = max(min(p.cursor, len(p.list)-1), 0)
}

func (p *closurePane) sortList(m *Model, ids []graph.NodeID) {
	a := m.cl.Analysis
	slices.SortStableFunc(ids, func(x, y graph.NodeID) int {
		switch p.sortBy {
		case 0:
			if c := cmp.Compare(a.AddedSize(y), a.AddedSize(x)); c != 0 {
				return c
			}
		case 1:
			if c := cmp.Compare(a.ClosureSize(y), a.ClosureSize(x)); c != 0 {
				return c
			}
		}
		return strings.Compare(m.cl.Graph.Get(x).Name, m.cl.Graph.Get(y).Name)
	})
}

// selected is the node under the cursor.
func (p *closurePane) selected() (graph.NodeID, bool) {
	if p.cursor < len(p.list) {
		return p.list[p.cursor], true
	}
	return 0, false
}

// closureKey handles a key of the closure pane.
func (m *Model) closureKey(msg tea.KeyMsg) tea.Cmd {
	if m.cl == nil {
		return nil
	}
	p, k := &m.clp, m.KeyMap
	page := max(m.mainHeight()-10, 1)
	switch {
	case key.Matches(msg, k.Up):
		p.cursor--
	case key.Matches(msg, k.Down):
		p.cursor++
	case key.Matches(msg, k.PageUp):
		p.cursor -= page
	case key.Matches(msg, k.PageDown):
		p.cursor += page
	case key.Matches(msg, k.Home):
		p.cursor = 0
	case key.Matches(msg, k.End):
		p.cursor = len(p.list) - 1
	case key.Matches(msg, k.Expand), msg.Type == tea.KeyEnter:
		if id, ok := p.selected(); ok && len(m.cl.Graph.Edges(id)) > 0 {
			p.unreach = false
			p.stack = append(p.stack, id)
			p.cursors = append(p.cursors, p.cursor)
			p.cursor, p.offset = 0, 0
			p.relist(m)
		}
	case key.Matches(msg, k.Collapse):
		if n := len(p.stack); n > 0 && !p.unreach {
			p.stack, p.cursor = p.stack[:n-1], p.cursors[n-1]
			p.cursors = p.cursors[:n-1]
			p.relist(m)
		}
	case key.Matches(msg, k.Back):
		p.stack, p.cursors, p.cursor, p.unreach, p.why = nil, nil, 0, false, false
		p.relist(m)
	case key.Matches(msg, k.Sort):
		p.sortBy = (p.sortBy + 1) % len(closureSorts)
		keep, _ := p.selected()
		p.relist(m)
		if i := slices.Index(p.list, keep); i >= 0 {
			p.cursor = i
		}
		m.setNote("closure sorted by "+closureSorts[p.sortBy], false)
	case key.Matches(msg, k.Why):
		p.why = !p.why
	case key.Matches(msg, k.Unreachable):
		p.unreach = !p.unreach
		p.cursor, p.offset = 0, 0
		p.relist(m)
	case key.Matches(msg, k.Root):
		if id, ok := p.selected(); ok {
			return m.toggleRoot(id)
		}
	}
	p.cursor = max(min(p.cursor, len(p.list)-1), 0)
	rows := m.closureRows()
	if p.cursor < p.offset {
		p.offset = p.cursor
	}
	if p.cursor >= p.offset+rows {
		p.offset = p.cursor - rows + 1
	}
	return nil
}

// closureDetailH is the height of the detail box's content.
func (m *Model) closureDetailH(h int) int {
	if m.clp.why {
		return max(h/2, 8)
	}
	return 6
}

// closureRows is how many nodes the middle column lists.
func (m *Model) closureRows() int {
	h := m.mainHeight()
	colH := max(h-m.closureDetailH(h)-1, 3)
	return max(colH-3, 1)
}

// toggleRoot makes a node a root of the plan, or no longer one, and
// computes the closure again in the background. The plan's roots replace
// the config's, so the first change starts from the roots in use.
func (m *Model) toggleRoot(id graph.NodeID) tea.Cmd {
	name := m.cl.Graph.Get(id).Name
	m.record()
	if len(m.plan.Roots) == 0 {
		for _, r := range m.cl.Roots {
			if r.Source == closure.SourceAppDir || r.Source == closure.SourceEtc {
				continue // implied by the config, found again
			}
			spec := r.Path
			if spec == "" {
				spec = r.Spec
			}
			if plan.CheckRoot(spec) == nil && !slices.Contains(m.plan.Roots, spec) {
				m.plan.Roots = append(m.plan.Roots, spec)
			}
		}
	}
	root, err := m.plan.ToggleRoot(name)
	if err != nil {
		m.forget()
		m.setNote(err.Error(), true)
		return nil
	}
	switch {
	case root:
		m.setNote("root: "+text.Escape(name)+"; computing the closure…", false)
	case len(m.plan.Roots) == 0:
		m.setNote("no roots left: the image config's entrypoint and cmd apply; computing the closure…", false)
	default:
		m.setNote("no longer a root: "+text.Escape(name)+"; computing the closure…", false)
	}
	m.changed()
	return m.recomputeClosure()
}

// recomputeClosure computes the closure of the plan's roots again in the
// background; the status line's "computing the closure…" clears when it
// comes.
func (m *Model) recomputeClosure() tea.Cmd {
	m.clNote = strings.HasSuffix(m.note, "computing the closure…")
	m.clGen++
	m.clBusy = true
	ctx, id0, gen, d, roots, learned := m.ctx, m.loadID, m.clGen, m.data, slices.Clone(m.plan.Roots), slices.Clone(m.plan.Learned)
	return tea.Batch(func() tea.Msg { return computeClosure(ctx, id0, gen, d, roots, learned) }, m.spinner.Tick)
}

// closureLegend says what the three sizes mean.
const closureLegend = "self: the node's own bytes · closure: it and all it needs · added: bytes freed if it went away"

// closureView draws the closure pane w×h.
func (m Model) closureView(w, h int) string {
	s := m.Styles
	switch {
	case m.cl == nil && m.clErr != nil:
		return s.Error.Render(strings.Join(wrap("closure: "+text.Escape(oneLine(m.clErr.Error())), w), "\n"))
	case m.cl == nil:
		return s.Spinner.Render(m.spinner.View()) + " computing the closure…"
	}
	p := m.clp
	cl, a := m.cl, m.cl.Analysis
	detailH := m.closureDetailH(h)
	colH := max(h-detailH-1, 3)
	inner := colH - 2
	off := p.offset
	id, ok := p.selected()

	sideW := max(w/4, 16)
	midW := w - 2*sideW
	var parents, children []graph.NodeID
	if ok {
		for _, e := range cl.Graph.Referrers(id) {
			parents = append(parents, e.From)
		}
		for _, e := range cl.Graph.Edges(id) {
			children = append(children, e.To)
		}
		m.clp.sortList(&m, parents)
		m.clp.sortList(&m, children)
	}
	sideLines := func(ids []graph.NodeID, cw int) []string {
		var out []string
		for _, n := range ids {
			if len(out) >= inner {
				break
			}
			size := padLeft(bytesText(a.AddedSize(n)), 7)
			out = append(out, shortPath(cl.Graph.Get(n).Name, cw-2-8)+" "+s.Dim.Render(size))
		}
		if len(ids) == 0 {
			out = append(out, s.Dim.Render("(none)"))
		}
		return out
	}
	var mid []string
	mid = append(mid, s.Header.Render(fit(padLeft("ADDED", 7)+" "+padLeft("CLOSURE", 7)+"  NAME", midW-2)))
	for i := off; i < min(off+inner-1, len(p.list)); i++ {
		n := p.list[i]
		node := cl.Graph.Get(n)
		root := " "
		if cl.Graph.IsRoot(n) {
			root = "R"
		}
		lead := padLeft(bytesText(a.AddedSize(n)), 7) + " " + padLeft(bytesText(a.ClosureSize(n)), 7) + " " + root + " "
		if p.unreach {
			lead = padLeft(bytesText(a.SelfSize(n)), 7) + " " + padLeft("self", 7) + " " + root + " "
		}
		row := lead + shortPath(node.Name, midW-2-len([]rune(lead)))
		if i == p.cursor {
			row = s.Cursor.Render(fit(row, midW-2))
		}
		mid = append(mid, row)
	}
	if len(p.list) == 0 {
		mid = append(mid, s.Dim.Render("(nothing)"))
	}
	title := "Roots"
	switch {
	case p.unreach:
		title = "Unreachable: " + strconv.Itoa(len(p.ulist)) + " nodes, " + bytesText(a.UnreachableSize()) + " (a trim leaves them out)"
	case len(p.stack) > 0:
		title = "Needed by " + shortPath(cl.Graph.Get(p.stack[len(p.stack)-1]).Name, midW-16)
	}
	if m.clBusy {
		title += " " + m.spinner.View()
	}
	cols := lipgloss.JoinHorizontal(lipgloss.Top,
		s.box("Referrers", sideLines(parents, sideW), sideW, colH, false),
		s.box(title, mid, midW, colH, true),
		s.box("Needs", sideLines(children, sideW), sideW, colH, false))

	var detail []string
	if ok {
		node := cl.Graph.Get(id)
		detail = append(detail, text.Escape(node.Name)+s.Dim.Render(" ("+node.Kind.String()+")"))
		state := "reachable"
		switch {
		case cl.Graph.IsRoot(id):
			state = "a root"
		case !a.Reachable(id):
			state = "unreachable: a trim leaves it out"
		}
		detail = append(detail, "self "+bytesText(a.SelfSize(id))+" · closure "+bytesText(a.ClosureSize(id))+
			" · added "+bytesText(a.AddedSize(id))+" · "+state)
		if p.why {
			chains := a.Why(id, 5, 30)
			if len(chains) == 0 {
				detail = append(detail, s.Dim.Render("No root reaches it."))
			}
			for _, c := range chains {
				var parts []string
				for i, n := range c.Nodes {
					part := shortPath(cl.Graph.Get(n).Name, 40)
					if i > 0 {
						part = "-[" + c.Kinds[i-1].String() + "]→ " + part
					}
					parts = append(parts, part)
				}
				detail = append(detail, wrap(strings.Join(parts, " "), w-2)...)
			}
		}
	}
	for _, l := range wrap(closureLegend, w-2) {
		detail = append(detail, s.Dim.Render(l))
	}
	dtitle := "Node"
	if p.why {
		dtitle = "Why (chains from the roots)"
	}
	return cols + "\n" + s.box(dtitle, detail, w, detailH+1, false)
}
