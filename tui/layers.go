package tui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/audit"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/text"
)

// layersPane is the left pane: the image's totals, its layers with one
// selected and the selected layer's details, and the findings.
type layersPane struct {
	cursor int // the selected layer
	offset int // the first layer shown

	// The layout, set by setSize for d.
	d                        *imageData
	w, h                     int
	imageH, layersH, findH   int
	listRows                 int
	findLines                []string
	findInner                int
	layerCount, indexDigitsW int

	// top is the largest files of layer topFor.
	top    []*analyze.Entry
	topFor int
}

// maxLargest is how many of a layer's largest files the details list.
const maxLargest = 10

// refreshTop finds the selected layer's largest files, once per layer
// selected.
func (p *layersPane) refreshTop() {
	if p.d == nil || p.layerCount == 0 || p.topFor == p.cursor {
		return
	}
	p.top, p.topFor = largestFiles(p.d.ix.Layers[p.cursor], maxLargest), p.cursor
}

// imageBoxLines is the height of the totals inside their frame.
const imageBoxLines = 4

// setSize lays the pane out w×h cells large.
func (p *layersPane) setSize(d *imageData, s Styles, w, h int) {
	if d == p.d && w == p.w && h == p.h {
		return
	}
	p.d, p.w, p.h = d, w, h
	p.top, p.topFor = nil, -1
	p.layerCount = len(d.ix.Layers)
	p.indexDigitsW = len(strconv.Itoa(max(p.layerCount, 1)))
	p.findLines = nil
	for _, f := range d.audit.Findings {
		p.findLines = append(p.findLines, findingLines(f, s, w-2)...)
	}
	if len(p.findLines) == 0 {
		p.findLines = []string{s.Dim.Render("No findings.")}
	}
	// The totals, the layer list (a heading and a row at least) and the
	// findings, giving up the totals and then the findings when short.
	const minLayersH = 4
	p.imageH = imageBoxLines + 2
	if h < p.imageH+minLayersH+3 {
		p.imageH = 0
	}
	rest := h - p.imageH
	p.findInner = min(len(p.findLines), max(1, rest/3))
	p.findH = p.findInner + 2
	if rest-p.findH < minLayersH {
		p.findInner = max(1, rest-minLayersH-2)
		p.findH = p.findInner + 2
	}
	if rest-p.findH < minLayersH {
		p.findInner, p.findH = 0, 0
	}
	p.layersH = rest - p.findH
	inner := max(p.layersH-2, 0)
	switch want := p.layerCount; {
	case want+1 <= inner:
		p.listRows = want
	default:
		p.listRows = max(inner-1-4, (inner-1)/2, min(1, inner-1))
	}
	p.scroll()
	p.refreshTop()
}

// update moves the selection for a navigation key and reports whether
// it changed.
func (p *layersPane) update(msg tea.KeyMsg, k KeyMap) bool {
	before := p.cursor
	switch {
	case key.Matches(msg, k.Up):
		p.cursor--
	case key.Matches(msg, k.Down):
		p.cursor++
	case key.Matches(msg, k.PageUp):
		p.cursor -= max(p.listRows, 1)
	case key.Matches(msg, k.PageDown):
		p.cursor += max(p.listRows, 1)
	case key.Matches(msg, k.Home):
		p.cursor = 0
	case key.Matches(msg, k.End):
		p.cursor = p.layerCount - 1
	}
	p.cursor = max(min(p.cursor, p.layerCount-1), 0)
	p.scroll()
	p.refreshTop()
	return p.cursor != before
}

// scroll keeps the selected layer in view.
func (p *layersPane) scroll() {
	if p.listRows <= 0 {
		return
	}
	if p.cursor < p.offset {
		p.offset = p.cursor
	}
	if p.cursor >= p.offset+p.listRows {
		p.offset = p.cursor - p.listRows + 1
	}
	p.offset = max(min(p.offset, p.layerCount-p.listRows), 0)
}

// view renders the pane; focused says whether the layer list has focus.
func (p *layersPane) view(d *imageData, s Styles, focused bool) string {
	var boxes []string
	if p.imageH > 0 {
		boxes = append(boxes, s.box(imageTitle(d), p.imageLines(d, s), p.w, p.imageH, false))
	}
	boxes = append(boxes, s.box("Layers", p.layerLines(d, s, focused), p.w, p.layersH, focused))
	if p.findH > 0 {
		boxes = append(boxes, s.box("Findings", p.findingsShown(s), p.w, p.findH, false))
	}
	return lipgloss.JoinVertical(lipgloss.Left, boxes...)
}

// imageTitle names the image: its reference and platform.
func imageTitle(d *imageData) string {
	title := text.Escape(d.audit.Reference)
	if d.audit.Image.Platform != "" {
		title += " · " + text.Escape(d.audit.Image.Platform)
	}
	return title
}

// imageLines are the image's totals.
func (p *layersPane) imageLines(d *imageData, s Styles) []string {
	t := d.audit.Totals
	label := func(l string) string { return s.Label.Render(padRight(l, 11)) }
	return []string{
		label("Size") + bytesText(t.UncompressedBytes) + ", " + bytesText(t.StoredBytes) + " stored",
		label("Visible") + bytesText(t.VisibleBytes) + " of " + bytesText(t.ContentBytes),
		label("Wasted") + bytesText(t.WastedBytes) + " (" + percent(t.WastedPercent) + ")",
		label("Efficiency") + score(100*t.Efficiency) + " (dive " + score(100*t.DiveEfficiency) + ")",
	}
}

