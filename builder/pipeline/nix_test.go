package pipeline

import (
	"archive/tar"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/testopen"
	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/internal/testfix"
	"github.com/whittle-dev/whittle/plan"
)

// busyboxExpr makes a store path holding a static busybox (copied from the
// host into the store), a zoneinfo with posix -> . as Nix's tzdata has it,
// and a leaf it refers to, so the closure has two paths.
const busyboxExpr = `let
  bb = builtins.path { path = BUSYBOX; name = "busybox-static"; };
  leaf = derivation { name = "whittle-bb-leaf"; system = builtins.currentSystem; builder = "/bin/sh";
    args = [ "-c" "/bin/mkdir -p $out/share/zoneinfo/Europe && printf 'TZif2 Riga\\n' > $out/share/zoneinfo/Europe/Riga && /bin/ln -s . $out/share/zoneinfo/posix" ]; };
in derivation { name = "whittle-bb"; system = builtins.currentSystem; builder = "/bin/sh";
  args = [ "-c" "/bin/mkdir -p $out/bin && /bin/cp ${bb} $out/bin/busybox && /bin/ln -s busybox $out/bin/sh && /bin/ln -s busybox $out/bin/echo && printf '%s\\n' ${leaf} > $out/zones" ]; }
`

// TestNixAssemble assembles an image from a real Nix closure: its files
// are exactly the closure's (nix-store -qR) plus the generated /etc, /bin
// and /tmp; the program runs under verify; the zoneinfo loop stays a
// symlink.
func TestNixAssemble(t *testing.T) {
	if testing.Short() {
		t.Skip("needs nix-build and a static busybox")
	}
	testfix.NeedTool(t, "nix-build", "nix-store", "busybox", "bwrap")
	bb, err := filepath.EvalSymlinks(mustLookPath(t, "busybox"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	expr := filepath.Join(dir, "bb.nix")
	if err := os.WriteFile(expr, []byte(strings.Replace(busyboxExpr, "BUSYBOX", bb, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "result")
	if _, err := testfix.RunNix("nix-build", expr, "--out-link", link); err != nil {
		t.Fatal(err)
	}
	qr, err := testfix.RunNix("nix-store", "-qR", link)
	if err != nil {
		t.Fatal(err)
	}
	closurePaths := strings.Fields(string(qr))
	sort.Strings(closurePaths)

	out := filepath.Join(dir, "app.tar")
	p := &plan.Plan{
		Source: "nix:" + link, Mode: plan.Assemble,
		Etc:     etcgen.Selection{Users: []etcgen.User{{Name: "root"}}, Timezones: etcgen.Names("UTC")},
		Outputs: []string{"docker-archive:" + out},
		Verify:  [][]string{{"sh", "-c", "echo assembled; test -d /tmp && test -L /bin"}},
	}
	rep, err := Run(context.Background(), p, Options{})
	if err != nil {
		if rep != nil {
			t.Logf("verify: %+v", rep.Verify)
		}
		t.Fatal(err)
	}
	if len(rep.Verify) != 1 || rep.Verify[0].Output != "assembled\n" {
		t.Errorf("verify %+v", rep.Verify)
	}
	// The store paths in the image are exactly the closure.
	entries := archiveEntries(t, out)
	var stores []string
	for name := range entries {
		if rest, ok := strings.CutPrefix(name, "/nix/store/"); ok && !strings.Contains(rest, "/") {
			stores = append(stores, name)
		}
	}
	sort.Strings(stores)
	if !reflect.DeepEqual(stores, closurePaths) {
		t.Errorf("store paths %q, nix-store -qR %q", stores, closurePaths)
	}
	// Outside the store: only what was generated.
	var outside []string
	for name := range entries {
		if !strings.HasPrefix(name, "/nix/") && name != "/nix" {
			outside = append(outside, name)
		}
	}
	sort.Strings(outside)
	for _, want := range []string{"/bin", "/etc/passwd", "/etc/group", "/tmp", "/etc/localtime"} {
		if _, ok := entries[want]; !ok {
			t.Errorf("no %s in the image (outside the store: %q)", want, outside)
		}
	}
	for _, name := range outside {
		if !strings.HasPrefix(name, "/etc") && !strings.HasPrefix(name, "/usr/share/zoneinfo") && name != "/bin" && name != "/tmp" && name != "/root" && name != "/usr" && name != "/usr/share" {
			t.Errorf("unexpected %s outside the store", name)
		}
	}
	// The zoneinfo loop is one symlink, not 40 copies.
	for name, typ := range entries {
		if strings.HasSuffix(name, "/share/zoneinfo/posix") && typ != tar.TypeSymlink {
			t.Errorf("%s is %c, want a symlink", name, typ)
		}
		if strings.Contains(name, "/posix/") {
			t.Errorf("%s: the zoneinfo loop was expanded", name)
		}
	}
}

func mustLookPath(t *testing.T, name string) string {
	t.Helper()
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if fi, err := os.Stat(filepath.Join(d, name)); err == nil && !fi.IsDir() {
			return filepath.Join(d, name)
		}
	}
	t.Fatalf("%s not found", name)
	return ""
}

// archiveEntries lists the final file system of the built docker archive
// as path -> tar type, read back through the docker-archive source.
func archiveEntries(t *testing.T, archive string) map[string]byte {
	t.Helper()
	_, ix := testopen.Indexed(t, "docker-archive:"+archive)
	types := map[analyze.Type]byte{analyze.TypeDir: tar.TypeDir, analyze.TypeSymlink: tar.TypeSymlink, analyze.TypeRegular: tar.TypeReg, analyze.TypeHardlink: tar.TypeLink}
	out := map[string]byte{}
	ix.Root.Walk(func(n *analyze.Node) bool {
		if n.Path() != "/" {
			out[n.Path()] = types[n.Entry.Type]
		}
		return true
	})
	return out
}
