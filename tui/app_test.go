package tui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/whittle-dev/whittle/builder/pipeline"
	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/reprotar"
	"github.com/whittle-dev/whittle/plan"
)

// loadDemo opens demo: as the command does and runs the model until the
// closure and the /etc catalog are in.
func loadDemo(t *testing.T, w, h int) Model {
	t.Helper()
	m := resize(New(context.Background(), Options{Ref: "demo:"}), w, h)
	r := newRunner(t, m)
	r.exec(m.Init())
	r.until(func(msg tea.Msg) bool { _, ok := msg.(catalogMsg); return ok })
	if r.m.estBusy {
		r.until(isEstimate(&r.m))
	}
	if r.m.cl == nil || r.m.cat == nil || !r.m.estKnown {
		t.Fatalf("closure %v (%v), catalog %v (%v)", r.m.cl != nil, r.m.clErr, r.m.cat != nil, r.m.catErr)
	}
	t.Cleanup(func() { r.m.Close() })
	return r.m
}

// keptBelow sums, independently of the estimate, the bytes of the files
// at and below dir that a root reaches.
func keptBelow(m Model, dir string) int64 {
	var sum int64
	var walk func(n *fnode)
	walk = func(n *fnode) {
		if !n.dir {
			if id, ok := m.cl.Owner(n.full); ok && m.cl.Analysis.Reachable(id) {
				sum += n.bytes
			}
			return
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(findNode(m.data.merged, dir))
	return sum
}

// TestDropMovesEstimate drops a subtree from the files pane: the plan gets
// its glob and the estimate falls by exactly the bytes the closure kept
// there; d again restores both.
func TestDropMovesEstimate(t *testing.T) {
	m := loadDemo(t, 120, 40)
	before := m.estimate
	// /nix/store opens with /nix; by size, the second store path is
	// glibc-locales (rows: nix, store, python3, glibc-locales).
	m = press(m, "2", "enter", "down", "down", "down")
	n := m.tree.selected()
	if n == nil || !strings.HasSuffix(n.full, "-glibc-locales-2.39-52") {
		t.Fatalf("selected %v", n)
	}
	want := keptBelow(m, n.full)
	if want == 0 {
		t.Fatal("the closure keeps nothing of glibc-locales")
	}
	m = pressWait(t, m, "d")
	if got := m.plan.Drop; !slices.Equal(got, []string{n.full + "/**"}) {
		t.Errorf("plan drop %q", got)
	}
	if got := before - m.estimate; got != want {
		t.Errorf("estimate fell by %d, want %d", got, want)
	}
	if !m.dirty || !strings.Contains(ansi.Strip(m.View()), "✗") {
		t.Error("the drop is not marked")
	}
	// d again keeps the whole subtree: the plan's keep: records it and
	// the estimate grows by what the closure left out there.
	m = pressWait(t, m, "d")
	all := findNode(m.data.merged, n.full).bytes
	if len(m.plan.Drop) != 0 || !slices.Equal(m.plan.Keep, []string{n.full + "/**"}) || m.estimate-before != all-want {
		t.Errorf("after d again: drop %q, keep %q, estimate %+d, want %+d", m.plan.Drop, m.plan.Keep, m.estimate-before, all-want)
	}
	// A third d leaves it to the closure again.
	m = pressWait(t, m, "d")
	if m.plan.Drop != nil || m.plan.Keep != nil || m.estimate != before || m.dirty {
		t.Errorf("after d a third time: drop %q, keep %q, estimate %d, want %d, dirty %v", m.plan.Drop, m.plan.Keep, m.estimate, before, m.dirty)
	}
}

// TestPickLocale chooses a locale in the /etc pane: the plan's etc section
// names it and the estimate grows by the generated output's size.
func TestPickLocale(t *testing.T) {
	m := loadDemo(t, 120, 40)
	before := m.estimate
	m = press(m, "5", "right", "right", "right")
	if etcgen.Kinds[m.etcp.kind] != etcgen.KindLocales || len(m.etcp.rows) == 0 {
		t.Fatalf("kind %v, %d rows", etcgen.Kinds[m.etcp.kind], len(m.etcp.rows))
	}
	m = press(m, "/", "C", ".", "U", "T", "F", "enter")
	name := m.etcp.rows[0].Name
	next, cmd := m.Update(keyMsg("space"))
	m = next.(Model)
	if got := m.plan.Etc.Locales.Names; !slices.Equal(got, []string{name}) {
		t.Fatalf("plan locales %q, want [%s]", got, name)
	}
	if cmd == nil {
		t.Fatal("choosing issued no /etc plan")
	}
	r := newRunner(t, m)
	r.exec(cmd)
	etcDone, estDone := false, false
	r.until(func(msg tea.Msg) bool {
		_, ok := msg.(etcPlanMsg)
		etcDone = etcDone || ok
		estDone = estDone || isEstimate(&r.m)(msg)
		return etcDone && estDone
	})
	m = r.m
	out, err := m.cat.Plan(etcgen.Selection{Locales: etcgen.Names(name)})
	if err != nil {
		t.Fatal(err)
	}
	// The estimate is what the build writes: the generated files, less
	// the image's own that they make unneeded (its nsswitch.conf, hosts).
	p := m.plan.Clone()
	p.Outputs = nil
	rep, err := pipeline.RunSession(context.Background(), m.data.sess, p, pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.estimate != rep.After.FileBytes || m.estimate-before <= 0 || m.estimate-before > out.Size() {
		t.Errorf("estimate %d (grew by %d; the generated files are %d bytes), built %d", m.estimate, m.estimate-before, out.Size(), rep.After.FileBytes)
	}
	if !strings.Contains(ansi.Strip(m.View()), "LANG="+name) {
		t.Errorf("the preview lacks LANG:\n%s", ansi.Strip(m.View()))
	}
}

// TestApplyFinding applies one finding's fix and then every bloat fix:
// the plan drops their paths and the estimate falls by what they kept.
func TestApplyFinding(t *testing.T) {
	m := loadDemo(t, 120, 40)
	locales := findNode(m.data.merged, "/nix/store").children
	var dir string
	for _, c := range locales {
		if strings.HasSuffix(c.name, "-glibc-locales-2.39-52") {
			dir = c.full
		}
	}
	archive := dir + "/lib/locale/locale-archive"
	m.findp.list = append([]finding.Finding{
		{Kind: "bloat/locales", Severity: finding.Info, Paths: []string{archive}, Bytes: 5_000_000, Message: "all locales",
			Change: &finding.Change{Drop: []string{archive}}},
		{Kind: "bloat/none", Severity: finding.Info, Paths: []string{"libfoo"}, Bytes: 1, Message: "a package"},
	}, m.findp.list...)
	before := m.estimate
	m = pressWait(t, m, "4", "x")
	if !slices.Equal(m.plan.Drop, []string{archive}) {
		t.Fatalf("drop %q", m.plan.Drop)
	}
	if got, want := before-m.estimate, keptBelow(m, archive); got != want {
		t.Errorf("estimate fell by %d, want %d", got, want)
	}
	before = m.estimate
	m = pressWait(t, m, "X")
	for _, f := range m.findp.list {
		if !isBloat(f) {
			continue
		}
		for _, g := range f.Change.Drop {
			if !slices.Contains(m.plan.Drop, g) {
				t.Errorf("X left out %s's drop %q", f.Kind, g)
			}
		}
	}
	if slices.Contains(m.plan.Drop, "libfoo") {
		t.Error("X dropped a package name")
	}
	// X also generates the /etc the fixes name (a locale archive of the
	// locale in use): the estimate may grow, and it is still the build.
	p := m.plan.Clone()
	p.Outputs = nil
	rep, err := pipeline.RunSession(context.Background(), m.data.sess, p, pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.estimate != rep.After.FileBytes {
		t.Errorf("after X the estimate is %d (was %d), the build %d", m.estimate, before, rep.After.FileBytes)
	}
}

// TestSaveAndQuit: q with unsaved changes asks; ctrl+s saves the plan,
// which loads back equal; then q quits.
func TestSaveAndQuit(t *testing.T) {
	m := loadDemo(t, 100, 30)
	m = press(m, "2", "enter", "down", "down", "d", "6", "L")
	next, cmd := m.Update(keyMsg("q"))
	m = next.(Model)
	if cmd != nil || !m.confirmQuit || !strings.Contains(ansi.Strip(m.View()), "unsaved changes") {
		t.Fatal("q with unsaved changes did not ask")
	}
	m = press(m, "j")
	file := filepath.Join(t.TempDir(), "p.yaml")
	next, _ = m.Update(tea.KeyMsg{Type: tea.KeyCtrlS})
	m = next.(Model)
	if m.typing != inputSave || m.input.Value() != DefaultPlanPath {
		t.Fatalf("ctrl+s: typing %v, value %q", m.typing, m.input.Value())
	}
	m.input.SetValue(file)
	m = press(m, "enter")
	got, err := plan.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	// The output, relative to the directory the TUI runs in, is saved
	// so that the plan, elsewhere, names the same directory.
	cwd, _ := os.Getwd()
	if m.dirty || got.Source != "demo:" || len(got.Drop) != 1 || got.Layers.Strategy != plan.Popularity ||
		!slices.Equal(got.Outputs, []string{"oci:" + filepath.Join(cwd, "whittle-out")}) {
		t.Errorf("saved %+v, dirty %v", got, m.dirty)
	}
	if _, cmd := m.Update(keyMsg("q")); cmd == nil || cmd() != tea.Quit() {
		t.Error("q after saving does not quit")
	}
	if _, cmd := m.Update(tea.KeyMsg{Type: tea.KeyCtrlC}); cmd == nil || cmd() != tea.Quit() {
		t.Error("ctrl+c does not quit")
	}
}

// TestRootToggle makes a child of the entrypoint a root: the plan names
// the config's root and it, and the closure is computed again.
func TestRootToggle(t *testing.T) {
	m := loadDemo(t, 120, 40)
	m = press(m, "3", "l")
	id, ok := m.clp.selected()
	if !ok {
		t.Fatal("no child of the root")
	}
	name := m.cl.Graph.Get(id).Name
	r := newRunner(t, m)
	next, cmd := m.Update(keyMsg("r"))
	r.m = next.(Model)
	if len(r.m.plan.Roots) != 2 || r.m.plan.Roots[1] != name {
		t.Fatalf("roots %q", r.m.plan.Roots)
	}
	r.exec(cmd)
	r.until(func(msg tea.Msg) bool { c, ok := msg.(closureMsg); return ok && c.gen == 1 })
	if rid, ok := r.m.cl.Graph.Lookup(r.m.cl.Graph.Get(id).Kind, name); !ok || !r.m.cl.Graph.IsRoot(rid) {
		t.Errorf("%s is not a root of the new closure", name)
	}
}

// TestDemoGolden draws every pane of demo: at 80×24 and 160×48.
func TestDemoGolden(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		m := loadDemo(t, size.w, size.h)
		steps := []struct {
			name string
			keys []string
		}{
			{"layers", nil},
			{"files", []string{"2", "enter"}},
			{"layer-view", []string{"1", "down", "down", "2", "space"}},
			{"closure", []string{"3"}},
			{"closure-why", []string{"l", "w"}},
			{"unreachable", []string{"w", "U"}},
			{"findings", []string{"4"}},
			{"etc", []string{"5"}},
			{"build", []string{"6"}},
			{"help", []string{"?"}},
		}
		for _, step := range steps {
			m = press(m, step.keys...)
			name := fmt.Sprintf("demo-%dx%d-%s", size.w, size.h, step.name)
			view := ansi.Strip(m.View())
			checkScreen(t, name, view, size.w, size.h)
			checkGolden(t, name, view)
		}
	}
}

// BenchmarkKeypress measures a keypress and the redraw that follows on a
// tree of 50,000 files: Update with a cursor move, then View.
func BenchmarkKeypress(b *testing.B) {
	var extra []reprotar.File
	for d := range 500 {
		for f := range 100 {
			extra = append(extra, file(fmt.Sprintf("/data/d%03d/f%03d.bin", d, f), 1+f, 'x', 0o644))
		}
	}
	im, ix := testImage(b, extra...)
	m := resize(NewLoaded(im, ix), 160, 48)
	m = press(m, "2", "home")
	for range 3 {
		m = press(m, "right", "down")
	}
	if len(m.tree.rows) < 10 {
		b.Fatalf("%d rows", len(m.tree.rows))
	}
	down, up := keyMsg("down"), keyMsg("up")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := down
		if i%2 == 1 {
			k = up
		}
		next, _ := m.Update(k)
		m = next.(Model)
		_ = m.View()
	}
}

// BenchmarkDropToggle measures d (a drop toggled, the plan evaluated
// again over 50,000 files in the background and the tree marked with it)
// and the redraw.
func BenchmarkDropToggle(b *testing.B) {
	var extra []reprotar.File
	for d := range 500 {
		for f := range 100 {
			extra = append(extra, file(fmt.Sprintf("/data/d%03d/f%03d.bin", d, f), 1+f, 'x', 0o644))
		}
	}
	im, ix := testImage(b, extra...)
	m := resize(NewLoaded(im, ix), 160, 48)
	m = press(m, "2", "home")
	// The first evaluation computes the closure; the toggles reuse it.
	m.reestimate()
	m = settle(b, m, nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		next, cmd := m.Update(keyMsg("d"))
		m = settle(b, next.(Model), cmd)
		_ = m.View()
	}
}

// TestVerifyQuoted types a verify command with a quoted word: the plan
// holds its words as a shell splits them, and editing shows it quoted.
func TestVerifyQuoted(t *testing.T) {
	m := loadDemo(t, 120, 40)
	m = press(m, "6", "v", "ctrl+u")
	for _, r := range "python3 -c 'import ssl'" {
		next, _ := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		m = next.(Model)
	}
	m = press(m, "enter")
	if want := [][]string{{"python3", "-c", "import ssl"}}; !slices.EqualFunc(m.plan.Verify, want, slices.Equal) {
		t.Errorf("verify %q, want %q", m.plan.Verify, want)
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "python3 -c 'import ssl'") {
		t.Errorf("the build pane does not show the command quoted:\n%s", v)
	}
}
