package verify

import (
	"archive/tar"
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/testfix"
	"github.com/whittle-dev/whittle/internal/trace"
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

// TestLearnContained learns under the sandbox's limits: the tracer
// starts in the sandbox's helper's place, and what it traces is still in
// the cgroup (or under the rlimits), writes go to the size-limited layer,
// the namespace sandbox's command runs in its user namespace, and the
// processes a command leaves behind end with it, as in a container
// whose init exits.
func TestLearnContained(t *testing.T) {
	im, ix := busyboxImage(t, nil)
	limits := Limits{Pids: 64, Disk: 32 << 20}
	for _, sb := range sandboxes(t) {
		t.Run(sb.String(), func(t *testing.T) {
			uidMap := "0 0 4294967295"
			if sb == SandboxNamespaces {
				uidMap = "0 1073741824 65536"
			}
			for _, tc := range []struct {
				name, cmd string
				passed    bool
				out       string // a substring of the output
				touched   string // a path the trace holds (busybox sh runs its applets without executing them)
			}{
				{"processes", `i=0; while [ $i -lt 200 ]; do sleep 600 & i=$((i+1)); done; echo all $i started`, false, "can't fork", "/bin/busybox"},
				{"disk", `busybox dd if=/dev/zero of=/fill bs=1M count=200`, false, "No space left on device", "/fill"},
				{"user namespace", `echo $(cat /proc/self/uid_map); cat /data/file`, true, uidMap + "\nthe data\n", "/data/file"},
				{"left behind", `sleep 600 & echo started`, true, "started\n", "/bin/busybox"},
			} {
				got, err := Learn(context.Background(), im, ix, []Check{{Argv: []string{"sh", "-c", tc.cmd}}}, Options{Sandbox: sb, Limits: limits, Timeout: 2 * time.Minute})
				if err != nil {
					t.Errorf("%s: %v", tc.name, err)
					continue
				}
				r := got[0].Result
				if r.Passed != tc.passed || r.Err != nil && tc.passed || !strings.Contains(string(r.Output), tc.out) || r.Duration > time.Minute {
					t.Errorf("%s: passed %v, exit %d (%v) after %v, output %q", tc.name, r.Passed, r.ExitCode, r.Err, r.Duration, r.Output)
				}
				if !slices.ContainsFunc(got[0].Accesses, func(a trace.Access) bool { return a.Path == tc.touched }) {
					t.Errorf("%s: %s not traced in %v", tc.name, tc.touched, got[0].Accesses)
				}
			}
			if n := ourCgroups(t, os.Getpid()); n != 0 {
				t.Errorf("%d cgroups left", n)
			}
		})
	}
}
