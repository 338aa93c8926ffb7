package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBuildDemo builds the demo image from flags, saves the plan, builds
// the saved plan again and gets the same digest; the report and the
// removed-file list agree.
func TestBuildDemo(t *testing.T) {
	dir := t.TempDir()
	planFile := filepath.Join(dir, "plan.yaml")
	removed := filepath.Join(dir, "removed.txt")
	out, errs, code := runCached(t, "build", "demo:", "--drop", "/nix/store/*-python3.12-pip-*/**",
		"--etc-users", "root,hello-web", "--etc-timezones", "UTC", "--layers", "popularity", "--max-layers", "4",
		"-o", "oci:"+filepath.Join(dir, "min"), "--save-plan", planFile, "--removed", removed, "--cache-dir", filepath.Join(dir, "cache"))
	if code != 0 {
		t.Fatalf("build: exit %d\n%s", code, errs)
	}
	digest := regexp.MustCompile(`built (sha256:[0-9a-f]{64})`).FindStringSubmatch(out)
	if digest == nil {
		t.Fatalf("no digest in the report:\n%s", out)
	}
	if !strings.Contains(out, "layers: 4\n") || !strings.Contains(out, "wrote oci:"+filepath.Join(dir, "min")) {
		t.Errorf("report:\n%s", out)
	}
	list, err := os.ReadFile(removed)
	if err != nil || !strings.Contains(string(list), "-python3.12-pip-24.0/lib/python3.12/site-packages/pip/__init__.py\n") {
		t.Errorf("removed list (%v) does not hold pip", err)
	}
	saved, err := os.ReadFile(planFile)
	if err != nil || !strings.Contains(string(saved), "source: 'demo:'") && !strings.Contains(string(saved), "source: demo:") {
		t.Fatalf("saved plan (%v):\n%s", err, saved)
	}
	again, errs, code := runCached(t, "build", "--plan", planFile, "--cache-dir", filepath.Join(dir, "cache"))
	if code != 0 {
		t.Fatalf("build --plan: exit %d\n%s", code, errs)
	}
	if !strings.Contains(again, "built "+digest[1]) || !strings.Contains(again, "(cached)") {
		t.Errorf("the saved plan built another image (first %s) or rebuilt layers:\n%s", digest[1], again)
	}
}

func TestBuildErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("source: 'demo:'\nconfig:\n  Environment: {A: b}\n"), 0o644)
	noRoot := filepath.Join(dir, "noroot.yaml")
	os.WriteFile(noRoot, []byte("source: 'demo:'\nroots: [/nope]\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"build", "demo:", "--compression", "xz"}, `whittle: --compression "xz": want gzip or zstd` + "\n"},
		{[]string{"build", "demo:", "--verify", "sh -c 'unbalanced"}, `whittle: --verify "sh -c 'unbalanced": Unterminated single-quoted string` + "\n"},
		{[]string{"build", "demo:", "--root", "/nope"}, `whittle: --root (image demo:): "/nope": no such file in the image` + "\n"},
		// A root of the plan file is the file's, not the flag's.
		{[]string{"build", "--plan", noRoot}, `whittle: ` + noRoot + `: roots (image demo:): "/nope": no such file in the image` + "\n"},
		{[]string{"build", "demo:", "--env", "NOEQUALS"}, `whittle: --env "NOEQUALS": want NAME=value, the name without blanks or control characters` + "\n"},
		{[]string{"graph", "demo:", "--env", "=v"}, `whittle: --env "=v": want NAME=value, the name without blanks or control characters` + "\n"},
		{[]string{"doctor", "demo:", "--env", "A B=v"}, `whittle: --env "A B=v": want NAME=value, the name without blanks or control characters` + "\n"},
		{[]string{"build", "demo:", "--env", "X\x1b=v"}, `whittle: --env "X\\x1b=v": want NAME=value`},
		{[]string{"build", "--plan", bad}, "config.Environment: unknown key"},
		// Flags are checked as the plan's keys are, and named.
		{[]string{"build", "demo:", "--drop", "usr/**"}, `whittle: --drop: want an absolute path, got "usr/**"` + "\n"},
		{[]string{"build", "demo:", "--keep", "**/pip/**"}, `whittle: --keep: want an absolute path, got "**/pip/**" ("/**/pip/**" matches at any depth)` + "\n"},
		{[]string{"build", "demo:", "--mode", "trimm"}, `whittle: --mode: want trim or assemble, got "trimm" (did you mean "trim"?)` + "\n"},
		{[]string{"build", "demo:", "--layers", "popular"}, `whittle: --layers: want single or popularity, got "popular" (did you mean "popularity"?)` + "\n"},
		{[]string{"build", "demo:", "--max-layers", "-3"}, `whittle: --max-layers: want at least 1, got -3` + "\n"},
		{[]string{"build", "demo:", "--root", " "}, `whittle: --root: empty root` + "\n"},
		{[]string{"build", "demo:", "-o", "tarball:x"}, "tarball:x"},
	} {
		_, errs, code := run(t, tc.args...)
		if code != 1 || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q, want one line with %q", tc.args, code, errs, tc.want)
		}
	}
}

// runCached is run with the caches on (run passes --no-cache).
func runCached(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := newRootCommand()
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errb.String(), exitCode(err, &errb)
}
