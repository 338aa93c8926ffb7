package tui

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/internal/reprotar"
	"github.com/whittle-dev/whittle/internal/text"
	"github.com/whittle-dev/whittle/plan"
)

// etcPane is the /etc choices: a checklist per kind (services, protocols,
// certificates, locales, time zones, users) with each item's size and a
// search, and a preview of what the choices generate. Choices go into the
// plan's etc section and move the estimate.
type etcPane struct {
	kind   int // index in etcgen.Kinds
	all    map[etcgen.Kind][]etcgen.Row
	rows   []etcgen.Row // the kind's rows the search matches
	search string
	cursor int
	offset int
}

// maxQueuedKeys is how many keys the /etc pane keeps while its catalog
// loads.
const maxQueuedKeys = 64

// etcPlanMsg carries the /etc output of selection generation gen.
type etcPlanMsg struct {
	gen int
	out *etcgen.Output
	err error
}

// refresh lists the current kind's rows for the search.
func (p *etcPane) refresh(m *Model) {
	if m.cat == nil {
		return
	}
	if p.all == nil {
		p.all = map[etcgen.Kind][]etcgen.Row{}
		for _, k := range etcgen.Kinds {
			rows, err := m.cat.Rows(k)
			if err != nil {
				m.setNote("/etc "+string(k)+": "+err.Error(), true)
			}
			p.all[k] = rows
		}
	}
	kind := etcgen.Kinds[p.kind]
	p.rows = p.rows[:0:0]
	q := strings.ToLower(p.search)
	for _, r := range p.all[kind] {
		if q == "" || strings.Contains(strings.ToLower(r.Name+" "+r.Detail), q) {
			p.rows = append(p.rows, r)
		}
	}
	p.cursor = max(min(p.cursor, len(p.rows)-1), 0)
}

// etcChoice returns a pointer to the plan's choice for a kind (nil for
// users).
func etcChoice(sel *etcgen.Selection, k etcgen.Kind) *etcgen.Choice { return plan.EtcChoice(sel, k) }

// etcChosen reports whether the plan chooses a row.
func (m *Model) etcChosen(k etcgen.Kind, name string) bool { return m.plan.EtcChosen(k, name) }

// planEtc resolves the plan's /etc selection in the background.
func (m *Model) planEtc() tea.Cmd {
	m.etcGen++
	if m.cat == nil || m.plan.Etc.IsZero() {
		m.etcOut, m.etcErr, m.etcBusy = nil, nil, false
		m.reestimate()
		return nil
	}
	m.etcBusy = true
	cat, sel, gen := m.cat, m.plan.Etc, m.etcGen
	return func() tea.Msg {
		out, err := cat.Plan(sel)
		return etcPlanMsg{gen: gen, out: out, err: err}
	}
}

// etcKey handles a key of the /etc pane.
func (m *Model) etcKey(msg tea.KeyMsg) tea.Cmd {
	if m.cat == nil {
		if m.catErr == nil && len(m.etcKeys) < maxQueuedKeys {
			// The catalog is on its way: the key acts when it comes.
			m.etcKeys = append(m.etcKeys, msg)
		}
		return nil
	}
	p, k := &m.etcp, m.KeyMap
	switch {
	case key.Matches(msg, k.Up):
		p.cursor--
	case key.Matches(msg, k.Down):
		p.cursor++
	case key.Matches(msg, k.PageUp):
		p.cursor -= 10
	case key.Matches(msg, k.PageDown):
		p.cursor += 10
	case key.Matches(msg, k.Home):
		p.cursor = 0
	case key.Matches(msg, k.End):
		p.cursor = len(p.rows) - 1
	case key.Matches(msg, k.Kind):
		step := 1
		if msg.String() == "left" || msg.String() == "h" {
			step = len(etcgen.Kinds) - 1
		}
		p.kind = (p.kind + step) % len(etcgen.Kinds)
		p.cursor, p.offset, p.search = 0, 0, ""
		p.refresh(m)
	case key.Matches(msg, k.Filter):
		return m.startInput(inputEtcSearch, "search "+string(etcgen.Kinds[p.kind])+": ", p.search)
	case key.Matches(msg, k.Check):
		if p.cursor < len(p.rows) {
			kind := etcgen.Kinds[p.kind]
			name := p.rows[p.cursor].Name
			verb := "dropped"
			if m.toggleEtcItem(kind, name) {
				verb = "chose"
			}
			m.changed()
			m.setNote("/etc "+string(kind)+": "+verb+" "+text.Escape(name), false)
			return m.planEtc()
		}
	}
	p.cursor = max(min(p.cursor, len(p.rows)-1), 0)
	return nil
}

