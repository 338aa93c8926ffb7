package localearchive

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/internal/testfix"
)

// TestDebianArchive reads the archive locale-gen wrote into the Debian
// fixture, checks the hash glibc stored for every name against HashName,
// and writes it back through Build for glibc's localedef to list.
func TestDebianArchive(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Debian root (-short)")
	}
	testfix.NeedTool(t, "localedef")
	root := testfix.DebianRootfsDir(t)
	raw, err := os.ReadFile(filepath.Join(root, "usr/lib/locale/locale-archive"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"de_DE.utf8", "en_US.utf8", "fr_FR", "fr_FR.iso88591", "french", "lv_LV.utf8", "ru_RU.koi8r", "russian"}
	if got := a.Names(); !reflect.DeepEqual(got, want) {
		t.Errorf("Names = %q, want %q", got, want)
	}
	// Every used slot of glibc's name table holds HashName of its name.
	le := binary.LittleEndian
	off, size := le.Uint32(raw[8:]), le.Uint32(raw[16:])
	checked := 0
	for i := uint32(0); i < size; i++ {
		e := raw[off+i*12:]
		if nameOff := le.Uint32(e[4:]); nameOff != 0 {
			name := raw[nameOff : int(nameOff)+bytes.IndexByte(raw[nameOff:], 0)]
			if h := le.Uint32(e); h != HashName(name) {
				t.Errorf("hash of %q: glibc stored %#x, HashName gives %#x", name, h, HashName(name))
			}
			checked++
		}
	}
	if checked != len(want) {
		t.Errorf("checked %d hashes, want %d", checked, len(want))
	}
	codesets := map[string]string{}
	var locs []*Locale
	for _, e := range a.Entries() {
		cs, err := a.Item(e, LCCtype, CodesetItem)
		if err != nil {
			t.Fatal(err)
		}
		codesets[e.Name()] = cs
		l, err := a.Locale(e)
		if err != nil {
			t.Fatal(err)
		}
		locs = append(locs, l)
	}
	if want := map[string]string{"de_DE.utf8": "UTF-8", "en_US.utf8": "UTF-8", "fr_FR": "ISO-8859-1", "lv_LV.utf8": "UTF-8", "ru_RU.koi8r": "KOI8-R"}; !reflect.DeepEqual(codesets, want) {
		t.Errorf("codesets = %v, want %v", codesets, want)
	}
	data, err := Build(locs)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) >= len(raw) {
		t.Errorf("rebuilt archive is %d bytes, glibc's %d: the tables should be tighter", len(data), len(raw))
	}
	p := filepath.Join(t.TempDir(), "locale-archive")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("localedef", "--list-archive", p).CombinedOutput()
	if err != nil {
		t.Fatalf("localedef: %v\n%s", err, out)
	}
	if got := strings.Fields(string(out)); !reflect.DeepEqual(got, want) {
		t.Errorf("localedef --list-archive of the rebuilt archive = %q, want %q", got, want)
	}
	again, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range again.Entries() {
		l, err := again.Locale(e)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(l, locs[i]) {
			t.Errorf("%s differs after the rebuild", e.Name())
		}
	}
}
