package verify

import (
	"archive/tar"
	"context"
	"os"
	"slices"
	"strings"
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
	return busyboxImageOver(t, config, nil, extra...)
}

// busyboxImageOver is busyboxImage with a second layer of the entries in
// over (whiteouts remove what the first holds).
func busyboxImageOver(t *testing.T, config map[string]any, over []tarEntry, extra ...tarEntry) (*source.Image, *analyze.Index) {
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
	layers := [][]byte{layerBytes(t, entries...)}
	if over != nil {
		layers = append(layers, layerBytes(t, over...))
	}
	return memoryImage(t, config, layers...)
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
				if a.Path != "/" { // bwrap's busybox looks up / at start
					paths = append(paths, string(a.Op)+" "+a.Path+" by "+strings.Join(a.By, " "))
				}
			}
			want := []string{
				"exec /app/run.sh by /bin/sh /app/run.sh",
				"exec /bin/busybox by /bin/sh /app/run.sh",
				"open /data/file by cat /data/file",
			}
			if !slices.Equal(paths, want) {
				t.Errorf("accesses:\n%s\nwant\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestLearnAsUser learns in the Debian fixture, whose config runs
// commands as nobody: the tracer follows the shell's child through its
// exec as that user, in both sandboxes.
func TestLearnAsUser(t *testing.T) {
	if testing.Short() {
		t.Skip("unpacks the Debian fixture")
	}
	testfix.NeedTool(t, "bwrap")
	im, ix := debianImage(t)
	for _, sb := range sandboxes(t) {
		t.Run(sb.String(), func(t *testing.T) {
			got, err := Learn(context.Background(), im, ix, []Check{{Argv: []string{"sh", "-c", "id -un; cat /etc/os-release >/dev/null"}}}, Options{Sandbox: sb})
			if err != nil {
				t.Fatal(err)
			}
			l := got[0]
			if l.Result.ExitCode != 0 || string(l.Result.Output) != "nobody\n" {
				t.Errorf("result %d %q", l.Result.ExitCode, l.Result.Output)
			}
			ops := map[string]string{}
			for _, a := range l.Accesses {
				ops[a.Path] = string(a.Op)
			}
			for p, op := range map[string]string{"/usr/bin/cat": "exec", "/usr/bin/id": "exec", "/etc/os-release": "open", "/etc/passwd": "open"} {
				if ops[p] != op {
					t.Errorf("%s: %q, want %q", p, ops[p], op)
				}
			}
			for p := range ops {
				if strings.HasPrefix(p, "/proc/") || strings.HasPrefix(p, "/dev/") {
					t.Errorf("the sandbox's own %s was recorded", p)
				}
			}
		})
	}
}
