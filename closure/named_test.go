package closure

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/reprotar"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// reachableFiles lists the image paths of the reachable nodes' files
// under the given prefixes, sorted.
func reachableFiles(cl *Closure, prefixes ...string) []string {
	var out []string
	for i := 0; i < cl.Graph.Len(); i++ {
		id := graph.NodeID(i)
		if !cl.Analysis.Reachable(id) {
			continue
		}
		for _, f := range cl.Graph.Get(id).Files {
			for _, p := range prefixes {
				if strings.HasPrefix(f, p) {
					out = append(out, f)
					break
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// namedTextImage is an entry script naming a configuration file that
// names what an application reads: a data directory (kept whole), a glob
// include (its matches, a symlink among them, a dot file not), a PATH-like
// list, the time zone directory a package owns (kept whole), a directory
// two packages share (nothing) and a file in it, a missing file below a
// standard directory (nothing), a commented-out include (nothing), an
// empty directory by the name of a file below it (the directory).
func namedTextImage() []reprotar.File {
	return []reprotar.File{
		reg("/bin/sh", "a shell", 0o755),
		reg("/entry.sh", "#!/bin/sh\n# the configuration:\nexport CONF=/etc/app/app.conf\n", 0o755),
		reg("/etc/app/app.conf", "# include /etc/app/commented.conf;\n"+
			"data_dir = /srv/app/data\n"+
			"include /etc/app/conf.d/*.conf;\n"+
			"path=/opt/a/bin:/opt/b/bin\n"+
			"zones \"/usr/share/zoneinfo/\"\n"+
			"icons /usr/share/common icon /usr/share/common/a.txt\n"+
			"log /var/log/missing.log\n"+
			"temp /srv/app/tmp/body\n", 0o644),
		{Path: "/srv/app/tmp", Kind: reprotar.Dir, Mode: 0o700},
		reg("/etc/app/commented.conf", "x", 0o644),
		reg("/etc/app/conf.d/a.conf", "extra /etc/app/extra.conf\n", 0o644),
		link("/etc/app/conf.d/b.conf", "../available/b.conf"),
		reg("/etc/app/available/b.conf", "b", 0o644),
		reg("/etc/app/conf.d/.hidden.conf", "h", 0o644),
		reg("/etc/app/conf.d/readme.txt", "r", 0o644),
		reg("/etc/app/extra.conf", "e", 0o644),
		reg("/srv/app/data/x.db", "x", 0o644),
		reg("/srv/app/data/sub/y.db", "y", 0o644),
		reg("/opt/a/bin/tool1", "1", 0o644),
		reg("/opt/b/bin/tool2", "2", 0o644),
		reg("/opt/c/bin/tool3", "3", 0o644),
		reg("/usr/share/zoneinfo/UTC", "TZif", 0o644),
		reg("/usr/share/zoneinfo/Europe/Riga", "TZif", 0o644),
		reg("/usr/share/common/a.txt", "a", 0o644),
		reg("/usr/share/common/b.txt", "b", 0o644),
		reg("/var/log/old.log", "old", 0o644),
		reg("/var/lib/dpkg/status", "Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n\n"+
			"Package: pa\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n\n"+
			"Package: pb\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n\n", 0o644),
		reg("/var/lib/dpkg/info/tzdata.list", "/.\n/usr\n/usr/share\n/usr/share/zoneinfo\n/usr/share/zoneinfo/UTC\n/usr/share/zoneinfo/Europe\n/usr/share/zoneinfo/Europe/Riga\n", 0o644),
		reg("/var/lib/dpkg/info/pa.list", "/.\n/usr\n/usr/share\n/usr/share/common\n/usr/share/common/a.txt\n", 0o644),
		reg("/var/lib/dpkg/info/pb.list", "/.\n/usr\n/usr/share\n/usr/share/common\n/usr/share/common/b.txt\n", 0o644),
	}
}

// TestNamedText: what a script and the configuration it names name is
// reachable, exactly; with the zones provided by a generated /etc, the
// image's zones are not.
func TestNamedText(t *testing.T) {
	common := []string{
		"/bin/sh", "/entry.sh", "/etc/app/app.conf", "/etc/app/available/b.conf", "/etc/app/conf.d/a.conf", "/etc/app/conf.d/b.conf",
		"/etc/app/extra.conf", "/opt/a/bin/tool1", "/opt/b/bin/tool2", "/srv/app/data/sub/y.db", "/srv/app/data/x.db",
		"/usr/share/common/a.txt",
	}
	tests := []struct {
		name string
		etc  []string
		want []string
	}{
		{"image zones", nil, append(append([]string(nil), common...), "/usr/share/zoneinfo/Europe/Riga", "/usr/share/zoneinfo/UTC")},
		{"etc zones", []string{"/usr/share/zoneinfo"}, common},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := buildMem(t, map[string]any{"Entrypoint": []string{"/entry.sh"}}, Options{EtcProvides: tt.etc}, namedTextImage()...)
			got := reachableFiles(cl, "/bin", "/entry.sh", "/etc", "/opt", "/srv", "/usr", "/var")
			sort.Strings(tt.want)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("reachable\n got %q\nwant %q", got, tt.want)
			}
			// Named directories stay, empty or not; others do not.
			for p, want := range map[string]bool{"/srv/app/tmp": true, "/srv/app/data": true, "/srv/app/data/sub": false, "/opt/c": false, "/usr/share/common": false} {
				if got := cl.NeedsDir(p); got != want {
					t.Errorf("NeedsDir(%s) = %v", p, got)
				}
			}
		})
	}
}

// TestNamedWhy: --why says where each name is.
func TestNamedWhy(t *testing.T) {
	cl := buildMem(t, map[string]any{"Entrypoint": []string{"/entry.sh"}}, Options{}, namedTextImage()...)
	var why bytes.Buffer
	id, ok := cl.Graph.Lookup(graph.File, "/etc/app/extra.conf")
	if !ok {
		t.Fatal("no node /etc/app/extra.conf")
	}
	if err := cl.WriteWhy(&why, []graph.NodeID{id}, 1, 64); err != nil {
		t.Fatal(err)
	}
	want := "why /etc/app/extra.conf (file): closure 1 B, added 1 B; closure of files\n" +
		"  /entry.sh -[named]-> /etc/app/app.conf -[named]-> /etc/app/conf.d/a.conf -[named]-> /etc/app/extra.conf\n" +
		"      named in /entry.sh line 3\n" +
		"      named in /etc/app/app.conf line 3 (/etc/app/conf.d/*.conf)\n" +
		"      named in /etc/app/conf.d/a.conf line 1\n"
	if why.String() != want {
		t.Errorf("--why:\n%s\nwant\n%s", why.String(), want)
	}
	rep := cl.NewReport("demo:", []graph.NodeID{id}, 1, 64)
	if hop := rep.Why.Chains[0][0]; !reflect.DeepEqual(hop.Kinds, []string{"named"}) || !reflect.DeepEqual(hop.Explain, []string{"named in /entry.sh line 3"}) {
		t.Errorf("JSON hop %+v", hop)
	}
}

// gccELF compiles a C source into an ELF file with the given flags
// (-nostdlib: nothing but the source's own strings) and returns its
// bytes.
func gccELF(t *testing.T, src string, flags ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	c, out := filepath.Join(dir, "x.c"), filepath.Join(dir, "x")
	if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{"-nostdlib", "-O0", "-o", out}, flags...), c)
	if b, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc %v: %v\n%s", args, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNamedELF: an ELF program's C strings and a Go-style packed run name
// a configuration file, the CA bundle (the first of a packed list that
// exists), a file whose name the next string runs on from, and the zones
// of a package (kept whole); what glibc's strings
// name, in libc.so.6 or in a program that holds glibc statically, is not
// followed.
func TestNamedELF(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles ELF files with gcc (-short)")
	}
	testfix.NeedTool(t, "gcc")
	app := gccELF(t, `const char conf[] = "/etc/app/app.conf";
const char packed[] = "x509: invalid/etc/ssl/certs/ca-certificates.crt/etc/pki/tls/certs/ca-bundle.crt/usr/share/zoneinfo/unexpected EOF";
const char runon[] = "high bit set illegally/etc/app/runon.confx509: unknown";
void _start(void) { for (;;); }
`, "-static")
	libc := gccELF(t, `const char z[] = "/usr/share/zoneinfo/";
const char d[] = "/srv/app/data";
`, "-shared", "-fPIC", "-Wl,-soname,libc.so.6")
	static := gccELF(t, `const char tun[] = "GLIBC_TUNABLES";
const char tool[] = "/opt/c/bin/tool3";
void _start(void) { for (;;); }
`, "-static")
	files := []reprotar.File{
		{Path: "/usr/bin/app", Kind: reprotar.Regular, Mode: 0o755, Data: app},
		{Path: "/usr/lib/x86_64-linux-gnu/libc.so.6", Kind: reprotar.Regular, Mode: 0o755, Data: libc},
		{Path: "/usr/sbin/ldconfig", Kind: reprotar.Regular, Mode: 0o755, Data: static},
		reg("/etc/app/app.conf", "x", 0o644),
		reg("/etc/app/runon.conf", "r", 0o644),
		reg("/etc/app/run", "not named: runon.conf is longer", 0o644),
		reg("/etc/ssl/certs/ca-certificates.crt", "certs", 0o644),
		reg("/usr/share/zoneinfo/UTC", "TZif", 0o644),
		reg("/usr/share/zoneinfo/Europe/Riga", "TZif", 0o644),
		reg("/srv/app/data/x.db", "x", 0o644),
		reg("/opt/c/bin/tool3", "3", 0o644),
		reg("/var/lib/dpkg/status", "Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n\n", 0o644),
		reg("/var/lib/dpkg/info/tzdata.list", "/.\n/usr\n/usr/share\n/usr/share/zoneinfo\n/usr/share/zoneinfo/UTC\n/usr/share/zoneinfo/Europe\n/usr/share/zoneinfo/Europe/Riga\n", 0o644),
	}
	cl := buildMem(t, nil, Options{Roots: []string{"/usr/bin/app", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/sbin/ldconfig"}}, files...)
	got := reachableFiles(cl, "/etc", "/opt", "/srv", "/usr")
	want := []string{"/etc/app/app.conf", "/etc/app/runon.conf", "/etc/ssl/certs/ca-certificates.crt", "/usr/bin/app", "/usr/lib/x86_64-linux-gnu/libc.so.6",
		"/usr/sbin/ldconfig", "/usr/share/zoneinfo/Europe/Riga", "/usr/share/zoneinfo/UTC"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reachable\n got %q\nwant %q", got, want)
	}
	from, _ := cl.Graph.Lookup(graph.File, "/usr/bin/app")
	to, _ := cl.Graph.Lookup(graph.File, "/etc/ssl/certs/ca-certificates.crt")
	if got := cl.Explain(from, to); !reflect.DeepEqual(got, []string{"named in the strings of /usr/bin/app"}) {
		t.Errorf("explain %q", got)
	}
}

// TestNamedNginxModule: nginx's relative load_module, below the prefix
// that has it, through the prefix's modules symlink; the module next to it
// is not kept, nor the other prefixes' directories.
func TestNamedNginxModule(t *testing.T) {
	cl := buildMem(t, nil, Options{Roots: []string{"/etc/nginx/nginx.conf"}},
		reg("/etc/nginx/nginx.conf", "include /etc/nginx/modules-enabled/*.conf;\n", 0o644),
		reg("/etc/nginx/modules-enabled/50-echo.conf", "load_module modules/ngx_echo.so;\n", 0o644),
		reg("/etc/nginx/other.conf", "o", 0o644),
		link("/usr/share/nginx/modules", "../../lib/nginx/modules"),
		reg("/usr/share/nginx/html/index.html", "i", 0o644),
		reg("/usr/lib/nginx/modules/ngx_echo.so", "e", 0o644),
		reg("/usr/lib/nginx/modules/ngx_other.so", "o", 0o644),
	)
	got := reachableFiles(cl, "/")
	want := []string{"/etc/nginx/modules-enabled/50-echo.conf", "/etc/nginx/nginx.conf", "/usr/lib/nginx/modules/ngx_echo.so", "/usr/share/nginx/modules"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reachable\n got %q\nwant %q", got, want)
	}
}
