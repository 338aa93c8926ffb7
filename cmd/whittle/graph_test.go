package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/builder/reprotar"
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
}
