package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/internal/testfix"
)

// busyboxDir writes a root file system of the host's static busybox
// (/bin/sh, /bin/cat linked to it), a script that reads a file whose name
// it computes at run time, and that file unless without.
func busyboxDir(t *testing.T, withData bool) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a real sandbox")
	}
	testfix.NeedTool(t, "bwrap")
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skip("no /bin/busybox (busybox-static)")
	}
	dir := t.TempDir()
	for _, d := range []string{"bin", "app", "data"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "bin/busybox"), bb, 0o755))
	must(os.Symlink("busybox", filepath.Join(dir, "bin/sh")))
	must(os.Symlink("busybox", filepath.Join(dir, "bin/cat")))
	must(os.WriteFile(filepath.Join(dir, "app/run.sh"), []byte("#!/bin/sh\nd=da; cat /${d}ta/f$(echo i)le\n"), 0o755))
	if withData {
		must(os.WriteFile(filepath.Join(dir, "data/file"), []byte("the data\n"), 0o644))
	}
	return "dir:" + dir
}

func TestVerifyAgainstCommand(t *testing.T) {
	src, lost := busyboxDir(t, true), busyboxDir(t, false)
	out, errs, code := run(t, "verify", "--against", src, lost, "--", "/app/run.sh")
	want := "DIFF  /app/run.sh\n  exit status:\n    source: 0\n    result: 1\n  stdout, line 1:\n    source: the data\n    result: (nothing)\n"
	if code != 1 || out != want {
		t.Errorf("lost: exit %d, output:\n%s\nwant\n%s", code, out, want)
	}
	if !strings.HasPrefix(errs, "whittle: verify: /app/run.sh differs in ") || strings.Count(errs, "\n") != 1 {
		t.Errorf("stderr %q", errs)
	}
	out, _, code = run(t, "verify", "--against", src, src, "--", "/app/run.sh")
	if code != 0 || out != "SAME  /app/run.sh  (exit status 0 in both)\n" {
		t.Errorf("identical: exit %d, %q", code, out)
	}
	// A hostile byte in the output is escaped in the difference.
	out, _, code = run(t, "verify", "--against", src, lost, "--", "sh", "-c", `test -e /data/file && printf '\033[31mred\n'; exit 0`)
	if code != 1 || !strings.Contains(out, "    source: \\x1b[31mred\n") || strings.Contains(out, "\x1b") {
		t.Errorf("escaping: exit %d, %q", code, out)
	}
	out, _, code = run(t, "verify", "--against", src, lost, "--exit-only", "--", "sh", "-c", "cat /data/file; exit 0")
	if code != 0 || !strings.HasPrefix(out, "SAME") {
		t.Errorf("exit-only: exit %d, %q", code, out)
	}
	out, _, code = run(t, "verify", "--against", src, lost, "--ignore", `the data\n`, "--", "sh", "-c", "cat /data/file 2>/dev/null; exit 0")
	if code != 0 || !strings.HasPrefix(out, "SAME") {
		t.Errorf("ignore: exit %d, %q", code, out)
	}
	if _, errs, code := run(t, "verify", src, "--exit-only", "--", "true"); code != 1 || !strings.Contains(errs, "give --against SOURCE") {
		t.Errorf("--exit-only without --against: exit %d, %q", code, errs)
	}
}

func TestLearnCommand(t *testing.T) {
	src := busyboxDir(t, true)
	out, _, code := run(t, "learn", "--json", "--roots", "/app/run.sh", src, "--", "/app/run.sh")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var rep learnReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// The static closure reaches the script and busybox through its #!
	// line; the file named at run time is what it misses.
	want := []learnMiss{{Path: "/data/file", Op: "open", By: []string{"cat", "/data/file"}, Unreached: []string{"/data/file"}}}
	if rep.InImage != 3 || rep.Reached != 2 || rep.MissedFiles != 1 || !reflect.DeepEqual(rep.Missed, want) {
		t.Errorf("report %+v", rep)
	}
	out, _, code = run(t, "learn", "--roots", "/app/run.sh", src, "--", "/app/run.sh")
	if code != 0 || !strings.Contains(out, "misses 1 (1 files a trim would lose)\n  open     /data/file  by cat /data/file\n") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

// TestBuildLearnSavesPlan: a plan's learn: command keeps the file named
// at run time, its paths are saved into the plan as learned:, and the
// next build replays them without tracing.
func TestBuildLearnSavesPlan(t *testing.T) {
	src := busyboxDir(t, true)
	dir := t.TempDir()
	planFile := filepath.Join(dir, "plan.yaml")
	doc := "source: " + src + "\nroots: [/app/run.sh]\noutputs: ['oci:" + filepath.Join(dir, "min") + "']\n" +
		"verify:\n  - [/app/run.sh]\nlearn:\n  - [/app/run.sh]\n"
	if err := os.WriteFile(planFile, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := run(t, "build", "--plan", planFile)
	if code != 0 || !strings.Contains(errs, "learn: 3 paths traced, saved as learned: in "+planFile) {
		t.Fatalf("first build: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "  PASS  /app/run.sh\n") {
		t.Errorf("first build output:\n%s", out)
	}
	saved, _ := os.ReadFile(planFile)
	if want := doc + "learned: [/app/run.sh, /bin/busybox, /data/file]\n"; string(saved) != want {
		t.Errorf("saved plan:\n%s\nwant\n%s", saved, want)
	}
	out, errs, code = run(t, "build", "--plan", planFile)
	if code != 0 || strings.Contains(errs, "traced") || !strings.Contains(out, "  PASS  /app/run.sh\n") {
		t.Errorf("replay: exit %d\n%s\n%s", code, out, errs)
	}
}
