package nixref

import (
	"bytes"
	"encoding/binary"
	"io/fs"
	"path"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// writeNAR is a plain NAR serialiser (nix-store --dump), used to check
// NarSize and ScanTree against the format itself.
func writeNAR(t *testing.T, fsys fs.FS, name string) []byte {
	var buf bytes.Buffer
	str := func(s string) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		buf.Write(n[:])
		buf.WriteString(s)
		buf.Write(make([]byte, (8-len(s)%8)%8))
	}
	var node func(name string)
	node = func(name string) {
		info, err := fs.Lstat(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		str("(")
		str("type")
		switch {
		case info.Mode().IsRegular():
			str("regular")
			if info.Mode()&0o100 != 0 {
				str("executable")
				str("")
			}
			data, err := fs.ReadFile(fsys, name)
			if err != nil {
				t.Fatal(err)
			}
			str("contents")
			str(string(data))
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := fs.ReadLink(fsys, name)
			if err != nil {
				t.Fatal(err)
			}
			str("symlink")
			str("target")
			str(target)
		default:
			str("directory")
			entries, err := fs.ReadDir(fsys, name)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				str("entry")
				str("(")
				str("name")
				str(e.Name())
				str("node")
				node(path.Join(name, e.Name()))
				str(")")
			}
		}
		str(")")
	}
	str("nix-archive-1")
	node(name)
	return buf.Bytes()
}

const store = "/nix/store"

func storeFS() fstest.MapFS {
	return fstest.MapFS{
		"nix/store/" + h1 + "-app/bin/app":                   {Data: []byte("#!" + store + "/" + h2 + "-sh/bin/sh\necho hi\n"), Mode: 0o555},
		"nix/store/" + h1 + "-app/lib":                       {Mode: fs.ModeSymlink | 0o777, Data: []byte(store + "/" + h3 + "-lib/lib")},
		"nix/store/" + h1 + "-app/share/doc/README":          {Data: []byte("1234567")},
		"nix/store/" + h1 + "-app/share/empty":               {Data: nil},
		"nix/store/" + h2 + "-sh/bin/sh":                     {Data: []byte("ELF" + strings.Repeat("\x00", 100) + store + "/" + h2 + "-sh"), Mode: 0o755},
		"nix/store/" + h3 + "-lib/lib/libz.so":               {Data: []byte("eight...")},
		"nix/store/" + h3 + "-lib/share/" + h1 + "-named":    {Data: []byte("x")},
		"nix/store/" + h3 + "-lib.lock":                      {Data: nil},
		"nix/store/.links/abc":                               {Data: nil},
		"nix/store/" + h3 + "-lib/zoneinfo/posix":            {Mode: fs.ModeSymlink | 0o777, Data: []byte(".")},
		"nix/store/" + strings.Repeat("1", 32) + "-file.txt": {Data: []byte("a store path that is a file")},
	}
}

func TestNarSizeMatchesSerialisation(t *testing.T) {
	fsys := storeFS()
	for _, p := range []string{h1 + "-app", h2 + "-sh", h3 + "-lib", strings.Repeat("1", 32) + "-file.txt"} {
		name := "nix/store/" + p
		want := int64(len(writeNAR(t, fsys, name)))
		got, err := NarSize(fsys, name)
		if err != nil || got != want {
			t.Errorf("NarSize(%s) = %d, %v; want %d", p, got, err, want)
		}
	}
	// A hand-computed case: a lone regular file "1234567".
	one := fstest.MapFS{"f": {Data: []byte("1234567")}}
	// header 24, then "(", "type", "regular", "contents", the data and ")" at 16 each;
	// nix path-info reports 120 for a store path that is a 3-byte file.
	if got, err := NarSize(one, "f"); err != nil || got != 120 {
		t.Errorf("NarSize(file of 7 bytes) = %d, %v; want 136", got, err)
	}
}

