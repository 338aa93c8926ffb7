package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/internal/text"
)

// treePane is the right pane: a file tree, either the image's merged file
// system or the selected layer's own entries with what each changed. It
// shows only the rows that fit, so a tree of any size draws as fast as a
// small one.
type treePane struct {
	d         *imageData
	layerMode bool
	layer     int // the selected layer
	bySize    bool
	filter    string
	merged    *fileTree
	layers    []*fileTree // made when first shown

	// show says which changes a layer's view shows: added, removed,
	// modified, unmodified (dive's ctrl+a, ctrl+r, ctrl+m, ctrl+u).
	show [4]bool
	// planMarks says the merged tree's kept and dropped marks are known.
	planMarks bool

	rows   []row
	cursor int
	offset int
	w, h   int // frame included
}

// newTreePane shows the merged tree, largest first.
func newTreePane(d *imageData) treePane {
	p := treePane{d: d, bySize: true, merged: &fileTree{root: d.merged}, layers: make([]*fileTree, len(d.ix.Layers)), show: [4]bool{true, true, true, true}}
	p.refresh(nil)
	return p
}

// tree returns the tree shown.
func (p *treePane) tree() *fileTree {
	if !p.layerMode {
		return p.merged
	}
	if p.layers[p.layer] == nil {
		p.layers[p.layer] = &fileTree{root: layerTree(p.d.ix, p.layer)}
		p.layers[p.layer].shown = [4]bool{true, true, true, true}
	}
	if t := p.layers[p.layer]; t.shown != p.show {
		markShown(t.root, p.show)
		t.shown = p.show
	}
	return p.layers[p.layer]
}

// listRows is how many tree rows fit between the heading and the footer.
func (p *treePane) listRows() int { return max(p.h-4, 1) }

// selected returns the node under the cursor, or nil.
func (p *treePane) selected() *fnode {
	if p.cursor < len(p.rows) {
		return p.rows[p.cursor].n
	}
	return nil
}

// setSize sets the pane's size, frame included.
func (p *treePane) setSize(w, h int) {
	p.w, p.h = w, h
	p.scroll()
}

// switchTo shows another tree (mode or layer), remembering where the
// cursor was in the one it leaves.
func (p *treePane) switchTo(layerMode bool, layer int) {
	if layerMode == p.layerMode && (layer == p.layer || !layerMode) {
		p.layer = layer
		return
	}
	t := p.tree()
	t.cursor, t.offset = p.selected(), p.offset
	p.layerMode, p.layer = layerMode, layer
	t = p.tree()
	p.offset = t.offset
	p.refresh(t.cursor)
}

// setFilter narrows the tree to the paths holding text ("" for all).
func (p *treePane) setFilter(text string) {
	if text == p.filter {
		return
	}
	keep := p.selected()
	p.filter = text
	p.refresh(keep)
}

// toggleSort sorts by name instead of size, or back.
func (p *treePane) toggleSort() {
	keep := p.selected()
	p.bySize = !p.bySize
	p.refresh(keep)
}

// collapseAll closes every directory (dive's ctrl+space).
func (p *treePane) collapseAll() {
	filtering := p.filter != ""
	var walk func(n *fnode)
	walk = func(n *fnode) {
		for _, c := range n.children {
			if c.dir {
				c.setOpen(filtering, false)
				walk(c)
			}
		}
	}
	walk(p.tree().root)
	keep := p.selected()
	for keep != nil && keep.parent != nil && keep.parent.parent != nil {
		keep = keep.parent
	}
	p.refresh(keep)
}

// toggleShow shows or hides one kind of change in a layer's view.
func (p *treePane) toggleShow(i int) {
	if !p.layerMode {
		return
	}
	p.show[i] = !p.show[i]
	p.refresh(p.selected())
}

// refresh lists the rows again and puts the cursor on keep, or on the
// nearest of its directories still shown.
func (p *treePane) refresh(keep *fnode) {
	t := p.tree()
	filtering := p.filter != ""
	if filtering && t.matched != p.filter {
		markMatches(t.root, p.filter)
		t.matched = p.filter
	}
	p.rows = flatten(t.root, p.bySize, filtering)
	depth := map[*fnode]int{}
	for n, d := keep, 0; n != nil; n, d = n.parent, d+1 {
		depth[n] = d
	}
	p.cursor = 0
	best := -1
	for i, r := range p.rows {
		if d, ok := depth[r.n]; ok && (best < 0 || d < best) {
			p.cursor, best = i, d
		}
	}
	p.scroll()
}

