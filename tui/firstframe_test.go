package tui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// TestFirstFrameDebian measures the app on the 250 MB Debian root, as the
// program runs it (New, Init, then every message through Update): from
// the start to the first frame that names the image and its layers,
// to the complete index and to the /etc catalog, without a layer index
// cache, with an empty one (cold) and again with the cache it filled
// (warm). The figures are in the README's
// TUI section.
func TestFirstFrameDebian(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Debian image (-short)")
	}
	rootfs := testfix.DebianRootfsTar(t)
	ref := "rootfs-tar:" + rootfs
	cache := &analyze.Cache{Dir: filepath.Join(t.TempDir(), "cache")}
	var frame string
	run := func(what string, cache *analyze.Cache) (first, indexed time.Duration) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		start := time.Now()
		m := resize(New(ctx, Options{Ref: ref, Cache: cache}), 120, 40)
		r := newRunner(t, m)
		r.exec(m.Init())
		r.until(func(tea.Msg) bool {
			v := ansi.Strip(r.m.View())
			if first == 0 && strings.Contains(v, ref) && strings.Contains(v, "1 layers") {
				first = time.Since(start)
				frame = v
			}
			return first != 0
		})
		r.until(func(msg tea.Msg) bool { return isDone(msg) || isFailed(msg) })
		indexed = time.Since(start)
		if r.m.err != nil {
			t.Fatalf("%s: %v", what, r.m.err)
		}
		// Then the closure, and the /etc catalog, which reads its files
		// in one pass over the layer.
		r.until(func(msg tea.Msg) bool { _, ok := msg.(catalogMsg); return ok })
		catalog := time.Since(start)
		if r.m.catErr != nil || r.m.cat == nil {
			t.Errorf("%s: /etc catalog: %v", what, r.m.catErr)
		}
		r.m.Close()
		t.Logf("%s: first frame %v, index complete %v, /etc catalog %v", what,
			first.Round(time.Millisecond), indexed.Round(time.Millisecond), catalog.Round(time.Millisecond))
		if first >= indexed {
			t.Errorf("%s: the first frame came only with the complete index", what)
		}
		return first, indexed
	}
	// Figures are logged, not judged (speed is the benchmarks' job); what
	// is checked is that the first frame comes before the index is done.
	run("no layer cache", nil)
	run("cold cache", cache)
	t.Logf("the first frame:\n%s", frame)
	run("warm cache", cache)
}
