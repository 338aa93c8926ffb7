package tui

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/whittle-dev/whittle/builder/pipeline"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// TestEstimateIsTheBuild edits the plan by random key sequences in the
// Files, Findings and /etc panes of the demo image, and after each
// sequence builds the plan (pipeline.RunSession on the app's own
// session, no output written): the estimate the header shows must equal
// the built image's file bytes and file count exactly, and its tar bytes
// within 1 %.
func TestEstimateIsTheBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the demo image a dozen times")
	}
	base := loadDemo(t, 120, 40)
	// Key sequences that edit the plan, each after moving a random
	// number of rows: a drop or keep in the Files pane (an open
	// directory first), a finding's fix, an /etc choice.
	moves := func(r *rand.Rand) []string {
		var keys []string
		for range r.IntN(12) {
			keys = append(keys, "down")
		}
		return keys
	}
	edits := []func(r *rand.Rand) []string{
		func(r *rand.Rand) []string { return append(append([]string{"2", "home"}, moves(r)...), "d") },
		func(r *rand.Rand) []string {
			return append(append(append([]string{"2", "home"}, moves(r)...), "enter"), append(moves(r), "d")...)
		},
		func(r *rand.Rand) []string { return append(append([]string{"4", "home"}, moves(r)...), "x") },
		func(r *rand.Rand) []string {
			keys := []string{"5"}
			for range r.IntN(5) {
				keys = append(keys, "right")
			}
			return append(append(keys, moves(r)...), "space")
		},
	}
	for seed := range uint64(12) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 19))
			m := base
			m.plan = base.plan.Clone()
			var did []string
			for range 1 + r.IntN(4) {
				keys := edits[r.IntN(len(edits))](r)
				did = append(did, strings.Join(keys, " "))
				m = pressWait(t, m, keys...)
			}
			if m.estErr != nil {
				t.Skipf("after %q the plan does not evaluate: %v", did, m.estErr)
			}
			p := m.plan.Clone()
			p.Outputs = nil
			rep, err := pipeline.RunSession(context.Background(), m.data.sess, p, pipeline.Options{})
			if err != nil && !errors.Is(err, pipeline.ErrBroken) {
				t.Fatalf("after %q: building: %v", did, err)
			}
			tot := m.ev.Selection.Totals
			t.Logf("after %q: estimate %d B in %d files, %d tar B; built %d B in %d files, %d tar B", did, m.estimate, tot.Files, tot.TarBytes, rep.After.FileBytes, rep.After.Files, rep.After.TarBytes)
			if m.estimate != rep.After.FileBytes || tot.Files != rep.After.Files {
				t.Errorf("after %q: estimate %d bytes in %d files, built %d bytes in %d files", did, m.estimate, tot.Files, rep.After.FileBytes, rep.After.Files)
			}
			if d := tot.TarBytes - rep.After.TarBytes; d*100 > rep.After.TarBytes || -d*100 > rep.After.TarBytes {
				t.Errorf("after %q: estimated %d tar bytes, built %d (%+.2f %%)", did, tot.TarBytes, rep.After.TarBytes, 100*float64(d)/float64(rep.After.TarBytes))
			}
		})
	}
}

// TestEstimateNotBuildable: an image that names nothing to run (a
// rootfs-tar:) has no estimate but a reason: the header says the plan
// cannot be built and the status line why, and how to give it roots.
func TestEstimateNotBuildable(t *testing.T) {
	dir := t.TempDir()
	tarball, err := reprotar.Bytes([]reprotar.File{{Path: "/bin/hello", Kind: reprotar.Regular, Mode: 0o755, Data: []byte("hi\n")}})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "root.tar")
	if err := os.WriteFile(p, tarball, 0o644); err != nil {
		t.Fatal(err)
	}
	m := resize(New(context.Background(), Options{Ref: "rootfs-tar:" + p}), 120, 30)
	r := newRunner(t, m)
	r.exec(m.Init())
	r.until(isEstimate(&r.m))
	t.Cleanup(func() { r.m.Close() })
	view := ansi.Strip(r.m.View())
	if r.m.estErr == nil || !strings.Contains(view, "plan: ✗ cannot build") || !strings.Contains(view, "r on the Closure pane picks one") {
		t.Errorf("estimate error %v; screen:\n%s", r.m.estErr, view)
	}
}
