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

// TestFirstFrameDebian times the app on the 250 MB Debian root, as the
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
		if catalog > 15*time.Second {
			t.Errorf("%s: the /etc catalog took %v", what, catalog)
		}
		return first, indexed
	}
	run("no layer cache", nil)
	coldFirst, coldIndex := run("cold cache", cache)
	t.Logf("the first frame:\n%s", frame)
	warmFirst, warmIndex := run("warm cache", cache)
	// Loose bounds, for shared machines: the target is 150 ms.
	if coldFirst > 2*time.Second || warmFirst > 2*time.Second {
		t.Errorf("first frame: cold %v, warm %v", coldFirst, warmFirst)
	}
	if warmIndex >= coldIndex {
		t.Errorf("the warm cache does not help: cold %v, warm %v", coldIndex, warmIndex)
	}
}
