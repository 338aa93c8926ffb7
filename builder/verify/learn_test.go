package verify

import (
	"archive/tar"
	"context"
	"os"
	"slices"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// busyboxImage is an image of the host's static busybox (/bin/busybox,
// with /bin/sh, /bin/cat and the other applets the tests use linked to
// it), a data file whose name a script computes at run time, and the
// entries given.
func busyboxImage(t *testing.T, config map[string]any, extra ...tarEntry) (*source.Image, *analyze.Index) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a real sandbox")
	}
	testfix.NeedTool(t, "busybox")
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skip("no /bin/busybox (busybox-static)")
	}
	entries := []tarEntry{dir("bin/"), dir("data/"), dir("app/"),
		{tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755}, string(bb)},
		file("data/file", "the data\n"),
		{tar.Header{Name: "app/run.sh", Typeflag: tar.TypeReg, Mode: 0o755}, "#!/bin/sh\ncat /data/$(echo f)ile\n"},
	}
	for _, a := range []string{"sh", "cat", "echo", "ls", "httpd", "nc", "sleep", "true"} {
		entries = append(entries, symlink("bin/"+a, "busybox"))
	}
	entries = append(entries, extra...)
	if config == nil {
		config = map[string]any{"Env": []string{"PATH=/bin"}, "Cmd": []string{"/app/run.sh"}}
	}
	return memoryImage(t, config, layerBytes(t, entries...))
}

func TestLearnBusybox(t *testing.T) {
	im, ix := busyboxImage(t, nil)
	for _, sb := range sandboxes(t) {
		t.Run(sb.String(), func(t *testing.T) {
			got, err := Learn(context.Background(), im, ix, []Check{{Argv: []string{"/app/run.sh"}}}, Options{Sandbox: sb})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d results", len(got))
			}
			r := got[0]
			if string(r.Result.Output) != "the data\n" || r.Result.ExitCode != 0 {
				t.Errorf("result: %d %q", r.Result.ExitCode, r.Result.Output)
			}
			var paths []string
			for _, a := range r.Accesses {
				paths = append(paths, string(a.Op)+" "+a.Path)
				t.Logf("%s %s %q", a.Op, a.Path, a.By)
			}
			if !slices.Contains(paths, "open /data/file") || !slices.Contains(paths, "exec /app/run.sh") {
				t.Errorf("accesses: %q", paths)
			}
		})
	}
}

func TestLearnDebug(t *testing.T) {
	im, ix := busyboxImage(t, nil)
	tree, err := Unpack(context.Background(), im, ix, "")
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Remove()
	l, err := learnOne(context.Background(), tree.Dir, im.Config.Config, Check{Argv: []string{"/app/run.sh"}}, Options{Sandbox: SandboxNamespaces})
	t.Logf("%v %q %+v", err, l.Result.Output, l)
}
