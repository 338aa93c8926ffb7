package session_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/builder/pipeline"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/doctor"
	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/internal/testfix"
	"github.com/whittle-dev/whittle/plan"
	"github.com/whittle-dev/whittle/session"
)

func openDemo(t *testing.T, opts session.Options) *session.Session {
	t.Helper()
	s, err := session.Open(context.Background(), "demo:", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestComputedOnce: asked from many goroutines at once, and again later,
// the index, a closure, the findings and the catalog are each computed
// once.
func TestComputedOnce(t *testing.T) {
	var mu sync.Mutex
	steps := map[string]int{}
	s := openDemo(t, session.Options{Progress: func(p session.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Stage != "indexing" || p.Done == 0 {
			steps[p.Stage]++
		}
	}})
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := s.Closure(ctx, closure.Options{})
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := s.Findings(ctx, cl, doctor.Options{}); err != nil {
				t.Error(err)
			}
			if _, err := s.Catalog(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	a, _ := s.Closure(ctx, closure.Options{})
	b, _ := s.Closure(ctx, closure.Options{Roots: nil, Env: []string{}})
	if a != b {
		t.Error("the same closure options gave two closures")
	}
	c, _ := s.Closure(ctx, closure.Options{Env: []string{"LANG=C.UTF-8"}})
	if c == a {
		t.Error("other closure options gave the same closure")
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]int{"opening": 1, "closure": 2, "findings": 1, "etc": 1, "": 6}
	for k, n := range want {
		if steps[k] != n {
			t.Errorf("step %q heard %d times, want %d (all: %v)", k, steps[k], n, steps)
		}
	}
}

// TestCancelledIsForgotten: a closure whose caller cancelled is not kept;
// the next caller computes it.
func TestCancelledIsForgotten(t *testing.T) {
	s := openDemo(t, session.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Closure(ctx, closure.Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled closure: %v, want context.Canceled", err)
	}
	if _, err := s.Evaluate(ctx, &plan.Plan{}, session.EvalOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled evaluation: %v, want context.Canceled", err)
	}
	cl, err := s.Closure(context.Background(), closure.Options{})
	if err != nil || cl == nil {
		t.Fatalf("closure after a cancelled one: %v", err)
	}
}

// TestEvaluationIsTheBuild evaluates plans of every kind on the demo image
// and builds each on the same session: what the build writes (its file
// count and bytes, read back from the layers it wrote, and its paths) is
// what the evaluation said, exactly, and the tar bytes within 1 %.
func TestEvaluationIsTheBuild(t *testing.T) {
	s := openDemo(t, session.Options{})
	ctx := context.Background()
	ix, err := s.Index(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A store path the trim keeps, to drop.
	var locales string
	ix.Root.Walk(func(n *analyze.Node) bool {
		if strings.HasSuffix(n.Path(), "-glibc-locales-2.39-52") {
			locales = n.Path()
		}
		return true
	})
	if locales == "" {
		t.Fatal("no glibc-locales store path in the demo")
	}
	for _, tc := range []struct {
		name string
		p    plan.Plan
	}{
		{"default", plan.Plan{}},
		{"keep all", plan.Plan{Keep: []string{"/**"}}},
		{"keep all, drop", plan.Plan{Keep: []string{"/**"}, Drop: []string{"/nix/store/*-glibc-locales-*/**"}}},
		{"drop a needed store path", plan.Plan{Drop: []string{locales + "/**"}}},
		{"apply bloat", plan.Plan{Apply: []string{doctor.FamilyBloat}}},
		{"etc", plan.Plan{Etc: etcgen.Selection{Locales: etcgen.Names("C.UTF-8"), Timezones: etcgen.Names("Europe/Riga"), Certificates: etcgen.ChooseAll}}},
		{"keep a file", plan.Plan{Keep: []string{"/etc/**"}}},
		{"popularity layers", plan.Plan{Layers: plan.Layers{Strategy: plan.Popularity}}},
		{"assemble", plan.Plan{Mode: plan.Assemble}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			p.Source = "demo:"
			ev, err := s.Evaluate(ctx, &p, session.EvalOptions{})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := pipeline.RunSession(ctx, s, &p, pipeline.Options{LayerCache: t.TempDir()})
			if err != nil && !errors.Is(err, pipeline.ErrBroken) {
				t.Fatal(err)
			}
			tot := ev.Selection.Totals
			if tot.Files != rep.After.Files || tot.FileBytes != rep.After.FileBytes {
				t.Errorf("evaluated %d files of %d bytes, built %d of %d", tot.Files, tot.FileBytes, rep.After.Files, rep.After.FileBytes)
			}
			if d := tot.TarBytes - rep.After.TarBytes; d*100 > rep.After.TarBytes || -d*100 > rep.After.TarBytes {
				t.Errorf("evaluated %d tar bytes, built %d", tot.TarBytes, rep.After.TarBytes)
			}
			if got := writtenPaths(t, rep); !slices.Equal(got, ev.Selection.Kept) {
				t.Errorf("built paths differ from the evaluation's: %s", firstDifference(got, ev.Selection.Kept))
			}
		})
	}
}

// writtenPaths reads the built image's layers with archive/tar and lists
// the paths they hold.
func writtenPaths(t *testing.T, rep *pipeline.Report) []string {
	t.Helper()
	if rep.Image == nil {
		return nil
	}
	set := map[string]bool{}
	testfix.EachLayerEntry(t, rep.Image, func(_ int, h *tar.Header, _ io.Reader) { set[path.Clean("/"+h.Name)] = true })
	var out []string
	for p := range set {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

func firstDifference(a, b []string) string {
	for i := 0; i < len(a) || i < len(b); i++ {
		switch {
		case i >= len(a):
			return "evaluation has " + b[i] + " more"
		case i >= len(b):
			return "build has " + a[i] + " more"
		case a[i] != b[i]:
			return fmt.Sprintf("build %s, evaluation %s", a[i], b[i])
		}
	}
	return "none"
}

// TestSelectDeepTree: 10,000 nested directories with a file at the bottom
// are selected in one walk: every directory once, in order.
func TestSelectDeepTree(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := ""
	var want []string
	for i := range 10000 {
		dir += fmt.Sprintf("/d%d", i%10)
		want = append(want, dir)
		tw.WriteHeader(&tar.Header{Name: dir[1:] + "/", Typeflag: tar.TypeDir, Mode: 0o755, Format: tar.FormatPAX})
	}
	file := dir + "/f"
	want = append(want, file)
	tw.WriteHeader(&tar.Header{Name: file[1:], Typeflag: tar.TypeReg, Mode: 0o644, Size: 2, Format: tar.FormatPAX})
	tw.Write([]byte("hi"))
	tw.Close()
	ctx := context.Background()
	file0 := filepath.Join(t.TempDir(), "deep.tar")
	if err := os.WriteFile(file0, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	im, err := source.Open(ctx, "rootfs-tar:"+file0, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	ix, err := analyze.IndexImage(ctx, im, analyze.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sel := session.Select(ix, func(n *analyze.Node) bool { return n.Path() == file }, nil)
	slices.Sort(want)
	if !slices.Equal(sel.Kept, want) || len(sel.Entries) != 1 || sel.Totals.Files != 1 || sel.Totals.FileBytes != 2 {
		t.Errorf("kept %d paths (want %d), %d entries, totals %+v", len(sel.Kept), len(want), len(sel.Entries), sel.Totals)
	}
}

// TestKeepsLatestClosures: a session keeps the closures of the latest
// questions only: one asked again among them is not computed again, one
// asked long ago is.
func TestKeepsLatestClosures(t *testing.T) {
	computed := 0
	s := openDemo(t, session.Options{Progress: func(p session.Progress) {
		if p.Stage == "closure" {
			computed++
		}
	}})
	ctx := context.Background()
	ask := func(i int) {
		t.Helper()
		if _, err := s.Closure(ctx, closure.Options{Env: []string{fmt.Sprintf("N=%d", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 6 {
		ask(i)
	}
	ask(5) // among the latest
	ask(2) // among the latest
	if computed != 6 {
		t.Errorf("%d closures computed for 6 questions and 2 repeats of recent ones", computed)
	}
	ask(0) // forgotten
	if computed != 7 {
		t.Errorf("%d closures computed; the oldest question was not asked afresh", computed)
	}
}
