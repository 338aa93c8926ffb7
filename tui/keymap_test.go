package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// TestReboundKeysInHelp rebinds keys in the KeyMap and checks, through
// Update, that the rebound keys act and that the help shows them, in the
// one-line and the full help, in every state that rewords a binding.
func TestReboundKeysInHelp(t *testing.T) {
	im, ix := testImage(t)
	m := NewLoaded(im, ix)
	m.KeyMap.Wasted = key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "wasted"))
	m.KeyMap.Mode = key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "layer files"))
	m.KeyMap.Sort = key.NewBinding(key.WithKeys("o")) // no help: its key is shown
	m.KeyMap.Help = key.NewBinding(key.WithKeys("f1"), key.WithHelp("F1", "help"))
	m = resize(m, 200, 40)

	// help is the help text with the full help's column padding squeezed
	// to single spaces.
	help := func(m Model) string {
		lines := strings.Split(ansi.Strip(m.helpView()), "\n")
		for i, l := range lines {
			lines[i] = strings.Join(strings.Fields(l), " ")
		}
		return strings.Join(lines, "\n")
	}
	steps := []struct {
		name    string
		keys    []string
		want    []string // in the help
		notWant []string
	}{
		{"initial", nil, []string{"x wasted", "v layer view", "F1 help"}, []string{"w wasted", "m layer view", "? help"}},
		{"layer view", []string{"v"}, []string{"v image view"}, []string{"m image view"}},
		{"full help", []string{"f1"}, []string{"x wasted", "v image view", "o sort by name", "F1 less"}, []string{"s sort", "? less"}},
		{"by name", []string{"o"}, []string{"o sort by size"}, []string{"s sort"}},
		{"wasted view", []string{"x"}, []string{"x files", "F1 less"}, []string{"w files"}},
		{"one-line help again", []string{"x", "f1"}, []string{"x wasted", "F1 help"}, []string{"w wasted", "? help"}},
	}
	for _, st := range steps {
		for _, k := range st.keys {
			next, _ := m.Update(keyMsgFor(k))
			m = next.(Model)
		}
		got := help(m)
		for _, w := range st.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: help %q does not show %q", st.name, got, w)
			}
		}
		for _, w := range st.notWant {
			if strings.Contains(got, w) {
				t.Errorf("%s: help %q shows the default key in %q", st.name, got, w)
			}
		}
	}
	// The help is what the screen shows at its foot.
	if view := ansi.Strip(m.View()); !strings.Contains(view, "x wasted") {
		t.Errorf("the screen does not show the rebound key:\n%s", view)
	}
}

// keyMsgFor is keyMsg, with F1.
func keyMsgFor(name string) tea.KeyMsg {
	if name == "f1" {
		return tea.KeyMsg{Type: tea.KeyF1}
	}
	return keyMsg(name)
}
