package tui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/dustin/go-humanize"

	"github.com/whittle-dev/whittle/analyze"
)

// wasteGroup is the waste of one operation: the files of layer stored
// that layer by hid under path, for one reason (audit's "Wasted" lines).
type wasteGroup struct {
	path   string
	reason analyze.WasteReason
	stored int // zero-based layer indexes
	by     int
	files  int
	bytes  int64
}

// groupWaste gathers wasted files by the operation that hid them, largest
// first.
func groupWaste(ws []analyze.Waste) []wasteGroup {
	type key struct {
		root       string
		reason     analyze.WasteReason
		stored, by int
	}
	index := map[key]int{}
	var out []wasteGroup
	for _, w := range ws {
		k := key{w.Root, w.Reason, w.Layer, w.By}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, wasteGroup{path: w.Root, reason: w.Reason, stored: w.Layer, by: w.By})
		}
		g := &out[i]
		g.files++
		g.bytes += w.Bytes
	}
	slices.SortStableFunc(out, func(a, b wasteGroup) int {
		if c := cmp.Compare(b.bytes, a.bytes); c != 0 {
			return c
		}
		if c := strings.Compare(a.path, b.path); c != 0 {
			return c
		}
		return cmp.Compare(a.stored, b.stored)
	})
	return out
}

// wastedPane is the third view: the bytes the layers store that the image
// does not show, grouped by the operation that hid them, then identical
// files, then the findings in full. It scrolls in a viewport.
type wastedPane struct {
	vp   viewport.Model
	d    *imageData // what the content was laid out for
	w, h int
}

// setSize lays the content out for an inner size of w×h cells.
func (p *wastedPane) setSize(d *imageData, s Styles, w, h int) {
	if d == p.d && w == p.w && h == p.h {
		return
	}
	p.d, p.w, p.h = d, w, h
	y := p.vp.YOffset
	p.vp = viewport.New(w, h)
	p.vp.SetContent(strings.Join(wastedLines(d, s, w), "\n"))
	p.vp.SetYOffset(y)
}

// view renders the pane w×h cells large, frame included.
func (p *wastedPane) view(s Styles, w, h int) string {
	title := "Wasted space"
	if total := p.vp.TotalLineCount(); total > p.vp.Height {
		first := p.vp.YOffset + 1
		last := min(p.vp.YOffset+p.vp.Height, total)
		title += " · lines " + strconv.Itoa(first) + "–" + strconv.Itoa(last) + " of " + strconv.Itoa(total)
	}
	return s.box(title, strings.Split(p.vp.View(), "\n"), w, h, true)
}

// update scrolls the viewport for a navigation key.
func (p *wastedPane) update(msg tea.KeyMsg, k KeyMap) {
	switch {
	case key.Matches(msg, k.Up):
		p.vp.ScrollUp(1)
	case key.Matches(msg, k.Down):
		p.vp.ScrollDown(1)
	case key.Matches(msg, k.PageUp):
		p.vp.PageUp()
	case key.Matches(msg, k.PageDown):
		p.vp.PageDown()
	case key.Matches(msg, k.Home):
		p.vp.GotoTop()
	case key.Matches(msg, k.End):
		p.vp.GotoBottom()
	}
}

// wastedLines renders the view's content w cells wide.
func wastedLines(d *imageData, s Styles, w int) []string {
	t := d.audit.Totals
	var lines []string
	add := func(l ...string) { lines = append(lines, l...) }
	for _, l := range wrap(bytesText(t.WastedBytes)+" of the "+bytesText(t.ContentBytes)+" of files the layers store ("+
		percent(t.WastedPercent)+") are not visible in the image: later layers deleted, overwrote or hid them, "+
		"but the layers that stored them still ship them.", w) {
		add(l)
	}
	add("")
	if len(d.waste) == 0 {
		add(s.Dim.Render("No wasted bytes."))
	} else {
		const head = "   BYTES  FILES  LAYER  BY  REASON       "
		add(s.Header.Render(clip(head+"PATH", w)))
		pathW := w - len(head)
		for _, g := range d.waste {
			line := padLeft(bytesText(g.bytes), 8) + "  " + padLeft(humanize.Comma(int64(g.files)), 5) + "  " +
				padLeft(strconv.Itoa(g.stored+1), 5) + "  " + padLeft(strconv.Itoa(g.by+1), 2) + "  " +
				padRight(g.reason.String(), 11) + "  "
			add(clip(line, w) + shortPath(g.path, pathW))
		}
		add(s.Dim.Render(clip("LAYER stores the bytes; BY is the layer whose operation hid them.", w)))
	}
	add("", s.Header.Render(clip("Duplicates: "+bytesText(d.ix.Totals.DuplicateBytes)+" reclaimable by keeping one copy of each", w)))
	if len(d.ix.Duplicates) == 0 {
		add(s.Dim.Render("No identical files."))
	}
	for _, dup := range d.ix.Duplicates {
		lead := padLeft(bytesText(dup.Reclaimable), 8) + "  " + padRight(strconv.Itoa(len(dup.Paths))+" × "+bytesText(dup.Size), 12) + "  "
		for i, p := range dup.Paths {
			if i > 0 {
				lead = strings.Repeat(" ", len([]rune(lead)))
			}
			add(clip(lead, w) + shortPath(p, w-len([]rune(lead))))
		}
	}
	add("", s.Header.Render("Findings"))
	if len(d.audit.Findings) == 0 {
		add(s.Dim.Render("No findings."))
	}
	for _, f := range d.audit.Findings {
		add(findingLines(f, s, w)...)
	}
	return lines
}