// update handles a navigation or tree key.
func (p *treePane) update(msg tea.KeyMsg, k KeyMap) {
	page := p.listRows()
	filtering := p.filter != ""
	switch {
	case key.Matches(msg, k.Up):
		p.cursor--
	case key.Matches(msg, k.Down):
		p.cursor++
	case key.Matches(msg, k.PageUp):
		p.cursor -= page
		p.offset -= page
	case key.Matches(msg, k.PageDown):
		p.cursor += page
		p.offset += page
	case key.Matches(msg, k.Home):
		p.cursor = 0
	case key.Matches(msg, k.End):
		p.cursor = len(p.rows) - 1
	case key.Matches(msg, k.Toggle):
		if n := p.selected(); n != nil && n.dir && len(n.children) > 0 {
			n.setOpen(filtering, !n.isOpen(filtering))
			p.refresh(n)
		}
	case key.Matches(msg, k.Expand):
		if n := p.selected(); n != nil && n.dir && len(n.children) > 0 {
			if n.isOpen(filtering) {
				p.cursor++
			} else {
				n.setOpen(filtering, true)
				p.refresh(n)
			}
		}
	case key.Matches(msg, k.Collapse):
		n := p.selected()
		switch {
		case n == nil:
		case n.dir && n.isOpen(filtering):
			n.setOpen(filtering, false)
			p.refresh(n)
		case n.parent != nil && n.parent.parent != nil:
			p.refresh(n.parent)
		}
	}
	p.scroll()
}

// scroll keeps the cursor in the rows and in view.
func (p *treePane) scroll() {
	p.cursor = max(min(p.cursor, len(p.rows)-1), 0)
	page := p.listRows()
	if p.cursor < p.offset {
		p.offset = p.cursor
	}
	if p.cursor >= p.offset+page {
		p.offset = p.cursor - page + 1
	}
	p.offset = max(min(p.offset, len(p.rows)-page), 0)
}

// title names what the tree shows.
func (p *treePane) title() string {
	if p.layerMode {
		t := "Layer " + strconv.Itoa(p.layer+1) + " changes"
		if p.show != [4]bool{true, true, true, true} {
			t += " (showing"
			for i, name := range []string{" +added", " -removed", " ~modified", " unmodified"} {
				if p.show[i] {
					t += name
				}
			}
			t += ")"
		}
		return t
	}
	return "Image files (✗ dropped, + kept, · not needed)"
}

// view renders the pane; input is the filter being typed, or "".
func (p *treePane) view(s Styles, focused bool, input string) string {
	w := p.w - 2
	dw := len(strconv.Itoa(max(len(p.d.ix.Layers), 1)))
	lines := make([]string, 0, p.h)

	head := "  " + " " + padLeft("SIZE", 7) + "  " + padLeft("L", dw) + "  NAME"
	order := "by size"
	if !p.bySize {
		order = "by name"
	}
	if p.filter != "" && input == "" {
		order = "/" + p.filter + " · " + order
	}
	if gap := w - len(head) - len([]rune(order)); gap >= 2 {
		head += strings.Repeat(" ", gap) + order
	}
	lines = append(lines, s.Header.Render(fit(head, w)))

	if len(p.rows) == 0 {
		empty := "No files."
		if p.filter != "" {
			empty = "No path contains " + strconv.Quote(p.filter) + "."
		}
		lines = append(lines, s.Dim.Render(empty))
	}
	end := min(p.offset+p.listRows(), len(p.rows))
	for i := p.offset; i < end; i++ {
		lines = append(lines, p.rowLine(p.rows[i], s, w, i == p.cursor, focused, dw))
	}
	for len(lines) < p.h-3 {
		lines = append(lines, "")
	}

	footer := input
	if footer == "" {
		if n := p.selected(); n != nil {
			pos := " " + strconv.Itoa(p.cursor+1) + "/" + strconv.Itoa(len(p.rows))
			footer = s.Dim.Render(padRight(shortPath(n.path(), w-len(pos)), w-len(pos)) + pos)
		}
	}
	lines = append(lines, footer)
	return s.box(p.title(), lines, p.w, p.h, focused)
}

