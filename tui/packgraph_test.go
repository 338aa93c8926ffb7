package tui

import (
	"fmt"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/x/ansi"

	"github.com/whittle-dev/whittle/builder"
	"github.com/whittle-dev/whittle/builder/pipeline"
)

// feed hands the model a message of the build in flight.
func feed(m Model, msg any) Model {
	next, _ := m.Update(msg)
	return next.(Model)
}

// lit returns the state of each node of the build pane's grid.
func lit(m Model) map[string]packState {
	out := map[string]packState{}
	for _, n := range m.buildp.nodes {
		out[n.name] = n.state
	}
	return out
}

// TestPackGraph feeds a build's layer events to the build pane: the
// closure's nodes start dim and light up as a layer event names them, a
// cached layer's differently; a group the closure did not list is added.
func TestPackGraph(t *testing.T) {
	m := loadDemo(t, 120, 40)
	m = press(m, "6")
	nodes := packNodes(m.cl)
	if len(nodes) < 3 {
		t.Fatalf("closure groups %+v", nodes)
	}
	for i := 1; i < len(nodes); i++ {
		if nodes[i].bytes > nodes[i-1].bytes {
			t.Errorf("not biggest first: %+v", nodes)
		}
	}
	// A build in flight, started long ago so that its rate draws the
	// same, its spinner at its first frame.
	m.spinner = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	m.buildp = buildPane{id: 7, running: true, stage: "build", started: time.Now().Add(-1000 * time.Hour), nodes: nodes}
	for name, st := range lit(m) {
		if st != packWaiting {
			t.Errorf("%s lit before any layer: %v", name, st)
		}
	}
	ev := func(e builder.Event) buildEventMsg {
		return buildEventMsg{7, pipeline.Event{Stage: "build", Build: &e}}
	}
	first, second := nodes[0].name, nodes[1].name
	m = feed(m, ev(builder.Event{Stage: "reading", Bytes: 10, Total: 100}))
	m = feed(m, ev(builder.Event{Stage: "layer", Layer: 1, Layers: 3, Groups: []string{first}, Bytes: 4 << 20, Total: 4 << 20, Cached: true}))
	m = feed(m, ev(builder.Event{Stage: "layer", Layer: 2, Layers: 3, Groups: []string{second, builder.GeneratedGroup}, Bytes: 1 << 20, Total: 1 << 20}))
	// Another build's event changes nothing.
	m = feed(m, buildEventMsg{6, pipeline.Event{Stage: "build", Build: &builder.Event{Stage: "layer", Layer: 3, Groups: []string{nodes[2].name}}}})

	got := lit(m)
	want := map[string]packState{first: packCached, second: packPacked, builder.GeneratedGroup: packPacked}
	for _, n := range nodes[2:] {
		want[n.name] = packWaiting
	}
	if len(got) != len(want) {
		t.Errorf("%d nodes, want %d: %v", len(got), len(want), got)
	}
	for name, st := range want {
		if got[name] != st {
			t.Errorf("%s: state %v, want %v", name, got[name], st)
		}
	}
	if p, c := m.buildp.packedCount(); p != 3 || c != 1 {
		t.Errorf("packed %d, cached %d", p, c)
	}
	for _, size := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		m := resize(m, size.w, size.h)
		name := fmt.Sprintf("demo-%dx%d-building", size.w, size.h)
		view := ansi.Strip(m.View())
		checkScreen(t, name, view, size.w, size.h)
		checkGolden(t, name, view)
	}
}
