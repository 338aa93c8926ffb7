package tui

import (
	"slices"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/glob"
)

// TestApplyNoTmp: x on the demo's fs/no-tmp error adds /tmp (etc:
// basics: tmp alone, the image keeping its own nsswitch.conf and hosts)
// and drops nothing; X then drops nothing the closure needs.
func TestApplyNoTmp(t *testing.T) {
	m := loadDemo(t, 120, 40)
	m = press(m, "4")
	i := slices.IndexFunc(m.findp.list, func(f finding.Finding) bool { return f.Kind == "fs/no-tmp" })
	if i < 0 {
		t.Fatal("no fs/no-tmp finding on the demo")
	}
	m.findp.cursor = i
	m = press(m, "x")
	b := m.plan.Etc.Basics
	if len(m.plan.Drop) != 0 || b.Tmp == nil || !*b.Tmp || b.Nsswitch == nil || *b.Nsswitch || b.Hosts == nil || *b.Hosts {
		t.Errorf("after x: drop %q, basics %+v", m.plan.Drop, describeBasics(b))
	}
	m = press(m, "X")
	if len(m.plan.Drop) == 0 {
		t.Fatal("X dropped nothing")
	}
	var needed []string
	m.data.ix.Root.Walk(func(n *analyze.Node) bool {
		if !n.IsDir() {
			if id, ok := m.cl.Owner(n.Path()); ok && m.cl.Analysis.Reachable(id) {
				needed = append(needed, n.Path())
			}
		}
		return true
	})
	for _, d := range m.plan.Drop {
		for _, p := range needed {
			if glob.Match(d, p) {
				t.Errorf("X added drop %s, which removes %s that a root needs", d, p)
			}
		}
	}
}

func describeBasics(b etcgen.Basics) map[string]any {
	v := func(p *bool) any {
		if p == nil {
			return nil
		}
		return *p
	}
	return map[string]any{"nsswitch": v(b.Nsswitch), "hosts": v(b.Hosts), "os_release": v(b.OSRelease), "tmp": v(b.Tmp)}
}
