package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/whittle-dev/whittle/internal/text"
)

// headerView is the first line: the image, its totals and the plan
// estimate: the file bytes a build of the plan would keep (/etc
// included), and what that saves from the image's visible files.
func (m Model) headerView() string {
	s := m.Styles
	var parts []string
	switch {
	case m.data != nil:
		t := m.data.audit.Totals
		parts = append(parts, s.FocusedTitle.Render(text.Escape(m.data.audit.Reference)),
			bytesText(t.UncompressedBytes)+" ("+bytesText(t.StoredBytes)+" stored)",
			strconv.Itoa(len(m.data.ix.Layers))+" layers",
			"eff "+score(100*t.Efficiency),
			"wasted "+bytesText(t.WastedBytes))
	case m.info != nil:
		var stored int64
		for _, l := range m.info.layers {
			stored += max(l.size, 0)
		}
		parts = append(parts, s.FocusedTitle.Render(text.Escape(m.info.ref)),
			bytesText(stored)+" stored", strconv.Itoa(len(m.info.layers))+" layers")
	default:
		parts = append(parts, s.FocusedTitle.Render(text.Escape(m.opts.Ref)))
	}
	right := ""
	if m.data != nil {
		switch {
		case m.estErr != nil && !m.estBusy:
			// The plan as edited cannot be built; the status line says why.
			right = s.Warning.Render("plan: ✗ cannot build")
		case !m.estKnown:
			right = "plan: estimating…"
		default:
			saving := m.data.merged.bytes - m.estimate
			right = "plan → " + s.Added.Render(bytesText(m.estimate)) + " (" + signedBytes(-saving) + ")"
		}
		if m.dirty {
			right += s.Warning.Render(" •")
		}
	}
	// Leave out the less needed totals until the estimate fits.
	left := strings.Join(parts, s.Dim.Render(" · "))
	for len(parts) > 1 && ansi.StringWidth(left)+ansi.StringWidth(right)+1 > m.width {
		if len(parts) > 2 {
			parts = append(parts[:1], parts[2:]...) // the size goes first, then the rest in turn
		} else {
			parts = parts[:1]
		}
		left = strings.Join(parts, s.Dim.Render(" · "))
	}
	gap := m.width - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		return fit(left+" "+right, m.width)
	}
	return left + strings.Repeat(" ", gap) + right
}

// tabLabel is a pane's tab: its number and name.
func tabLabel(p pane) string {
	return " " + strconv.Itoa(int(p)+1) + " " + paneNames[p] + " "
}

// tabsView is the second line: the panes, the current one marked.
func (m Model) tabsView() string {
	var b strings.Builder
	for i := range numPanes {
		l := tabLabel(i)
		if i == m.pane && m.data != nil && !m.wastedView {
			b.WriteString(m.Styles.Cursor.Render("[" + strings.TrimSpace(l) + "]"))
			b.WriteString(strings.Repeat(" ", ansi.StringWidth(l)-ansi.StringWidth(strings.TrimSpace(l))-2))
		} else {
			b.WriteString(m.Styles.Dim.Render(l))
		}
		b.WriteByte(' ')
	}
	return fit(b.String(), m.width)
}

// statusView is the line above the help: the text input when it has the
// keys, else the last action's outcome or error.
func (m Model) statusView() string {
	if m.typing != inputNone && m.typing != inputFilter {
		return fit(m.input.View(), m.width)
	}
	if m.note == "" {
		return ""
	}
	if m.noteErr {
		return m.Styles.Error.Render(fit(m.note, m.width))
	}
	return m.Styles.Dim.Render(fit(m.note, m.width))
}

// loadingView is the first frame: the layers the manifest lists, with
// their stored sizes, and a progress bar for the index.
func (m Model) loadingView(h int) string {
	s := m.Styles
	w := m.width
	lines := []string{s.Spinner.Render(m.spinner.View()) + " " + clip(text.Escape(m.opts.Ref+": "+m.status)+"…", w-2)}
	if m.loadTotal > 0 {
		lines = append(lines, progressBar(float64(m.loadDone)/float64(m.loadTotal), min(w-16, 60))+
			" "+strconv.Itoa(m.loadDone)+"/"+strconv.Itoa(m.loadTotal)+" layers")
	}
	if m.info != nil {
		lines = append(lines, "", s.Header.Render(fit("  #     STORED  COMMAND", w)))
		for i, l := range m.info.layers {
			size := "?"
			if l.size >= 0 {
				size = bytesText(l.size)
			}
			mark := " "
			if i < m.loadDone {
				mark = s.Added.Render("✓")
			}
			lines = append(lines, mark+padLeft(strconv.Itoa(i+1), 2)+"  "+padLeft(size, 9)+"  "+s.Dim.Render(clip(text.Escape(shortCommand(l.command)), w-17)))
			if len(lines) >= h {
				break
			}
		}
	}
	return strings.Join(lines, "\n")
}

// progressBar draws a fraction w cells wide.
func progressBar(f float64, w int) string {
	w = max(w, 4)
	f = max(min(f, 1), 0)
	n := int(f*float64(w) + 0.5)
	return "[" + strings.Repeat("█", n) + strings.Repeat("░", w-n) + "]"
}

// signedBytes is a change of size: "+1.2 MB", "−3.4 kB", "±0 B".
func signedBytes(n int64) string {
	switch {
	case n > 0:
		return "+" + bytesText(n)
	case n < 0:
		return "−" + bytesText(-n)
	}
	return "±0 B"
}

// findNode returns the node of a tree at an absolute path, or nil.
func findNode(root *fnode, p string) *fnode {
	n := root
	for _, name := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		if name == "" {
			continue
		}
		var next *fnode
		for _, c := range n.children {
			if c.name == name {
				next = c
				break
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}
