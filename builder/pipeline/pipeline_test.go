package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/testopen"
	"github.com/whittle-dev/whittle/plan"
	"github.com/whittle-dev/whittle/session"
)

// TestDemoAccountsKept: the demo's config runs as the user hello-web; a
// build that chooses no accounts keeps the image's own /etc/passwd and
// /etc/group, and the figures after are what the result holds.
func TestDemoAccountsKept(t *testing.T) {
	out := filepath.Join(t.TempDir(), "min")
	rep, err := Run(context.Background(), &plan.Plan{Source: "demo:", Outputs: []string{"oci:" + out}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, ix := testopen.Indexed(t, "oci:"+out)
	for _, p := range []string{"/etc/passwd", "/etc/group"} {
		if ix.Root.Lookup(p) == nil {
			t.Errorf("%s was left out", p)
		}
	}
	if rep.After.Files != ix.Totals.Files || rep.After.FileBytes != ix.Totals.VisibleBytes {
		t.Errorf("after %+v, the written image holds %d files, %d bytes", rep.After, ix.Totals.Files, ix.Totals.VisibleBytes)
	}
	if rep.Before.Files-rep.Removed > rep.After.Files {
		t.Errorf("before %d - removed %d > after %d", rep.Before.Files, rep.Removed, rep.After.Files)
	}
	if slices.Contains(rep.RemovedPaths, "/etc/passwd") || !slices.IsSorted(rep.RemovedPaths) {
		t.Errorf("removed paths hold /etc/passwd or are unsorted")
	}
}

// TestBrokenBuildWritesNothing: dropping everything leaves the entry
// point out; the build fails and writes no output.
func TestBrokenBuildWritesNothing(t *testing.T) {
	out := filepath.Join(t.TempDir(), "min")
	rep, err := Run(context.Background(), &plan.Plan{Source: "demo:", Drop: []string{"/**"}, Outputs: []string{"oci:" + out}}, Options{})
	if !errors.Is(err, ErrBroken) || rep == nil {
		t.Fatalf("err %v, want ErrBroken with a report", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the output was written (%v)", err)
	}
	if len(rep.Findings) == 0 || rep.Findings[0].Kind != KindEntrypointMissing {
		t.Errorf("findings %+v", rep.Findings)
	}
}

// TestAssembleNeedsNix: assemble on an image without a Nix store is an
// error naming it.
func TestAssembleNeedsNix(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x"), []byte("x"), 0o644)
	_, err := Run(context.Background(), &plan.Plan{Source: "dir:" + dir, Mode: plan.Assemble}, Options{})
	if err == nil || !strings.Contains(err.Error(), "no Nix closure") || !strings.Contains(err.Error(), "dir:"+dir) {
		t.Errorf("err %v", err)
	}
}

// TestApplyFindings: a plan that applies bloat/docs drops every path that
// finding names, even those a keep pattern holds (drop wins); without the
// apply the keep holds them. An unknown kind is an error.
func TestApplyFindings(t *testing.T) {
	keep := []string{"/nix/store/*/share/doc/**"}
	kept, err := Run(context.Background(), &plan.Plan{Source: "demo:", Keep: keep}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	applied, err := Run(context.Background(), &plan.Plan{Source: "demo:", Keep: keep, Apply: []string{"bloat/docs"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	docs := func(r *Report) (gone int) {
		for _, p := range r.RemovedPaths {
			if strings.Contains(p, "/share/doc/") {
				gone++
			}
		}
		return gone
	}
	all := 0
	_, ix := testopen.Indexed(t, "demo:")
	for _, p := range ixPaths(ix) {
		if strings.Contains(p, "/share/doc/") {
			all++
		}
	}
	if docs(kept) != 0 || docs(applied) != all || all == 0 {
		t.Errorf("doc paths removed: %d with keep, %d with keep and apply, of %d", docs(kept), docs(applied), all)
	}
	if _, err := Run(context.Background(), &plan.Plan{Source: "demo:", Apply: []string{"bloat/doc"}}, Options{}); err == nil || !strings.Contains(err.Error(), `"bloat/doc" is no bloat finding kind (did you mean "bloat/docs"`) {
		t.Errorf("unknown kind: %v", err)
	}
}

func ixPaths(ix *analyze.Index) []string {
	var out []string
	ix.Root.Walk(func(n *analyze.Node) bool {
		out = append(out, n.Path())
		return true
	})
	return out
}

// TestKeepAll: keeping "/**" in one layer keeps every file of the source
// and computes no closure; a drop still wins.
func TestKeepAll(t *testing.T) {
	rep, err := Run(context.Background(), &plan.Plan{Source: "demo:", Keep: []string{"/**"}, Drop: []string{"/var/**"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Closure != nil {
		t.Error("a closure was computed")
	}
	_, ix := testopen.Indexed(t, "demo:")
	var under int
	for _, p := range ixPaths(ix) {
		if n := ix.Root.Lookup(p); n != nil && (n.Entry.Type == analyze.TypeRegular || n.Entry.Type == analyze.TypeHardlink) && strings.HasPrefix(p, "/var/") {
			under++
		}
	}
	if rep.After.Files != ix.Totals.Files-under || rep.Removed != under {
		t.Errorf("after %d files, removed %d; the source has %d, %d under /var", rep.After.Files, rep.Removed, ix.Totals.Files, under)
	}
}

// TestDroppedNeeded: dropping the interpreter the entry point runs is
// reported.
func TestDroppedNeeded(t *testing.T) {
	rep, err := Run(context.Background(), &plan.Plan{Source: "demo:", Drop: []string{"/nix/store/*-python3-3.12.4/**"}}, Options{})
	if err != nil && rep == nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f.Kind == session.KindDroppedNeeded && strings.Contains(f.Paths[0], "-python3-3.12.4/") {
			return
		}
	}
	t.Errorf("no %s finding: %+v", session.KindDroppedNeeded, rep.Findings)
}