// etcView draws the /etc pane w×h.
func (m Model) etcView(w, h int) string {
	s, p := m.Styles, m.etcp
	switch {
	case m.cat == nil && m.catErr != nil:
		return s.Error.Render(strings.Join(wrap("/etc catalog: "+text.Escape(oneLine(m.catErr.Error())), w), "\n"))
	case m.cat == nil:
		return s.Spinner.Render(m.spinner.View()) + " reading the /etc catalog…"
	}
	leftW := 18
	rightW := max(w/3, 24)
	midW := w - leftW - rightW

	var kinds []string
	for i, k := range etcgen.Kinds {
		n := 0
		if k == etcgen.KindUsers {
			n = len(m.plan.Etc.Users)
		} else if c := etcChoice(&m.plan.Etc, k); c.All {
			n = len(p.all[k])
		} else {
			n = len(c.Names)
		}
		row := padRight(string(k), 12) + padLeft(strconv.Itoa(n), 4)
		if i == p.kind {
			row = s.Cursor.Render(fit(row, leftW-2))
		}
		kinds = append(kinds, row)
	}
	kinds = append(kinds, "", s.Dim.Render("chosen / kind"), "", s.Header.Render("/etc adds"))
	switch {
	case m.etcBusy:
		kinds = append(kinds, m.spinner.View()+" …")
	case m.etcOut != nil:
		kinds = append(kinds, bytesText(m.etcOut.Size()))
	default:
		kinds = append(kinds, s.Dim.Render("nothing"))
	}

	kind := etcgen.Kinds[p.kind]
	inner := h - 2
	head := "search: " + text.Escape(p.search)
	if p.search == "" {
		head = s.Dim.Render("/ to search · space to choose")
	}
	if m.typing == inputEtcSearch {
		head = m.input.View()
	}
	items := []string{fit(head, midW-2)}
	off := p.offset
	if p.cursor >= off+inner-1 {
		off = p.cursor - inner + 2
	}
	if p.cursor < off {
		off = p.cursor
	}
	for i := off; i < min(len(p.rows), off+inner-1); i++ {
		r := p.rows[i]
		box := "[ ]"
		if m.etcChosen(kind, r.Name) {
			box = "[x]"
		}
		size := padLeft(bytesText(r.Bytes), 7)
		room := midW - 2 - 4 - 8
		label := text.Escape(r.Name)
		if r.Detail != "" {
			label += " " + s.Dim.Render(text.Escape(r.Detail))
		}
		row := box + " " + fit(label, room) + " " + size
		if i == p.cursor {
			row = s.Cursor.Render(fit(box+" "+fit(text.Escape(r.Name)+" "+text.Escape(r.Detail), room)+" "+size, midW-2))
		}
		items = append(items, row)
	}
	if len(p.rows) == 0 {
		items = append(items, s.Dim.Render("Nothing to choose."))
	}
	title := string(kind) + " (" + strconv.Itoa(len(p.rows)) + ")"
	return lipgloss.JoinHorizontal(lipgloss.Top,
		s.box("/etc", kinds, leftW, h, false),
		s.box(title, items, midW, h, true),
		s.box("Preview", m.etcPreview(kind, rightW-2, h-2), rightW, h, false))
}

// etcPreview shows what the choices of a kind generate: the environment
// the output sets and the kind's file, or its list of files.
func (m Model) etcPreview(kind etcgen.Kind, w, h int) []string {
	s := m.Styles
	out := m.etcOut
	if out == nil {
		return []string{s.Dim.Render("Nothing chosen: the build generates no /etc.")}
	}
	var lines []string
	for _, name := range sortedKeys(out.Env) {
		lines = append(lines, clip(text.Escape(name+"="+out.Env[name]), w))
	}
	files := map[etcgen.Kind][]string{
		etcgen.KindServices:     {"/etc/services"},
		etcgen.KindProtocols:    {"/etc/protocols"},
		etcgen.KindCertificates: {etcgen.CertBundlePath},
		etcgen.KindUsers:        {"/etc/passwd", "/etc/group"},
	}[kind]
	shown := false
	for _, f := range out.Files {
		if !slices.Contains(files, f.Path) || f.Kind != reprotar.Regular {
			continue
		}
		shown = true
		lines = append(lines, s.Header.Render(clip(text.Escape(f.Path), w)))
		if !utf8.Valid(f.Data) {
			lines = append(lines, s.Dim.Render(bytesText(int64(len(f.Data)))+" (binary)"))
			continue
		}
		for _, l := range strings.Split(strings.TrimRight(string(f.Data), "\n"), "\n") {
			lines = append(lines, clip(text.Escape(l), w))
			if len(lines) >= h {
				return lines
			}
		}
	}
	if !shown {
		for _, f := range out.Files {
			if f.Kind != reprotar.Regular {
				continue
			}
			lines = append(lines, padLeft(bytesText(int64(len(f.Data))), 7)+" "+shortPath(f.Path, w-8))
			if len(lines) >= h {
				break
			}
		}
	}
	return lines
}

// sortedKeys returns a map's keys in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
