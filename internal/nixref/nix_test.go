package nixref_test

import (
	"context"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/internal/nixref"
	"github.com/whittle-dev/whittle/internal/testfix"
)

func nixLines(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := testfix.RunNix("nix-store", args...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(out))
	sort.Strings(lines)
	return lines
}

// TestScanMatchesNix scans the real store built by nix-build, with no Nix
// involved, and requires exactly what Nix recorded at build time: each
// path's references (nix-store -q --references), the closure (nix-store
// -qR) and, through Info, the NAR sizes of nix path-info.
func TestScanMatchesNix(t *testing.T) {
	st := testfix.NixFixture(t)
	top := st.Out["top"]
	scanned, err := nixref.ScanClosure(os.DirFS("/"), st.StoreDir, []string{top})
	if err != nil {
		t.Fatal(err)
	}

	// What the fixture was written to hold, by attribute name.
	name := map[string]string{}
	for k, v := range st.Out {
		name[v] = k
	}
	wantRefs := map[string][]string{
		"leaf":      nil,
		"content":   {"content", "leaf"},
		"symlinks":  {"content", "leaf"},
		"split":     {"symlinks"},
		"zoneinfo":  nil,
		"named":     {"zoneinfo"},
		"multi":     {"leaf"},
		"multi-dev": {"multi"},
		"top":       {"multi-dev", "named", "split"},
	}
	if len(scanned) != len(wantRefs) {
		t.Errorf("closure of top has %d paths, want %d", len(scanned), len(wantRefs))
	}
	var paths []string
	for _, info := range scanned {
		paths = append(paths, info.Path)
		var got []string
		for _, r := range info.References {
			got = append(got, name[r])
		}
		sort.Strings(got)
		if want := wantRefs[name[info.Path]]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s references %v, want %v", name[info.Path], got, want)
		}
		if nix := nixLines(t, "--query", "--references", info.Path); !reflect.DeepEqual(info.References, nix) && !(len(nix) == 0 && len(info.References) == 0) {
			t.Errorf("%s: scanned references %v, nix-store says %v", info.Path, info.References, nix)
		}
	}
	if nix := nixLines(t, "--query", "--requisites", top); !reflect.DeepEqual(paths, nix) {
		t.Errorf("scanned closure %v, nix-store -qR says %v", paths, nix)
	}

	t.Setenv("NIX_CONFIG", testfix.NixConfig)
	infos, err := nixref.Info(context.Background(), top)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(infos, scanned) {
		t.Errorf("nix path-info says\n%+v\nscanning says\n%+v", infos, scanned)
	}
}

// TestSplitReferenceIn64KiBReads reads the fixture's split file with 64
// KiB reads, the hash part arriving in two pieces, and requires it found.
func TestSplitReferenceIn64KiBReads(t *testing.T) {
	st := testfix.NixFixture(t)
	sp, err := nixref.ParseStorePath(st.StoreDir, st.Out["symlinks"])
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(st.SplitFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	set, err := nixref.NewSet([]string{sp.Hash})
	if err != nil {
		t.Fatal(err)
	}
	sc := set.NewScanner()
	buf := make([]byte, 64<<10)
	var pieces []string
	for {
		n, err := io.ReadFull(f, buf)
		sc.Write(buf[:n])
		if n == len(buf) {
			pieces = append(pieces, string(buf[n-16:]))
		} else {
			pieces = append(pieces, string(buf[:min(n, 16)]))
		}
		if err != nil {
			break
		}
	}
	if len(pieces) != 2 || pieces[0]+pieces[1] != sp.Hash {
		t.Fatalf("the hash part is not split across the first two 64 KiB reads: %q", pieces)
	}
	if got := sc.Found(); !reflect.DeepEqual(got, []string{sp.Hash}) {
		t.Errorf("found %v, want [%s]", got, sp.Hash)
	}
}
