package pkgdb_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/closure/pkgdb"
	"github.com/whittle-dev/whittle/internal/testfix"
)

func dpkgQuery(t *testing.T, root string, args ...string) string {
	t.Helper()
	out, err := exec.Command("dpkg-query", append([]string{"--admindir=" + filepath.Join(root, "var/lib/dpkg")}, args...)...).Output()
	if err != nil {
		t.Fatalf("dpkg-query %v: %v", args, err)
	}
	return string(out)
}

// TestDebianFixture loads the dpkg database of a real bookworm root
// filesystem and requires what dpkg-query says of it: the installed
// packages with their versions and every package's file list; then
// checks owners through the /usr merge and dash's /bin/sh diversion, and
// that the installed system's dependencies are all satisfied.
func TestDebianFixture(t *testing.T) {
	root := testfix.DebianRootfsDir(t)
	testfix.NeedTool(t, "dpkg-query", "dpkg")
	db, err := pkgdb.LoadDpkg(os.DirFS(root))
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, line := range strings.Split(strings.TrimSpace(dpkgQuery(t, root, "-W", "-f", "${db:Status-Abbrev}\t${binary:Package}\t${Version}\n")), "\n") {
		f := strings.Split(line, "\t")
		if strings.HasPrefix(f[0], "ii") || strings.HasPrefix(f[0], "hi") {
			want = append(want, f[1]+" "+f[2])
		}
	}
	for _, p := range db.Packages {
		got = append(got, p.ID()+" "+p.Version)
	}
	sort.Strings(want)
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("installed packages:\n%q\ndpkg-query:\n%q", got, want)
	}
	for _, p := range db.Packages {
		var files []string
		for _, l := range strings.Split(dpkgQuery(t, root, "-L", p.ID()), "\n") {
			if strings.HasPrefix(l, "/") {
				if l == "/." {
					l = "/"
				}
				files = append(files, l)
			}
		}
		if !reflect.DeepEqual(p.Files, files) {
			t.Errorf("%s: files differ from dpkg-query -L: %d vs %d", p.ID(), len(p.Files), len(files))
		}
	}

	owners := []struct{ path, want string }{
		{"/usr/bin/bash", "bash"},
		{"/bin/bash", "bash"},
		{"/bin/sh", "dash"},
		{"/usr/bin/sh", "dash"},
		{"/usr/lib/x86_64-linux-gnu/libc.so.6", "libc6:amd64"},
		{"/lib/x86_64-linux-gnu/libc.so.6", "libc6:amd64"},
		{"/lib64/ld-linux-x86-64.so.2", "libc6:amd64"},
		{"/usr/bin/python3.11", "python3.11-minimal"},
		{"/etc/ssl/certs/ca-certificates.crt", ""},
	}
	for _, o := range owners {
		var ids []string
		for _, p := range db.Owners(o.path) {
			ids = append(ids, p.ID())
		}
		if got := strings.Join(ids, ","); got != o.want {
			t.Errorf("Owners(%s) = %q, want %q", o.path, got, o.want)
		}
	}

	closure, missing := db.Closure(db.Packages)
	if len(closure) != len(db.Packages) || len(missing) != 0 {
		t.Errorf("closure of everything: %d of %d packages, missing %v", len(closure), len(db.Packages), missing)
	}
	py := db.Lookup("python3-minimal")
	if len(py) != 1 {
		t.Fatalf("python3-minimal: %v", py)
	}
	closure, missing = db.Closure(py)
	names := map[string]bool{}
	for _, p := range closure {
		names[p.Name] = true
	}
	for _, n := range []string{"python3-minimal", "python3.11-minimal", "libpython3.11-minimal", "libc6", "zlib1g", "libexpat1", "dpkg"} {
		if !names[n] {
			t.Errorf("closure of python3-minimal lacks %s", n)
		}
	}
	if len(missing) != 0 || names["apt"] {
		t.Errorf("closure of python3-minimal: missing %v, has apt %v", missing, names["apt"])
	}
}

// TestCompareDebianWithDpkg compares versions of the fixture's packages
// pairwise with dpkg --compare-versions.
func TestCompareDebianWithDpkg(t *testing.T) {
	root := testfix.DebianRootfsDir(t)
	testfix.NeedTool(t, "dpkg")
	db, err := pkgdb.LoadDpkg(os.DirFS(root))
	if err != nil {
		t.Fatal(err)
	}
	versions := []string{"1.0~rc1", "1.0", "1:0.9", "1.0-1~bpo1", "1.0+dfsg-2"}
	for _, p := range db.Packages {
		versions = append(versions, p.Version)
	}
	r := rand.New(rand.NewPCG(5, 5))
	var script strings.Builder
	type pair struct{ a, b string }
	var pairs []pair
	for range 300 {
		a, b := versions[r.IntN(len(versions))], versions[r.IntN(len(versions))]
		pairs = append(pairs, pair{a, b})
		fmt.Fprintf(&script, "if dpkg --compare-versions '%s' lt '%s'; then echo -1; elif dpkg --compare-versions '%s' eq '%s'; then echo 0; else echo 1; fi\n", a, b, a, b)
	}
	out, err := exec.Command("sh", "-c", script.String()).Output()
	if err != nil {
		t.Fatal(err)
	}
	answers := strings.Fields(string(out))
	if len(answers) != len(pairs) {
		t.Fatalf("%d answers for %d pairs", len(answers), len(pairs))
	}
	for i, pr := range pairs {
		c := pkgdb.CompareDebian(pr.a, pr.b)
		got := "0"
		if c < 0 {
			got = "-1"
		} else if c > 0 {
			got = "1"
		}
		if got != answers[i] {
			t.Errorf("CompareDebian(%q, %q) = %s, dpkg says %s", pr.a, pr.b, got, answers[i])
		}
	}
}
