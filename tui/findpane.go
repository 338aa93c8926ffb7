package tui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/glob"
	"github.com/whittle-dev/whittle/internal/text"
)

// findingsPane lists what the audit, the index and the closure found,
// biggest saving first; enter explains one, x applies its fix to the plan
// and X applies every bloat fix. It takes any []finding.Finding, so new
// kinds of findings need no change here.
type findingsPane struct {
	list    []finding.Finding
	cursor  int
	offset  int
	explain bool
}

// refresh collects the findings again (after the closure arrives).
func (p *findingsPane) refresh(m *Model) {
	if m.data == nil {
		return
	}
	// The index's and the config's findings, then bloat and breakage
	// (which repeat the config's): each once.
	var set finding.Set
	for _, f := range m.data.audit.Findings {
		set.Add(f)
	}
	for _, f := range m.found {
		set.Add(f)
	}
	all := set.List()
	// Errors first, as the CLI lists them; then the biggest savings.
	slices.SortStableFunc(all, func(a, b finding.Finding) int {
		if a.Severity == finding.Error || b.Severity == finding.Error {
			if c := cmp.Compare(a.Severity.Rank(), b.Severity.Rank()); c != 0 {
				return c
			}
		}
		if c := cmp.Compare(b.Bytes, a.Bytes); c != 0 {
			return c
		}
		return cmp.Compare(b.Severity.Rank(), a.Severity.Rank())
	})
	p.list = all
	p.cursor = max(min(p.cursor, len(all)-1), 0)
}

// fixGlobs are the drop globs that apply a finding's fix: the plan
// change it suggests, else its image paths. (Package and store path
// names are not globs, and are left out.)
func fixGlobs(f finding.Finding) []string {
	if f.Change != nil {
		// The change the finding suggests is its fix: paths it names
		// are what is broken or missing, not what to drop (fs/no-tmp
		// names /tmp, which its fix adds).
		return f.Change.Drop
	}
	if f.Family() != "bloat" {
		return nil
	}
	var globs []string
	for _, p := range f.Paths {
		if strings.HasPrefix(p, "/") && p != "/" {
			globs = append(globs, glob.Quote(p))
		}
	}
	return globs
}

// isBloat says whether a finding is bytes to drop: it names image paths
// and what they weigh.
func isBloat(f finding.Finding) bool { return f.Bytes > 0 && len(fixGlobs(f)) > 0 }

// applyFix adds a finding's drop globs to the plan; it reports how many
// were new.
func applyFix(m *Model, f finding.Finding) int {
	n := 0
	for _, g := range fixGlobs(f) {
		if !slices.Contains(m.plan.Drop, g) {
			m.plan.Drop = append(m.plan.Drop, g)
			n++
		}
	}
	return n
}

// findingsKey handles a key of the findings pane.
func (m *Model) findingsKey(msg tea.KeyMsg) tea.Cmd {
	p, k := &m.findp, m.KeyMap
	switch {
	case key.Matches(msg, k.Up):
		p.cursor--
	case key.Matches(msg, k.Down):
		p.cursor++
	case key.Matches(msg, k.Home):
		p.cursor = 0
	case key.Matches(msg, k.End):
		p.cursor = len(p.list) - 1
	case key.Matches(msg, k.PageUp):
		p.cursor -= 10
	case key.Matches(msg, k.PageDown):
		p.cursor += 10
	case key.Matches(msg, k.Toggle):
		p.explain = !p.explain
	case key.Matches(msg, k.Apply):
		if p.cursor < len(p.list) {
			f := p.list[p.cursor]
			if etc := applyEtcFix(m, f); etc != "" {
				m.changed()
				m.setNote("added to the plan's etc: "+text.Escape(etc), false)
				break
			}
			switch n := applyFix(m, f); {
			case len(fixGlobs(f)) == 0:
				m.setNote("this finding names no image path to drop; its fix: "+text.Escape(oneLine(f.Fix)), true)
			case n == 0:
				m.setNote("already in the plan", false)
			default:
				m.changed()
				m.noteEstimate("dropped " + strconv.Itoa(n) + " path(s)")
			}
		}
	case key.Matches(msg, k.ApplyAll):
		n := 0
		for _, f := range p.list {
			if isBloat(f) {
				n += applyFix(m, f)
			}
		}
		if n > 0 {
			m.changed()
		}
		m.noteEstimate("applied the bloat fixes: " + strconv.Itoa(n) + " drop glob(s) added")
	}
	p.cursor = max(min(p.cursor, len(p.list)-1), 0)
	return nil
}

// findingsView draws the findings pane w×h.
func (m Model) findingsView(w, h int) string {
	s, p := m.Styles, m.findp
	detailH := 0
	if p.explain {
		detailH = max(h/3, 6)
	}
	listH := h - detailH
	inner := listH - 2
	off := p.offset
	if p.cursor >= off+inner-1 {
		off = p.cursor - inner + 2
	}
	if p.cursor < off {
		off = p.cursor
	}
	lines := []string{s.Header.Render(fit("  SEVERITY  "+padLeft("BYTES", 7)+"  KIND / MESSAGE", w-2))}
	for i := off; i < min(len(p.list), off+inner-1); i++ {
		f := p.list[i]
		applied := " "
		if gl := fixGlobs(f); len(gl) > 0 && !slices.ContainsFunc(gl, func(g string) bool { return !slices.Contains(m.plan.Drop, g) }) {
			applied = "✗"
		}
		bytes := ""
		if f.Bytes > 0 {
			bytes = bytesText(f.Bytes)
		}
		row := applied + " " + padRight(string(f.Severity), 8) + "  " + padLeft(bytes, 7) + "  " +
			text.Escape(f.Kind) + "  " + text.Escape(oneLine(f.Message))
		if i == p.cursor {
			row = s.Cursor.Render(fit(row, w-2))
		}
		lines = append(lines, row)
	}
	if len(p.list) == 0 {
		lines = append(lines, s.Dim.Render("No findings."))
	}
	out := s.box("Findings ("+strconv.Itoa(len(p.list))+") · ✗ fix in the plan", lines, w, listH, true)
	if detailH > 0 && p.cursor < len(p.list) {
		f := p.list[p.cursor]
		var d []string
		d = append(d, wrap(text.Escape(oneLine(f.Message)), w-2)...)
		if f.Fix != "" {
			d = append(d, wrap("fix: "+text.Escape(oneLine(f.Fix)), w-2)...)
		}
		for _, pth := range f.Paths {
			d = append(d, s.Dim.Render(shortPath(pth, w-4)))
		}
		out += "\n" + s.box(text.Escape(f.Kind), d, w, detailH, false)
	}
	return out
}