func TestScanTreeMatchesNARScan(t *testing.T) {
	fsys := storeFS()
	set := mustSet(t, h1, h2, h3)
	tests := []struct {
		path string
		want []string
	}{
		{h1 + "-app", []string{h3, h2}},
		{h2 + "-sh", []string{h2}},
		{h3 + "-lib", []string{h1}}, // through a file name only
	}
	for _, tt := range tests {
		name := "nix/store/" + tt.path
		sc := set.NewScanner()
		size, err := ScanTree(fsys, name, sc)
		if err != nil {
			t.Fatal(err)
		}
		nar := writeNAR(t, fsys, name)
		if got := sc.Found(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ScanTree(%s) found %v, want %v", tt.path, got, tt.want)
		}
		if got := set.Find(nar); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("scanning the NAR of %s found %v, want %v", tt.path, got, tt.want)
		}
		if size != int64(len(nar)) {
			t.Errorf("ScanTree(%s) size %d, NAR is %d", tt.path, size, len(nar))
		}
	}
}

func TestStoreContents(t *testing.T) {
	got, err := StoreContents(storeFS(), "/nix/store")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sp := range got {
		names = append(names, sp.Base())
	}
	want := map[string]bool{h1 + "-app": true, h2 + "-sh": true, h3 + "-lib": true, strings.Repeat("1", 32) + "-file.txt": true}
	if len(names) != len(want) {
		t.Errorf("StoreContents = %v", names)
	}
	for _, n := range names {
		if !want[n] {
			t.Errorf("StoreContents has %s", n)
		}
	}
}

func TestScanClosure(t *testing.T) {
	fsys := storeFS()
	got, err := ScanClosure(fsys, store, []string{store + "/" + h1 + "-app"})
	if err != nil {
		t.Fatal(err)
	}
	size := func(p string) int64 { return int64(len(writeNAR(t, fsys, "nix/store/"+p))) }
	want := []PathInfo{
		{Path: store + "/" + h1 + "-app", NarSize: size(h1 + "-app"), References: []string{store + "/" + h3 + "-lib", store + "/" + h2 + "-sh"}},
		{Path: store + "/" + h3 + "-lib", NarSize: size(h3 + "-lib"), References: []string{store + "/" + h1 + "-app"}},
		{Path: store + "/" + h2 + "-sh", NarSize: size(h2 + "-sh"), References: []string{store + "/" + h2 + "-sh"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ScanClosure =\n%+v\nwant\n%+v", got, want)
	}
	if _, err := ScanClosure(fsys, store, []string{store + "/" + strings.Repeat("2", 32) + "-gone"}); err == nil {
		t.Error("ScanClosure of a path not in the store succeeded")
	}
}

func TestParsePathInfoJSON(t *testing.T) {
	a, b := store+"/"+h1+"-a", store+"/"+h2+"-b"
	want := []PathInfo{
		{Path: a, NarSize: 120, References: []string{a, b}},
		{Path: b, NarSize: 4096},
	}
	tests := []struct {
		name string
		in   string
	}{
		{"nix 2.8 array", `[{"path":"` + b + `","narHash":"sha256-x","narSize":4096,"references":[],"registrationTime":1,"ultimate":true},
			{"path":"` + a + `","narSize":120,"references":["` + b + `","` + a + `"],"deriver":"/nix/store/x.drv"}]`},
		{"newer object", `{"` + a + `":{"narSize":120,"references":["` + h2 + `-b","` + h1 + `-a"]},"` + b + `":{"narSize":4096,"references":[]}}`},
	}
	for _, tt := range tests {
		got, err := ParsePathInfoJSON([]byte(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, want)
		}
	}
	for _, bad := range []string{``, `3`, `[{"path":"` + a + `"}]`, `{"` + a + `":null}`, `[{"narSize":1}]`, `[`} {
		if _, err := ParsePathInfoJSON([]byte(bad)); err == nil {
			t.Errorf("ParsePathInfoJSON(%q) succeeded", bad)
		}
	}
}

func TestScanClosureThroughSymlinkedStore(t *testing.T) {
	// The store's files live under /opt/nix; /nix is a link to it.
	fsys := storeFS()
	for name, f := range storeFS() {
		fsys["opt/"+name] = f
	}
	for name := range storeFS() {
		delete(fsys, name)
	}
	fsys["nix"] = &fstest.MapFile{Mode: fs.ModeSymlink | 0o777, Data: []byte("/opt/nix")}
	got, err := ScanClosure(fsys, store, []string{store + "/" + h2 + "-sh"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Path != store+"/"+h2+"-sh" || !reflect.DeepEqual(got[0].References, []string{store + "/" + h2 + "-sh"}) {
		t.Errorf("ScanClosure = %+v", got)
	}
}
