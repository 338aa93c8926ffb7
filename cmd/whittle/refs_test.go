package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReferenceErrors: the CLI's one line for references as people type
// them, and for a --roots that names nothing.
func TestReferenceErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"audit", "demo"}, "whittle: demo: did you mean demo:? (\"demo\" is a transport's name; a registry image of that name is docker://demo)\n"},
		{[]string{"graph", "--roots", "nosuch", "demo:"}, "whittle: --roots (image demo:): \"nosuch\" is neither a path, a package, a store path nor a command in the image\n"},
		{[]string{"audit", "nix:/nonexistent/x"}, "whittle: nix:/nonexistent/x: no such file or directory\n"},
	} {
		_, errs, code := run(t, tc.args...)
		if code != 1 || errs != tc.stderr {
			t.Errorf("%v: code %d, stderr %q\nwant %q", tc.args, code, errs, tc.stderr)
		}
	}
}

// TestReadmeEtcExample runs the README's `whittle etc` examples that use
// the demo image, as written.
func TestReadmeEtcExample(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "## `whittle etc`\n\n```sh\n")
	if !ok {
		t.Fatal("README has no `whittle etc` example")
	}
	block, _, _ := strings.Cut(section, "```")
	block = strings.ReplaceAll(block, "\\\n", " ")
	dir := t.TempDir()
	t.Chdir(dir)
	ran := 0
	for _, line := range strings.Split(block, "\n") {
		line, _, _ = strings.Cut(line, "#")
		words := strings.Fields(line)
		if len(words) < 3 || words[0] != "whittle" || words[2] != "demo:" {
			continue
		}
		out, errs, code := run(t, words[1:]...)
		if code != 0 || errs != "" || out == "" {
			t.Errorf("%s: code %d, stderr %q", line, code, errs)
		}
		ran++
	}
	if ran != 2 {
		t.Errorf("ran %d demo examples, want 2", ran)
	}
	for _, f := range []string{"etc/services", "etc/protocols", "etc/passwd", "etc/localtime", "usr/lib/locale/locale-archive"} {
		if _, err := os.Lstat(filepath.Join(dir, "rootfs-etc", f)); err != nil {
			t.Errorf("the example wrote no %s: %v", f, err)
		}
	}
}