// rowLine renders one row w cells wide: cursor, change mark (layer
// trees), size, the layer that wrote the entry, and the indented name.
func (p *treePane) rowLine(r row, s Styles, w int, selected, focused bool, dw int) string {
	n := r.n
	filtering := p.filter != ""
	mark, markStyle := " ", s.Dim
	if !p.layerMode && p.planMarks {
		switch {
		case n.dropped:
			mark, markStyle = "✗", s.Removed
		case n.kept && !n.reach:
			// Kept by a keep glob: no root of the closure needs it.
			mark, markStyle = "+", s.Added
		case !n.kept && n.bytes > 0:
			mark, markStyle = "·", s.Dim
		}
	}
	if p.layerMode {
		switch n.change {
		case analyze.ChangeAdded:
			mark, markStyle = "+", s.Added
		case analyze.ChangeModified:
			mark, markStyle = "~", s.Modified
		case analyze.ChangeRemoved:
			mark, markStyle = "-", s.Removed
		}
	}
	size := ""
	if n.dir || n.deleted || n.entry != nil && (n.entry.Type == analyze.TypeRegular || n.entry.Type == analyze.TypeHardlink) {
		size = bytesText(n.bytes)
	}
	layer := ""
	if n.layer >= 0 {
		layer = strconv.Itoa(n.layer + 1)
	}
	icon := "  "
	if n.dir && len(n.children) > 0 {
		icon = "▸ "
		if n.isOpen(filtering) {
			icon = "▾ "
		}
	}
	name, suffix, nameStyle := n.name, "", lipgloss.NewStyle()
	switch {
	case n.deleted:
		suffix, nameStyle = " (deleted)", s.Removed
	case n.dir:
		name += "/"
		nameStyle = s.Dir
		if n.opaque {
			suffix = " (opaque)"
		}
	case n.entry == nil:
	case n.entry.Type == analyze.TypeSymlink:
		suffix, nameStyle = " -> "+n.entry.Link, s.Symlink
	case n.entry.Type == analyze.TypeHardlink:
		suffix = " => " + n.entry.Link
	case n.entry.Type == analyze.TypeChar, n.entry.Type == analyze.TypeBlock, n.entry.Type == analyze.TypeFIFO:
		suffix, nameStyle = " ("+specialName[n.entry.Type]+")", s.Special
	}
	if n.hidden > 0 && !n.deleted {
		suffix += " (hides " + bytesText(n.hidden) + ")"
	}
	if !p.layerMode && n.layer == p.layer {
		nameStyle = s.FromLayer.Inherit(nameStyle)
	}
	cur := " "
	if selected {
		cur = "›"
	}
	lead := cur + mark + " " + padLeft(size, 7) + "  " + padLeft(layer, dw) + "  " + strings.Repeat("  ", r.depth) + icon
	name, suffix = text.Escape(name), text.Escape(suffix)
	room := w - ansi.StringWidth(lead)
	if ansi.StringWidth(name)+ansi.StringWidth(suffix) > room {
		name = abbrevStoreName(name)
	}
	switch nw := ansi.StringWidth(name); {
	case nw+ansi.StringWidth(suffix) <= room:
	case nw < room:
		suffix = clip(suffix, room-nw)
	default:
		name, suffix = shortName(name, room), ""
	}
	if selected {
		style := s.CursorBlurred
		if focused {
			style = s.Cursor
		}
		return style.Render(fit(lead+name+suffix, w))
	}
	return fit(cur+markStyle.Render(mark)+" "+s.Bytes.Render(padLeft(size, 7))+"  "+s.Dim.Render(padLeft(layer, dw))+"  "+
		strings.Repeat("  ", r.depth)+icon+nameStyle.Render(name)+s.Dim.Render(suffix), w)
}

// specialName names the file types shown by name only.
var specialName = map[analyze.Type]string{
	analyze.TypeChar: "char device", analyze.TypeBlock: "block device", analyze.TypeFIFO: "fifo",
}
