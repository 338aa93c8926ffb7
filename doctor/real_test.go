package doctor

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/dustin/go-humanize"
	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/testopen"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/demo"
	"github.com/whittle-dev/whittle/internal/reprotar"
	"github.com/whittle-dev/whittle/internal/testfix"
)

func errorKinds(fs []finding.Finding) []string {
	var out []finding.Finding
	for _, f := range fs {
		if f.Severity == finding.Error {
			out = append(out, f)
		}
	}
	return kinds(out)
}

// TestDemo: every problem the demo reproduces is found, and nothing else
// at error level.
func TestDemo(t *testing.T) {
	im, ix := testopen.Indexed(t, "demo:")
	c, err := demo.Describe(demo.DefaultName)
	if err != nil {
		t.Fatal(err)
	}
	cl := build(t, im, ix)
	fs, err := Breakage(context.Background(), im, ix, cl, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// No /tmp; SSL_CERT_FILE only under the misspelt "Environment", so
	// OpenSSL never finds the bundle /etc holds.
	var want []string
	for _, m := range c.Missing {
		if m == "/tmp" {
			want = append(want, "fs/no-tmp")
		}
	}
	for _, e := range c.MisspeltEnv {
		if strings.HasPrefix(e, "SSL_CERT_FILE=") {
			want = append(want, "tls/bundle-env-unset")
		}
	}
	sort.Strings(want)
	if got := errorKinds(fs); !reflect.DeepEqual(got, want) {
		t.Errorf("errors %q, want %q", got, want)
	}
	for _, k := range []string{"config/unknown-key", "tz/zoneinfo-loop"} {
		if len(byKind(fs, k)) == 0 {
			t.Errorf("no %s", k)
		}
	}
	// The zoneinfo's posix and right links to ".".
	loops := byKind(fs, "tz/zoneinfo-loop")
	if len(loops) != 2 || !strings.HasSuffix(loops[0].Path(), c.ZoneInfo+"/posix") || !strings.HasSuffix(loops[1].Path(), c.ZoneInfo+"/right") {
		t.Errorf("zoneinfo loops %+v under %s", loops, c.ZoneInfo)
	}
	b, err := Bloat(context.Background(), im, ix, cl, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkDisjoint(t, b)
	for _, k := range []string{"bloat/compilers", "bloat/package-manager", "bloat/man", "bloat/docs", "bloat/layer-waste", "bloat/symlink-cycle", "bloat/unreachable"} {
		if len(byKind(b, k)) == 0 {
			t.Errorf("no %s on the demo", k)
		}
	}
	var waste int64
	for _, f := range byKind(b, "bloat/layer-waste") {
		waste += f.Bytes
	}
	if waste != ix.Totals.WastedBytes {
		t.Errorf("layer waste %d, want the index's %d", waste, ix.Totals.WastedBytes)
	}
	t.Logf("demo: %s reclaimable", humanize.Bytes(uint64(Reclaimable(b))))
}

// TestDebianCategories: on the real Debian root, the bytes of each bloat
// category equal the sum of the matching files in `tar tv`.
func TestDebianCategories(t *testing.T) {
	tarball := testfix.DebianRootfsTar(t)
	im, ix := testopen.Indexed(t, "rootfs-tar:"+tarball)
	fs, err := Bloat(context.Background(), im, ix, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, f := range fs {
		got[f.Kind] += f.Bytes
	}
	prefixes := func(ps ...string) func(string) bool {
		return func(p string) bool {
			for _, pre := range ps {
				if strings.HasPrefix(p, pre) {
					return true
				}
			}
			return false
		}
	}
	oracle := []struct {
		kind  string
		match func(string) bool
	}{
		{"bloat/docs", prefixes("/usr/share/doc/", "/usr/share/info/", "/usr/share/lintian/", "/usr/share/bug/", "/usr/share/gtk-doc/")},
		{"bloat/man", prefixes("/usr/share/man/")},
		{"bloat/locale-translations", func(p string) bool {
			return strings.HasPrefix(p, "/usr/share/locale/") && p != "/usr/share/locale/locale.alias"
		}},
		{"bloat/i18n-sources", prefixes("/usr/share/i18n/")},
		{"bloat/headers", prefixes("/usr/include/")},
		{"bloat/pycache", func(p string) bool { return strings.Contains(p, "/__pycache__/") }},
		{"bloat/apt-cache", prefixes("/var/cache/apt/", "/var/lib/apt/lists/")},
	}
	want := map[string]int64{}
	for _, l := range testfix.ListTar(t, tarball) {
		if l.Type != '-' {
			continue
		}
		for _, o := range oracle {
			if o.match(l.Path) {
				want[o.kind] += l.Size
				break
			}
		}
	}
	for _, o := range oracle {
		if got[o.kind] != want[o.kind] {
			t.Errorf("%s: %d bytes, tar tv says %d", o.kind, got[o.kind], want[o.kind])
		}
	}
	var names []string
	for k := range got {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		t.Logf("%-28s %12d  %s", k, got[k], humanize.Bytes(uint64(got[k])))
	}
	t.Logf("apply all: %s of %s visible", humanize.Bytes(uint64(Reclaimable(fs))), humanize.Bytes(uint64(ix.Totals.VisibleBytes)))
	if Reclaimable(fs) > ix.Totals.VisibleBytes+ix.Totals.WastedBytes {
		t.Errorf("reclaimable %d exceeds the image", Reclaimable(fs))
	}
	checkDisjoint(t, fs)
}

// debianImage is the Debian root with a layer on top and a runtime config.
func debianImage(t *testing.T, root []byte, env []string, top []reprotar.File) ([]finding.Finding, *closure.Closure) {
	t.Helper()
	tars, ids := [][]byte{root}, []string{diffID(root)}
	if top != nil {
		tb, err := reprotar.Bytes(top)
		if err != nil {
			t.Fatal(err)
		}
		tars, ids = append(tars, tb), append(ids, diffID(tb))
	}
	cfg := map[string]any{"Entrypoint": []string{"/usr/bin/python3"}, "Env": append([]string{"PATH=/usr/bin:/bin"}, env...)}
	im, ix := rawImage(t, cfg, nil, tars, ids)
	cl := build(t, im, ix)
	fs, err := Breakage(context.Background(), im, ix, cl, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return fs, cl
}

// TestDebianBreakage: the Debian root running python3 has no error; after
// deleting the CA certificates, naming a missing locale or a missing zone,
// doctor reports exactly that problem.
func TestDebianBreakage(t *testing.T) {
	root, err := os.ReadFile(testfix.DebianRootfsTar(t))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := debianImage(t, root, nil, nil)
	if e := errorKinds(base); len(e) != 0 {
		t.Fatalf("errors on the Debian root: %q", e)
	}
	known := map[string]bool{}
	for _, f := range base {
		known[f.Kind+" "+f.Path()] = true
	}
	cases := []struct {
		name string
		env  []string
		top  []reprotar.File
		want []string
	}{
		{"no CA certificates", nil, []reprotar.File{file("/etc/ssl/.wh.certs", 0, 0)}, []string{"tls/no-bundle"}},
		{"missing locale", []string{"LANG=xx_XX.UTF-8"}, nil, []string{"locale/missing"}},
		{"missing zone", []string{"TZ=Mars/Olympus"}, nil, []string{"tz/missing-zone"}},
		{"charset without its gconv module", []string{"LC_CTYPE=ru_RU.KOI8-R"}, []reprotar.File{file("/usr/lib/x86_64-linux-gnu/gconv/.wh.KOI8-R.so", 0, 0)},
			[]string{"locale/missing-gconv"}},
		{"locales and zone the image has", []string{"LANG=de_DE.UTF-8", "LC_CTYPE=fr_FR", "LC_TIME=ru_RU.KOI8-R", "TZ=Europe/Riga"}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs, _ := debianImage(t, root, c.env, c.top)
			var added []finding.Finding
			for _, f := range fs {
				if !known[f.Kind+" "+f.Path()] {
					added = append(added, f)
				}
			}
			if got := kinds(added); !reflect.DeepEqual(got, c.want) {
				for _, f := range added {
					t.Logf("%s %s: %s", f.Severity, f.Kind, f.Message)
				}
				t.Errorf("new findings %q, want %q", got, c.want)
			}
		})
	}
}

// TestEtcOutputHealthy: a trimmed root with no /etc and no /tmp, plus the
// /etc that etcgen writes for it (as `whittle etc -o` does), has nothing
// wrong at error level.
func TestEtcOutputHealthy(t *testing.T) {
	trimmed := []reprotar.File{
		library(interp, "ld-linux-x86-64.so.2", nil),
		library("/lib/libc.so.6", "libc.so.6", nil),
		library("/lib/libcrypto.so.3", "libcrypto.so.3", []string{"libc.so.6"}, `OPENSSLDIR: "/usr/lib/ssl"`),
		program("/bin/app", []string{"libcrypto.so.3", "libc.so.6"}, "getservbyname", "getprotobyname", "SSL_CTX_set_default_verify_paths", "mkstemp"),
	}
	cfg := map[string]any{"Entrypoint": []string{"/bin/app"}, "User": "app", "Env": []string{"LANG=C.UTF-8", "TZ=UTC"}}
	im, ix := layered(t, cfg, trimmed)
	cl := build(t, im, ix)
	before, err := Breakage(context.Background(), im, ix, cl, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := errorKinds(before), []string{"fs/no-tmp", "tls/no-bundle", "user/unknown-user"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("before: errors %q, want %q", got, want)
	}
	uid := 1000
	cat, err := etcgen.LoadCatalog(analyze.NewFS(context.Background(), im, ix))
	if err != nil {
		t.Fatal(err)
	}
	out, err := cat.Plan(etcgen.Selection{Services: etcgen.ChooseAll, Protocols: etcgen.ChooseAll, Certificates: etcgen.ChooseAll,
		Timezones: etcgen.Names("UTC"), Users: []etcgen.User{{Name: "root"}, {Name: "app", UID: &uid}}})
	if err != nil {
		t.Fatal(err)
	}
	etcTar, err := out.Tar()
	if err != nil {
		t.Fatal(err)
	}
	tb, err := reprotar.Bytes(trimmed)
	if err != nil {
		t.Fatal(err)
	}
	cfg["Env"] = append(cfg["Env"].([]string), out.EnvList()...)
	im, ix = rawImage(t, cfg, nil, [][]byte{tb, etcTar}, []string{diffID(tb), diffID(etcTar)})
	after, err := Breakage(context.Background(), im, ix, build(t, im, ix), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e := errorKinds(after); len(e) != 0 {
		for _, f := range after {
			t.Logf("%s %s: %s", f.Severity, f.Kind, f.Message)
		}
		t.Errorf("errors after the etc output: %q", e)
	}
}

// TestNixZoneinfoLoop: the Nix fixture's zoneinfo store path, whose
// share/zoneinfo/posix is a link to ".", has its loop found.
func TestNixZoneinfoLoop(t *testing.T) {
	st := testfix.NixFixture(t)
	zi := st.Out["zoneinfo"]
	im, ix := testopen.Indexed(t, "nix:"+zi)
	cl := build(t, im, ix)
	fs, err := Breakage(context.Background(), im, ix, cl, Options{})
	if err != nil {
		t.Fatal(err)
	}
	loops := byKind(fs, "tz/zoneinfo-loop")
	if len(loops) != 1 || !reflect.DeepEqual(loops[0].Paths, []string{zi + "/share/zoneinfo/posix", zi + "/share/zoneinfo"}) {
		t.Errorf("loops %+v", loops)
	}
	b, err := Bloat(context.Background(), im, ix, cl, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cyc := byKind(b, "bloat/symlink-cycle")
	if len(cyc) != 1 || cyc[0].Path() != zi+"/share/zoneinfo/posix" {
		t.Errorf("cycles %+v", cyc)
	}
	// The two zone files ("TZif2 UTC\n", "TZif2 Europe/Riga\n"), repeated
	// at every level a following copy makes.
	if want := int64(len("TZif2 UTC\n") + len("TZif2 Europe/Riga\n")); !strings.Contains(cyc[0].Message, humanize.Bytes(uint64(want))+")") {
		t.Errorf("cycle message %q does not name %d bytes", cyc[0].Message, want)
	}
}

// followCopy copies src to dst as a copy that follows symlinks does,
// stopping after depth levels of directories (the kernel stops such a
// copy after 40 links in one path).
func followCopy(t *testing.T, src, dst string, depth int) {
	t.Helper()
	if depth == 0 {
		return
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		s, d := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		fi, err := os.Stat(s) // follows links
		if err != nil {
			t.Fatal(err)
		}
		if fi.IsDir() {
			followCopy(t, s, d, depth-1)
			continue
		}
		data, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(d, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestNixZoneinfoNestedCopy: the Nix fixture's zoneinfo copied by
// following links holds nested copies of itself (posix, posix/posix, …):
// one duplicated-tree finding whose bytes are every file under posix/.
func TestNixZoneinfoNestedCopy(t *testing.T) {
	st := testfix.NixFixture(t)
	root := t.TempDir()
	followCopy(t, filepath.Join(st.Out["zoneinfo"], "share/zoneinfo"), filepath.Join(root, "usr/share/zoneinfo"), 6)
	var want int64
	err := filepath.Walk(filepath.Join(root, "usr/share/zoneinfo/posix"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			want += fi.Size()
		}
		return err
	})
	if err != nil || want == 0 {
		t.Fatalf("copy: %v, %d bytes under posix", err, want)
	}
	im, ix := testopen.Indexed(t, "dir:"+root)
	fs, err := Bloat(context.Background(), im, ix, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := byKind(fs, "bloat/duplicate-tree")
	if len(d) != 1 || d[0].Path() != "/usr/share/zoneinfo/posix" || d[0].Bytes != want {
		t.Errorf("duplicate trees %+v, want one of %d bytes for /usr/share/zoneinfo/posix", d, want)
	}
}
