package closure

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// TestDebianPerlINC: the perl-inc rule reads @INC from the interpreter's
// bytes; every @INC directory the Debian root holds, as the real perl
// prints them, is reached from /usr/bin/perl by a runtime edge.
func TestDebianPerlINC(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Debian root (-short)")
	}
	testfix.NeedTool(t, "bwrap")
	root := testfix.DebianRootfsDir(t)
	sb := testfix.Sandbox{
		Mounts: []testfix.Mount{{Src: filepath.Join(root, "usr"), Dst: "/usr"}, {Src: filepath.Join(root, "etc"), Dst: "/etc"}},
		Symlinks: []testfix.Symlink{
			{Path: "/bin", Target: "usr/bin"}, {Path: "/lib", Target: "usr/lib"}, {Path: "/lib64", Target: "usr/lib64"},
		},
		Env: []string{"PATH=/usr/bin"},
	}
	res := sb.Run(t, "perl", "-e", `print "$_\n" for @INC`)
	if res.ExitCode != 0 {
		t.Fatalf("perl: %d %s", res.ExitCode, res.Stderr)
	}
	cl := graphOf(t, "rootfs-tar:"+testfix.DebianRootfsTar(t), Options{Roots: []string{"/usr/bin/perl"}})
	perl, ok := cl.Owner("/usr/bin/perl")
	if !ok {
		t.Fatal("no /usr/bin/perl")
	}
	checked := 0
	for _, dir := range strings.Fields(res.Stdout) {
		real, err := filepath.EvalSymlinks(filepath.Join(root, dir))
		if err != nil {
			continue // not in the image
		}
		if fi, err := os.Stat(real); err != nil || !fi.IsDir() {
			continue
		}
		rel, _ := filepath.Rel(root, real)
		id, ok := cl.Graph.Lookup(graph.File, "/"+rel)
		if !ok || !cl.Analysis.Reachable(id) {
			t.Errorf("@INC directory %s is not reached", dir)
			continue
		}
		found := false
		for _, r := range cl.EdgeRules(perl, id) {
			found = found || r.Name == "perl-inc"
		}
		if !found {
			t.Errorf("@INC directory %s: no perl-inc edge from /usr/bin/perl", dir)
		}
		checked++
	}
	if checked < 3 {
		t.Errorf("only %d @INC directories checked (perl printed %q)", checked, res.Stdout)
	}
}