// layerLines are the layer list and, below it, the selected layer's
// details as far as they fit.
func (p *layersPane) layerLines(d *imageData, s Styles, focused bool) []string {
	inner, w := p.layersH-2, p.w-2
	if inner <= 0 {
		return nil
	}
	dw := p.indexDigitsW
	lines := []string{s.Header.Render(fit(" "+padLeft("#", dw)+"  "+padLeft("SIZE", 7)+"  COMMAND", w))}
	for i := p.offset; i < min(p.offset+p.listRows, p.layerCount); i++ {
		l := d.audit.Layers[i]
		cur := " "
		if i == p.cursor {
			cur = "›"
		}
		lead := cur + padLeft(strconv.Itoa(i+1), dw) + "  " + padLeft(bytesText(l.ContentBytes), 7) + "  "
		row := lead + clip(text.Escape(shortCommand(l.Command)), w-len([]rune(lead)))
		switch {
		case i == p.cursor && focused:
			row = s.Cursor.Render(fit(row, w))
		case i == p.cursor:
			row = s.CursorBlurred.Render(fit(row, w))
		default:
			row = lead + s.Dim.Render(strings.TrimPrefix(row, lead))
		}
		lines = append(lines, row)
	}
	if len(lines) >= inner || p.layerCount == 0 {
		return lines
	}
	l := d.audit.Layers[p.cursor]
	details := []string{
		"",
		s.Added.Render("+"+strconv.Itoa(l.Added)) + " " + s.Modified.Render("~"+strconv.Itoa(l.Modified)) + " " +
			s.Removed.Render("-"+strconv.Itoa(l.Removed)) + " · wasted " + bytesText(l.WastedBytes),
		s.Dim.Render(clip(shortDigest(l.DiffID)+" · "+bytesText(l.StoredBytes)+" stored", w)),
	}
	room := inner - len(lines)
	cmd := wrap(text.Escape(oneLine(l.Command)), w)
	if n := room - len(details); n >= 1 && len(cmd) > n {
		cmd = cmd[:n]
		cmd[n-1] = clip(cmd[n-1]+" …", w)
	}
	for _, c := range cmd {
		details = append(details, s.Dim.Render(c))
	}
	if n := room - len(details) - 2; n > 0 && len(p.top) > 0 {
		details = append(details, "", s.Header.Render("Largest files"))
		for _, e := range p.top[:min(n, len(p.top))] {
			size := padLeft(bytesText(e.Size), 7) + "  "
			details = append(details, size+s.Dim.Render(shortPath(e.Path, w-len(size))))
		}
	}
	if len(details) > room {
		details = details[:room]
	}
	return append(lines, details...)
}

// findingsShown are the finding lines that fit, the last saying how many
// more the wasted view lists.
func (p *layersPane) findingsShown(s Styles) []string {
	switch {
	case len(p.findLines) <= p.findInner:
		return p.findLines
	case p.findInner == 1:
		return []string{p.findLines[0] + " …"}
	}
	shown := append([]string{}, p.findLines[:p.findInner-1]...)
	return append(shown, s.Dim.Render("… more in the wasted view (w)"))
}

// findingLines renders a finding wrapped to w cells: a severity mark, then
// the message with its continuation lines indented.
func findingLines(f audit.Finding, s Styles, w int) []string {
	mark, style := "·", s.Dim
	switch f.Severity {
	case finding.Error:
		mark, style = "!", s.Error
	case finding.Warning:
		mark, style = "!", s.Warning
	}
	var out []string
	for i, l := range wrap(text.Escape(oneLine(f.Message)), w-2) {
		lead := "  "
		if i == 0 {
			lead = style.Render(mark) + " "
		}
		out = append(out, lead+l)
	}
	return out
}

// shortCommand is a history entry for the layer list: on one line, with
// the shell prefix Docker records cut down to RUN.
func shortCommand(c string) string {
	c = oneLine(c)
	if c == "" {
		return "(no history)"
	}
	c = strings.TrimPrefix(c, "/bin/sh -c #(nop) ")
	if rest, ok := strings.CutPrefix(c, "/bin/sh -c "); ok {
		return "RUN " + rest
	}
	if rest, ok := strings.CutPrefix(c, "RUN /bin/sh -c "); ok {
		return "RUN " + rest
	}
	return c
}

// shortDigest is a digest's first 12 hex digits, as docker shows IDs.
func shortDigest(d string) string {
	if _, hex, ok := strings.Cut(d, ":"); ok && len(hex) > 12 {
		return hex[:12]
	}
	return d
}

// largestFiles returns the n largest regular files a layer stores,
// largest first, ties in tar order.
func largestFiles(li *analyze.LayerIndex, n int) []*analyze.Entry {
	var top []*analyze.Entry
	for i := range li.Entries {
		e := &li.Entries[i]
		if e.Type != analyze.TypeRegular || e.Size == 0 || len(top) == n && e.Size <= top[n-1].Size {
			continue
		}
		at, _ := slices.BinarySearchFunc(top, e.Size, func(t *analyze.Entry, size int64) int { return cmp.Compare(size, t.Size) })
		for at < len(top) && top[at].Size == e.Size {
			at++
		}
		top = slices.Insert(top, at, e)
		if len(top) > n {
			top = top[:n]
		}
	}
	return top
}
