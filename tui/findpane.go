package tui

import (
	"cmp"
	"reflect"
	"slices"
	"strconv"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/whittle-dev/whittle/finding"
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

// findingsKey handles a key of the findings pane.
func (m *Model) findingsKey(msg tea.KeyMsg) tea.Cmd {
	p, k := &m.findp, m.KeyMap
	var cmd tea.Cmd
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
			cmd = m.applyKey(p.list[p.cursor])
		}
	case key.Matches(msg, k.ApplyAll):
		etc := m.plan.Etc
		n, err := m.applyAllBloat()
		if err != nil {
			m.setNote("a bloat fix is not a plan change: "+err.Error(), true)
		}
		if n > 0 {
			m.changed()
		}
		if err == nil {
			m.noteEstimate("applied the fixes of " + strconv.Itoa(n) + " bloat finding(s)")
		}
		if !reflect.DeepEqual(etc, m.plan.Etc) {
			cmd = m.planEtc()
		}
	}
	p.cursor = max(min(p.cursor, len(p.list)-1), 0)
	return cmd
}

// applyKey is x on a finding: the plan change it states, or a note of
// why there is none.
func (m *Model) applyKey(f finding.Finding) tea.Cmd {
	if f.Change == nil {
		m.setNote("this finding states no plan change; its fix: "+text.EscapeGlobs(oneLine(f.Fix)), true)
		return nil
	}
	etc := m.plan.Etc
	said, err := m.applyFinding(f)
	switch {
	case err != nil:
		m.setNote("the fix is not a plan change: "+err.Error(), true)
		return nil
	case said == "":
		m.setNote("already in the plan", false)
		return nil
	}
	m.changed()
	m.noteEstimate("applied " + text.Escape(said))
	if !reflect.DeepEqual(etc, m.plan.Etc) {
		return m.planEtc()
	}
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
	drops := make(map[string]bool, len(m.plan.Drop))
	for _, d := range m.plan.Drop {
		drops[d] = true
	}
	for i := off; i < min(len(p.list), off+inner-1); i++ {
		f := p.list[i]
		applied := " "
		if heldBy(m.plan, drops, f.Change) {
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
			d = append(d, wrap("fix: "+text.EscapeGlobs(oneLine(f.Fix)), w-2)...)
		}
		for _, pth := range f.Paths {
			d = append(d, s.Dim.Render(shortPath(pth, w-4)))
		}
		out += "\n" + s.box(text.Escape(f.Kind), d, w, detailH, false)
	}
	return out
}
