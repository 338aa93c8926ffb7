package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/internal/reprotar"
)

// TestGraphMergedUsr runs graph on the smallest merged-/usr root (/bin ->
// usr/bin): --roots and --why given the /bin spelling answer as for the
// /usr/bin one, and the root says how its path resolved.
func TestGraphMergedUsr(t *testing.T) {
	tarball, err := reprotar.Bytes([]reprotar.File{
		{Path: "/bin", Kind: reprotar.Symlink, Mode: 0o777, Link: "usr/bin"},
		{Path: "/usr/bin/tool", Kind: reprotar.Regular, Mode: 0o755, Data: []byte("#!/usr/bin/helper\n")},
		{Path: "/usr/bin/helper", Kind: reprotar.Regular, Mode: 0o755, Data: []byte(strings.Repeat("h", 100))},
		{Path: "/usr/share/extra", Kind: reprotar.Regular, Mode: 0o644, Data: []byte(strings.Repeat("e", 500))},
	})
	if err != nil {
		t.Fatal(err)
	}
	ref := "rootfs-tar:" + filepath.Join(t.TempDir(), "merged-usr.tar")
	if err := os.WriteFile(strings.TrimPrefix(ref, "rootfs-tar:"), tarball, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := run(t, "graph", ref, "--roots", "/bin/tool", "--unreachable")
	if code != 0 || !strings.Contains(out, `root /bin/tool (option "/bin/tool → /usr/bin/tool")`) ||
		!strings.Contains(out, "unreachable: 1 nodes, 500 B that no root needs") || !strings.Contains(out, "/usr/share/extra") {
		t.Errorf("--roots /bin/tool: code %d, stderr %q, stdout:\n%s", code, errs, out)
	}
	viaBin, _, code1 := run(t, "graph", ref, "--roots", "/bin/tool", "--why", "/bin/helper")
	viaUsr, _, code2 := run(t, "graph", ref, "--roots", "/usr/bin/tool", "--why", "/usr/bin/helper")
	if code1 != 0 || code2 != 0 || viaBin != viaUsr || !strings.Contains(viaBin, "/usr/bin/tool -[shebang]-> /usr/bin/helper") {
		t.Errorf("--why /bin/helper (code %d):\n%s\n--why /usr/bin/helper (code %d):\n%s", code1, viaBin, code2, viaUsr)
	}
	out, _, code = run(t, "graph", ref, "--roots", "/bin/tool", "--format", "json")
	if code != 0 || !strings.Contains(out, `"path": "/usr/bin/tool",
      "source": "option",
      "named": "/bin/tool",
      "links": [
        "/bin"
      ]`) || !strings.Contains(out, `"path": "/bin",
      "source": "link"`) {
		t.Errorf("--format json: code %d, roots in:\n%s", code, out[:min(len(out), 600)])
	}
	_, errs, code = run(t, "graph", ref, "--why", "/bin/nothing")
	if code != 1 || !strings.Contains(errs, `"/bin/nothing": no such file in the image`) {
		t.Errorf("--why /bin/nothing: code %d, stderr %q", code, errs)
	}
	// A directory is why its files are there; a bad --why among good
	// ones is reported after their answers.
	out, errs, code = run(t, "graph", ref, "--roots", "/bin/tool", "--why", "/bin/nothing", "--why", "/usr/share", "--why", "/bin/helper")
	if code != 1 || !strings.Contains(errs, `"/bin/nothing": no such file in the image`) ||
		!strings.Contains(out, "why /usr/share/extra (file)") || !strings.Contains(out, "/usr/bin/tool -[shebang]-> /usr/bin/helper") {
		t.Errorf("--why /bin/nothing /usr/share /bin/helper: code %d, stderr %q, stdout:\n%s", code, errs, out)
	}
}

// TestGraphWarm: a second graph of the same image and options prints what
// a cold one prints, from the cached closure, without reading the layer
// index (its cache file, removed, stays absent) until --why has to look a
// path up.
func TestGraphWarm(t *testing.T) {
	tarball, err := reprotar.Bytes([]reprotar.File{
		{Path: "/usr/bin/tool", Kind: reprotar.Regular, Mode: 0o755, Data: []byte("#!/usr/bin/helper\n")},
		{Path: "/usr/bin/helper", Kind: reprotar.Regular, Mode: 0o755, Data: []byte(strings.Repeat("h", 100))},
		{Path: "/usr/share/extra", Kind: reprotar.Regular, Mode: 0o644, Data: []byte(strings.Repeat("e", 500))},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "root.tar")
	if err := os.WriteFile(p, tarball, 0o644); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	indexFiles := func() []string {
		entries, _ := os.ReadDir(cache)
		var names []string
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "rootfs-") {
				names = append(names, e.Name())
			}
		}
		return names
	}
	formats := [][]string{
		{"graph", p, "--roots", "/usr/bin/tool", "--unreachable"},
		{"graph", p, "--roots", "/usr/bin/tool", "--format", "json"},
		{"graph", p, "--roots", "/usr/bin/tool", "--format", "dot", "--unreachable"},
	}
	// The first cached run computes and stores the closure (the output
	// format is not part of it).
	first, errs, code := runCached(t, append([]string{"--cache-dir", cache}, formats[0]...)...)
	if cold, _, _ := run(t, formats[0]...); code != 0 || first != cold {
		t.Fatalf("first cached run: exit %d, stderr %q, output differs from --no-cache:\n%s\n%s", code, errs, first, cold)
	}
	index := indexFiles()
	if len(index) != 1 {
		t.Fatalf("cache holds layer indexes %q, want one", index)
	}
	os.Remove(filepath.Join(cache, index[0]))
	for _, args := range formats {
		cold, _, code := run(t, args...)
		warm, errs, code2 := runCached(t, append([]string{"--cache-dir", cache}, args...)...)
		if code != 0 || code2 != 0 || warm != cold {
			t.Fatalf("%q: exit %d/%d, stderr %q; warm output differs from cold:\n%s\ncold:\n%s", args, code, code2, errs, warm, cold)
		}
		if got := indexFiles(); len(got) != 0 {
			t.Errorf("%q: the warm run read the layer index (cache now holds %q)", args, got)
		}
	}
	why := []string{"--cache-dir", cache, "graph", p, "--roots", "/usr/bin/tool", "--why", "/usr/bin/helper"}
	out, errs, code := runCached(t, why...)
	cold, _, _ := run(t, why[2:]...)
	if code != 0 || out != cold || !strings.Contains(out, "/usr/bin/tool -[shebang]-> /usr/bin/helper") {
		t.Errorf("warm --why: exit %d, stderr %q, output:\n%s\ncold:\n%s", code, errs, out, cold)
	}
	if got := indexFiles(); !slices.Equal(got, index) {
		t.Errorf("--why: cache holds layer indexes %q, want %q (the image indexed again)", got, index)
	}
}
