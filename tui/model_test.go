package tui

import (
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/internal/testfix"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	testfix.Golden(t, filepath.Join("testdata", name+".golden"), []byte(got), *update)
}

// keyMsg is the key message bubbletea sends for a key name ("down",
// "enter") or a typed character.
func keyMsg(name string) tea.KeyMsg {
	types := map[string]tea.KeyType{
		"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"tab": tea.KeyTab, "enter": tea.KeyEnter, "esc": tea.KeyEsc, "space": tea.KeySpace,
		"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
		"backspace": tea.KeyBackspace, "ctrl+c": tea.KeyCtrlC,
	}
	if t, ok := types[name]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(name)}
}

// press sends keys to a model in turn.
func press(m Model, names ...string) Model {
	for _, n := range names {
		next, _ := m.Update(keyMsg(n))
		m = next.(Model)
	}
	return m
}

// isEstimate reports whether msg is the evaluation m waits for.
func isEstimate(m *Model) func(tea.Msg) bool {
	return func(msg tea.Msg) bool {
		e, ok := msg.(estimateMsg)
		return ok && e.gen == m.estGen
	}
}

// settle runs cmd and what follows from it until the plan estimate is
// the current plan's (the estimate is computed in the background).
func settle(t testing.TB, m Model, cmd tea.Cmd) Model {
	t.Helper()
	r := newRunner(t, m)
	r.exec(cmd)
	if r.m.estPending {
		// An edit made outside Update: ask as Update would.
		r.m.estPending = false
		r.exec(r.m.evaluate())
	}
	if r.m.estBusy {
		r.until(isEstimate(&r.m))
	}
	return r.m
}

// pressWait presses keys as press does, letting each one's estimate come.
func pressWait(t testing.TB, m Model, names ...string) Model {
	t.Helper()
	for _, n := range names {
		next, cmd := m.Update(keyMsg(n))
		m = settle(t, next.(Model), cmd)
	}
	return m
}

// resize sends a window size.
func resize(m Model, w, h int) Model {
	next, _ := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return next.(Model)
}

// checkScreen verifies that a view fills the screen exactly.
func checkScreen(t *testing.T, name, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("%s: %d lines, want %d", name, len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("%s: line %d is %d cells wide, more than %d: %q", name, i+1, n, w, l)
		}
	}
}

// TestGolden drives a model over the synthetic image through a scripted
// session at two screen sizes and compares each screen, colours stripped,
// with a golden file.
func TestGolden(t *testing.T) {
	im, ix := testImage(t)
	steps := []struct {
		name string
		keys []string
	}{
		{"1-initial", nil},
		{"2-layer-2", []string{"down"}},
		{"3-image-view", []string{"m"}},
		{"4-expand", []string{"2", "enter"}},
		{"5-filter", []string{"/", "p", "y", "t", "h", "o", "n", "enter"}},
		{"6-wasted", []string{"W"}},
		{"7-full-help", []string{"W", "?"}},
		{"8-layer-3-deleted", []string{"?", "esc", "1", "down", "2", "end", "enter"}},
		{"9-by-name", []string{"s", "home", "down", "down", "right", "down", "down"}},
	}
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		m := resize(NewLoaded(im, ix), size.w, size.h)
		for _, step := range steps {
			m = press(m, step.keys...)
			name := fmt.Sprintf("%dx%d-%s", size.w, size.h, step.name)
			view := ansi.Strip(m.View())
			checkScreen(t, name, view, size.w, size.h)
			checkGolden(t, name, view)
		}
	}
}
