package closure

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// TestDebianPythonTrim is the trim's oracle: on the real Debian root, the
// files closure of /usr/bin/python3 (with the environment an etc output
// sets, and the paths it provides left to it), copied alone into a fresh
// root with that etc output, runs a Python that imports ssl, json, zoneinfo, sqlite3, decimal and hashlib,
// finds Europe/Riga, loads more than 100 CA certificates and sets the
// chosen locale. It is at most a quarter of the image's bytes, and holds
// nothing of perl-base, dpkg or tar.
func TestDebianPythonTrim(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Debian root (-short)")
	}
	testfix.NeedTool(t, "bwrap")
	root := testfix.DebianRootfsDir(t)
	cat, err := etcgen.LoadCatalog(os.DirFS(root))
	if err != nil {
		t.Fatal(err)
	}
	sel := etcgen.Selection{
		Certificates: etcgen.ChooseAll,
		Locales:      etcgen.Names("en_US.UTF-8"),
		Timezones:    etcgen.Names("Europe/Riga"),
		Users:        []etcgen.User{{Name: "root"}},
	}
	out, err := cat.Plan(sel)
	if err != nil {
		t.Fatal(err)
	}
	etcDir := filepath.Join(t.TempDir(), "etc-out")
	if err := out.WriteDir(etcDir); err != nil {
		t.Fatal(err)
	}
	cl := graphOf(t, "rootfs-tar:"+testfix.DebianRootfsTar(t), Options{
		Roots: []string{"/usr/bin/python3"}, Env: out.EnvList(), EtcProvides: sel.Provides(),
	})
	if cl.Granularity != Files {
		t.Fatalf("granularity %q, want files by default", cl.Granularity)
	}
	for _, p := range cl.Problems {
		if p.Name() == "missing-library" {
			t.Errorf("false problem: %s %s", p.Path(), p.Message)
		}
	}
	g, an := cl.Graph, cl.Analysis

	// Copy exactly the reachable files.
	fresh := filepath.Join(t.TempDir(), "root")
	files, _ := copyReachable(t, cl, root, fresh)
	total := an.TotalSize() + an.UnreachableSize()
	t.Logf("%d reachable files, %d bytes of %d (%.1f%%)", len(files), an.TotalSize(), total, 100*float64(an.TotalSize())/float64(total))
	if an.TotalSize()*4 > total {
		t.Errorf("reachable %d bytes, more than a quarter of the image's %d", an.TotalSize(), total)
	}
	for _, pkg := range []string{"perl-base", "dpkg", "tar"} {
		ids, err := cl.Find(pkg)
		if err != nil || len(ids) != 1 {
			t.Fatalf("package %s: %v %v", pkg, ids, err)
		}
		for _, e := range g.Edges(ids[0]) {
			if an.Reachable(e.To) {
				t.Errorf("%s's %s is reachable: %v", pkg, g.Get(e.To).Name, an.Why(e.To, 1, 64))
			}
		}
	}

	sb := &testfix.Sandbox{Mounts: []testfix.Mount{{Src: fresh, Dst: "/"}}, Env: append([]string{"PATH=/usr/bin:/bin"}, out.EnvList()...)}
	for _, d := range []string{"etc", "usr/lib/locale", "usr/share/zoneinfo", "usr/lib/x86_64-linux-gnu/gconv"} {
		if _, err := os.Stat(filepath.Join(etcDir, d)); err == nil {
			os.MkdirAll(filepath.Join(fresh, d), 0o755)
			sb.Mounts = append(sb.Mounts, testfix.Mount{Src: filepath.Join(etcDir, d), Dst: "/" + d})
		}
	}
	py := `import ssl, json, zoneinfo, sqlite3, decimal, hashlib, locale
z = zoneinfo.ZoneInfo("Europe/Riga")
n = ssl.create_default_context().cert_store_stats()["x509_ca"]
locale.setlocale(locale.LC_ALL, "en_US.UTF-8")
print(z.key, n, locale.setlocale(locale.LC_ALL), json.dumps(str(decimal.Decimal("1.10") + 1)), hashlib.sha256(b"").hexdigest()[:8], sqlite3.connect(":memory:").execute("select 6*7").fetchone()[0])`
	res := sb.Run(t, "python3", "-c", py)
	fields := strings.Fields(res.Stdout)
	if res.ExitCode != 0 || len(fields) != 6 {
		t.Fatalf("python3 in the trimmed root: exit %d, stdout %q, stderr %q", res.ExitCode, res.Stdout, res.Stderr)
	}
	if n, _ := strconv.Atoi(fields[1]); n <= 100 {
		t.Errorf("%d CA certificates loaded, want more than 100", n)
	}
	want := []string{"Europe/Riga", fields[1], "en_US.UTF-8", `"2.10"`, "e3b0c442", "42"}
	if strings.Join(fields, " ") != strings.Join(want, " ") {
		t.Errorf("python3 printed %q, want %q", fields, want)
	}
}
