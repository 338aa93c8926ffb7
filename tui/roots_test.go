package tui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// TestRootsWithoutEntrypoint: an image that names nothing to run opens
// the closure pane on what could be a root, and r on a file in Files
// makes it one.
func TestRootsWithoutEntrypoint(t *testing.T) {
	tarball, err := reprotar.Bytes([]reprotar.File{
		{Path: "/usr/bin/tool", Kind: reprotar.Regular, Mode: 0o755, Data: []byte("#!/usr/bin/helper\n")},
		{Path: "/usr/bin/helper", Kind: reprotar.Regular, Mode: 0o755, Data: []byte("\x7fELF")},
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(tarball)
	raw, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux", "config": map[string]any{},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(sum[:])}}})
	opener := func(context.Context) (*source.Image, error) {
		return source.Memory("demo:noentry", raw, [][]byte{tarball})
	}
	m := resize(New(context.Background(), Options{Ref: "demo:noentry", Opener: opener}), 120, 40)
	r := newRunner(t, m)
	r.exec(m.Init())
	r.until(func(msg tea.Msg) bool { _, ok := msg.(catalogMsg); return ok })
	t.Cleanup(func() { r.m.Close() })
	if !r.m.clp.unreach || len(r.m.clp.list) == 0 {
		t.Fatalf("closure pane: unreachable %v, %d nodes listed", r.m.clp.unreach, len(r.m.clp.list))
	}
	// Files: select /usr/bin/tool and press r.
	r.m = press(r.m, "2")
	seen := []string{}
	for i := 0; i < 20; i++ {
		sel := r.m.tree.selected()
		if sel != nil && sel.full == "/usr/bin/tool" {
			break
		}
		if sel != nil {
			seen = append(seen, sel.full)
		}
		before := r.m.tree.selected()
		if sel != nil && sel.dir {
			r.m = press(r.m, "right")
		}
		if r.m.tree.selected() == before {
			r.m = press(r.m, "down")
		}
	}
	if sel := r.m.tree.selected(); sel == nil || sel.full != "/usr/bin/tool" {
		t.Fatalf("could not select /usr/bin/tool in the tree (went through %q)", seen)
	}
	next, cmd := r.m.Update(keyMsg("r"))
	r.m = next.(Model)
	if cmd == nil || !slices.Contains(r.m.plan.Roots, "/usr/bin/tool") {
		t.Errorf("r in Files: roots %q", r.m.plan.Roots)
	}
}
