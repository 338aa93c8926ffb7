package elfdeps_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/closure/elfdeps"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// TestMatchesLdSo resolves every dynamically linked file of a real Debian
// root filesystem and requires exactly what glibc's own ld.so reports
// for it (ld.so --list, run inside the root filesystem with bubblewrap):
// the same libraries, found at the same paths, in the same order. ld.so
// uses the image's real ld.so.cache; the resolver only ld.so.conf.
func TestMatchesLdSo(t *testing.T) {
	root := testfix.DebianRootfsDir(t)
	testfix.NeedTool(t, "bwrap")
	fsys := os.DirFS(root)
	var files []string
	for _, dir := range []string{"usr/bin", "usr/sbin", "usr/lib/x86_64-linux-gnu"} {
		err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			f, err := os.Open(filepath.Join(root, p))
			if err != nil {
				return err
			}
			defer f.Close()
			if info, err := elfdeps.Parse(f); err == nil && info.Dynamic {
				files = append(files, "/"+p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 100 {
		t.Fatalf("only %d dynamically linked files in the fixture", len(files))
	}
	t.Logf("comparing %d dynamically linked files with ld.so", len(files))
	ldso := ldsoList(t, root, files)
	conf, err := elfdeps.LoadConfig(fsys)
	if err != nil {
		t.Fatal(err)
	}
	r := elfdeps.NewResolver(fsys, conf)
	for _, f := range files {
		res, err := r.Resolve(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		got := describe(res)
		if isLib(f) {
			got = withoutInterp(got)
		}
		if want := ldso[f]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\nresolver: %q\nld.so:    %q", f, got, want)
		}
	}
}

// describe lists "NAME => PATH" (or "NAME => not found") for each object
// in load order, and "interp PATH" where a library first needs the
// interpreter (or last, if none does), as ld.so --list orders them. A
// library given on its own has no interpreter: ld.so answers its ld-linux
// need with itself, and that line is left out of both sides.
func describe(res *elfdeps.Result) []string {
	var out []string
	first := map[int]bool{}
	missing := map[string]bool{}
	interp, interpAt := "", -1
	lib := res.Objects[0].Info.Interp == ""
	for _, d := range res.Deps {
		switch {
		case d.Kind == elfdeps.Interpreter:
			if d.To >= 0 {
				interp, interpAt = "interp "+res.Objects[d.To].Path, d.To
				first[d.To] = true
			}
		case d.To < 0:
			if !missing[d.Name] {
				missing[d.Name] = true
				out = append(out, d.Name+" => not found")
			}
		case d.To == interpAt && interp != "":
			out = append(out, interp)
			interp = ""
		case !first[d.To]:
			first[d.To] = true
			if lib && strings.HasPrefix(d.Name, "ld-linux") {
				continue
			}
			out = append(out, d.Name+" => "+res.Objects[d.To].Path)
		}
	}
	if interp != "" {
		out = append(out, interp)
	}
	return out
}

var (
	arrow = regexp.MustCompile(`^\s+(\S+) => (\S+)(?: \(0x[0-9a-f]+\))?$`)
	bare  = regexp.MustCompile(`^\s+(\S+) \(0x[0-9a-f]+\)$`)
)

// ldsoList runs ld.so --list on every file inside root and returns, per
// file, the lines describe would produce.
func ldsoList(t *testing.T, root string, files []string) map[string][]string {
	t.Helper()
	script := `for f; do echo "== $f"; /lib64/ld-linux-x86-64.so.2 --list "$f" 2>&1; done`
	args := append([]string{"--ro-bind", root, "/", "--dev", "/dev", "--proc", "/proc", "/bin/sh", "-c", script, "sh"}, files...)
	cmd := exec.Command("bwrap", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bwrap: %v\n%s", err, stderr.Bytes())
	}
	result := map[string][]string{}
	var cur string
	for _, line := range strings.Split(string(out), "\n") {
		if f, ok := strings.CutPrefix(line, "== "); ok {
			cur = f
			result[cur] = nil
			continue
		}
		if m := arrow.FindStringSubmatch(line); m != nil {
			result[cur] = append(result[cur], m[1]+" => "+m[2])
			if m[2] == "not" {
				result[cur][len(result[cur])-1] = m[1] + " => not found"
			}
			continue
		}
		if m := bare.FindStringSubmatch(line); m != nil {
			if strings.HasPrefix(m[1], "linux-vdso") || !strings.HasPrefix(m[1], "/") {
				continue
			}
			// The interpreter of an executable; for a library given on
			// its own, ld.so itself.
			result[cur] = append(result[cur], "interp "+m[1])
			continue
		}
		if strings.TrimSpace(line) != "" && !strings.Contains(line, "statically linked") {
			t.Fatalf("unexpected ld.so output for %s: %q", cur, line)
		}
	}
	for f, lines := range result {
		if isLib(f) {
			result[f] = withoutInterp(lines)
		}
	}
	return result
}

// withoutInterp drops the "interp" line: for a library given on its own,
// ld.so prints itself there, and some libraries (libc.so.6) have a
// PT_INTERP ld.so ignores when loading them.
func withoutInterp(lines []string) []string {
	var kept []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "interp ") {
			kept = append(kept, l)
		}
	}
	return kept
}

// isLib tells the fixture's shared libraries from its executables.
func isLib(p string) bool { return strings.HasPrefix(p, "/usr/lib/") }
