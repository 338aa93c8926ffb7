package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/reprotar"
	"github.com/whittle-dev/whittle/internal/testfix"
	"github.com/whittle-dev/whittle/plan"
)

// computedNameArchive writes an image whose entry point, a script run by
// the host's static busybox, reads a file whose name it computes at run
// time: no static rule can see it.
func computedNameArchive(t *testing.T, path string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a real sandbox")
	}
	testfix.NeedTool(t, "bwrap")
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skip("no /bin/busybox (busybox-static)")
	}
	files := []reprotar.File{
		{Path: "/bin/busybox", Kind: reprotar.Regular, Mode: 0o755, Data: bb},
		{Path: "/bin/sh", Kind: reprotar.Symlink, Mode: 0o777, Link: "busybox"},
		{Path: "/bin/cat", Kind: reprotar.Symlink, Mode: 0o777, Link: "busybox"},
		{Path: "/app/run.sh", Kind: reprotar.Regular, Mode: 0o755, Data: []byte("#!/bin/sh\nd=da; cat /${d}ta/f$(echo i)le\n")},
		{Path: "/data/file", Kind: reprotar.Regular, Mode: 0o644, Data: []byte("the data\n")},
		{Path: "/data/other", Kind: reprotar.Regular, Mode: 0o644, Data: []byte("not needed\n")},
	}
	archiveOf(t, path, v1.Config{Cmd: []string{"/app/run.sh"}, Env: []string{"PATH=/bin"}}, files...)
}

// TestLearnKeepsComputedName: the default trim loses the file whose name
// is computed at run time and verify, comparing with the source, fails on
// it; a learn: command keeps it (a traced edge saying which command opened
// it), the trimmed image then passes, and the learned list replays
// without tracing.
func TestLearnKeepsComputedName(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.tar")
	computedNameArchive(t, src)
	ctx := context.Background()
	base := func(out string) *plan.Plan {
		return &plan.Plan{Source: "docker-archive:" + src, Outputs: []string{"docker-archive:" + filepath.Join(dir, out)},
			Verify: [][]string{{"/app/run.sh"}}}
	}

	rep, err := Run(ctx, base("lost.tar"), Options{})
	if !errors.Is(err, ErrVerify) {
		t.Fatalf("default trim: err = %v, want ErrVerify", err)
	}
	if !slices.Contains(rep.RemovedPaths, "/data/file") {
		t.Errorf("default trim kept /data/file: removed %q", rep.RemovedPaths)
	}
	v := rep.Verify[0]
	if v.Passed || v.ExitCode != 1 || v.SourceExitCode != 0 || len(v.Differences) != 2 ||
		v.Differences[0].What != "exit status" || v.Differences[1].What != "stdout" || v.Differences[1].Source != "the data\n" {
		t.Errorf("default trim verify = %+v", v)
	}

	p := base("kept.tar")
	p.Learn = [][]string{{"/app/run.sh"}}
	rep, err = Run(ctx, p, Options{})
	if err != nil {
		t.Fatalf("with learn: %v (verify %+v)", err, rep.Verify)
	}
	want := []string{"/app/run.sh", "/bin/busybox", "/data/file"}
	if !reflect.DeepEqual(rep.Learned, want) {
		t.Errorf("learned = %q, want %q", rep.Learned, want)
	}
	if !slices.Contains(rep.RemovedPaths, "/data/other") || slices.Contains(rep.RemovedPaths, "/data/file") {
		t.Errorf("removed %q: want /data/other only of /data", rep.RemovedPaths)
	}
	if !rep.Verify[0].Passed || rep.Verify[0].Output != "the data\n" {
		t.Errorf("verify = %+v", rep.Verify[0])
	}
	cl := rep.Closure
	from, _ := cl.Owner("/app/run.sh")
	to, _ := cl.Owner("/data/file")
	var kinds graph.EdgeKind
	for _, e := range cl.Graph.Edges(from) {
		if e.To == to {
			kinds = e.Kinds
		}
	}
	if !kinds.Has(graph.Traced) {
		t.Errorf("no traced edge /app/run.sh -> /data/file (%v)", kinds)
	}
	if ex := cl.Explain(from, to); len(ex) != 1 || ex[0] != "/data/file opened by `cat /data/file`" {
		t.Errorf("explain = %q", ex)
	}

	// The learned list replays: nothing is traced (the commands could
	// not even run: the learn: command is gone from the image).
	p = base("replay.tar")
	p.Learn = [][]string{{"/not/there"}}
	p.Learned = want
	rep, err = Run(ctx, p, Options{})
	if err != nil || rep.Learned != nil || !rep.Verify[0].Passed {
		t.Errorf("replay: err %v, learned %q, verify %+v", err, rep.Learned, rep.Verify)
	}
	if !strings.Contains(strings.Join(rep.RemovedPaths, " "), "/data/other") {
		t.Errorf("replay removed %q", rep.RemovedPaths)
	}
}
