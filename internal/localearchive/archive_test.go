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

// category builds a compiled category file: {magic, nstrings, strindex}
// then the NUL-terminated items.
func category(cat int, items ...string) []byte {
	hdr := make([]byte, 8+4*len(items))
	binary.LittleEndian.PutUint32(hdr, CategoryMagic(cat))
	binary.LittleEndian.PutUint32(hdr[4:], uint32(len(items)))
	var body bytes.Buffer
	for i, it := range items {
		binary.LittleEndian.PutUint32(hdr[8+4*i:], uint32(len(hdr)+body.Len()))
		body.WriteString(it)
		body.WriteByte(0)
	}
	return append(hdr, body.Bytes()...)
}

// testLocale has categories named after the locale, except those given in
// shared, whose data is the same for every locale (as LC_COLLATE of two
// UTF-8 locales often is); big pads LC_COLLATE past the small-block limit.
func testLocale(name, codeset string, big bool, aliases ...string) *Locale {
	l := &Locale{Name: name, Aliases: aliases}
	for c := 0; c < NumCategories; c++ {
		switch c {
		case LCAll:
		case LCCtype:
			items := make([]string, CodesetItem+1)
			items[CodesetItem] = codeset
			l.Categories[c] = category(c, items...)
		case LCCollate:
			pad := ""
			if big {
				pad = strings.Repeat("c", 3*pageSize)
			}
			l.Categories[c] = category(c, "shared collation", pad)
		case LCIdentification:
			l.Categories[c] = category(c, "Title of "+name)
		default:
			l.Categories[c] = category(c, name+" "+CategoryNames[c])
		}
	}
	return l
}

func TestBuildOpenRoundTrip(t *testing.T) {
	in := []*Locale{
		testLocale("zz_ZZ.utf8", "UTF-8", true),
		testLocale("aa_AA", "ISO-8859-1", true, "aa_AA.iso88591", "aalang"),
		testLocale("bb_BB.utf8", "UTF-8", false),
	}
	data, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.Names(), []string{"aa_AA", "aa_AA.iso88591", "aalang", "bb_BB.utf8", "zz_ZZ.utf8"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names = %q, want %q", got, want)
	}
	var primaries [][]string
	for _, e := range a.Entries() {
		primaries = append(primaries, e.Names)
	}
	if want := [][]string{{"aa_AA", "aa_AA.iso88591", "aalang"}, {"bb_BB.utf8"}, {"zz_ZZ.utf8"}}; !reflect.DeepEqual(primaries, want) {
		t.Errorf("entries = %q, want %q", primaries, want)
	}
	for _, l := range in {
		e, ok := a.Lookup(l.Name)
		if !ok {
			t.Fatalf("Lookup(%s) failed", l.Name)
		}
		got, err := a.Locale(e)
		if err != nil {
			t.Fatal(err)
		}
		for c := range l.Categories {
			if !bytes.Equal(got.Categories[c], l.Categories[c]) {
				t.Errorf("%s %s differs after the round trip", l.Name, CategoryNames[c])
			}
		}
		cs, err := a.Item(e, LCCtype, CodesetItem)
		want := "UTF-8"
		if l.Name == "aa_AA" {
			want = "ISO-8859-1"
		}
		if err != nil || cs != want {
			t.Errorf("codeset of %s = %q, %v", l.Name, cs, err)
		}
		// Category data is 16-byte aligned, as glibc's loader expects.
		for c, r := range e.Records {
			if c != LCAll && r.Offset%16 != 0 {
				t.Errorf("%s %s at %d is not 16-byte aligned", l.Name, CategoryNames[c], r.Offset)
			}
		}
	}
	// The big shared LC_COLLATE is stored once.
	aa, _ := a.Lookup("aa_AA")
	zz, _ := a.Lookup("zz_ZZ.utf8")
	if aa.Records[LCCollate] != zz.Records[LCCollate] {
		t.Errorf("shared LC_COLLATE stored twice: %v, %v", aa.Records[LCCollate], zz.Records[LCCollate])
	}
	// Lookup normalizes the codeset as glibc does.
	if e, ok := a.Lookup("zz_ZZ.UTF-8"); !ok || e.Name() != "zz_ZZ.utf8" {
		t.Errorf("Lookup(zz_ZZ.UTF-8) = %v, %v", e.Names, ok)
	}
	if _, ok := a.Lookup("zz_ZZ"); ok {
		t.Error("Lookup(zz_ZZ) found a locale stored with a codeset")
	}
	// Building the same set, in another order, gives the same bytes.
	again, err := Build([]*Locale{in[2], in[0], in[1]})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Error("Build depends on the order of its input")
	}
}

func TestBuildErrors(t *testing.T) {
	dup := testLocale("a", "UTF-8", false, "b")
	for _, tc := range []struct {
		in   []*Locale
		want string
	}{
		{[]*Locale{dup, testLocale("b", "UTF-8", false)}, `building locale-archive: locale name "b" given twice`},
		{[]*Locale{testLocale("", "UTF-8", false)}, `building locale-archive: bad locale name ""`},
		{[]*Locale{testLocale("x/y", "UTF-8", false)}, `building locale-archive: bad locale name "x/y"`},
		{[]*Locale{{Name: "empty"}}, `building locale-archive: empty has no LC_CTYPE data`},
	} {
		if _, err := Build(tc.in); err == nil || err.Error() != tc.want {
			t.Errorf("Build error = %v, want %q", err, tc.want)
		}
	}
	// No locale at all is a valid, empty archive.
	data, err := Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil || len(a.Entries()) != 0 {
		t.Errorf("empty archive: %v, %v", a, err)
	}
}

func TestOpenCorrupt(t *testing.T) {
	good, err := Build([]*Locale{testLocale("aa_AA.utf8", "UTF-8", false)})
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	nameOff := le.Uint32(good[8:])
	nameSize := le.Uint32(good[16:])
	// The one used name slot.
	var slot uint32
	for i := uint32(0); i < nameSize; i++ {
		if le.Uint32(good[nameOff+i*12+4:]) != 0 {
			slot = nameOff + i*12
		}
	}
	locOff := le.Uint32(good[32:])
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"short", good[:20], "locale-archive of 20 bytes is shorter than its header"},
		{"bad magic", mod(func(b []byte) []byte { b[0] = 0; return b }), "not a glibc locale-archive (bad magic)"},
		{"big-endian", mod(func(b []byte) []byte { binary.BigEndian.PutUint32(b, Magic); return b }), "locale-archive is big-endian; only little-endian archives are supported"},
		{"name table size", mod(func(b []byte) []byte { le.PutUint32(b[16:], 2); return b }), "locale-archive: bad name table size 2 (used 1)"},
		{"tables past the end", mod(func(b []byte) []byte { le.PutUint32(b[16:], 1<<20); return b }), "locale-archive: tables end at 12582968, past the end of the 1088-byte file"},
		{"name offset", mod(func(b []byte) []byte { le.PutUint32(b[slot+4:], 1<<30); return b }), "locale-archive: name offset 1073741824 outside the tables"},
		{"record offset", mod(func(b []byte) []byte { le.PutUint32(b[slot+8:], 1<<30); return b }), "locale-archive: record offset 1073741824 outside the tables"},
		{"category past the end", mod(func(b []byte) []byte { le.PutUint32(b[locOff+8:], 1<<30); return b }), "locale-archive: LC_CTYPE of aa_AA.utf8 (1073741824 bytes at 528) runs past the end of the file"},
		{"unterminated name", mod(func(b []byte) []byte {
			// Strings end right after the name's last letter, and nothing
			// follows them in the tables.
			strOff := le.Uint32(b[20:])
			le.PutUint32(b[24:], uint32(len("aa_AA.utf8")))
			le.PutUint32(b[32:], strOff)
			le.PutUint32(b[36:], 0)
			return b
		}), "locale-archive: name at 188 is not terminated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(bytes.NewReader(tc.data), int64(len(tc.data)))
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Open error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"UTF-8", "utf8"}, {"utf8", "utf8"}, {"ISO-8859-1", "iso88591"}, {"8859-1", "iso88591"},
		{"KOI8-R", "koi8r"}, {"ISO_8859-15:1998", "iso885915199"[:0] + "iso8859151998"}, {"", "iso"},
	} {
		if got := NormalizeCodeset(tc.in); got != tc.want {
			t.Errorf("NormalizeCodeset(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"en_US.UTF-8", "en_US.utf8"}, {"de_DE.UTF-8@euro", "de_DE.utf8@euro"}, {"fr_FR", "fr_FR"},
		{"sr_RS@latin", "sr_RS@latin"}, {"C.UTF-8", "C.utf8"}, {"x.", "x."}, {"x.@m", "x.@m"},
	} {
		if got := NormalizeName(tc.in); got != tc.want {
			t.Errorf("NormalizeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestHashName(t *testing.T) {
	// Values computed by hand from glibc's hashval.h (rotate left by 9,
	// add the byte, starting from the length).
	for _, tc := range []struct {
		in   string
		want uint32
	}{
		{"", 0xffffffff}, // 0 is reserved: glibc returns ~0
		{"C", 1<<9 + 'C'},
		{"ab", ((2<<9+'a')<<9 | (2<<9+'a')>>23) + 'b'},
	} {
		if got := HashName([]byte(tc.in)); got != tc.want {
			t.Errorf("HashName(%q) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
}

// FuzzOpen feeds arbitrary bytes to the reader: it must return an error or
// entries whose data it can read, never panic or read out of bounds.
func FuzzOpen(f *testing.F) {
	good, err := Build([]*Locale{testLocale("aa_AA.utf8", "UTF-8", false), testLocale("bb_BB", "KOI8-R", false, "bb_BB.koi8r")})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:headerSize])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for _, e := range a.Entries() {
			if len(e.Names) == 0 {
				t.Fatal("entry without a name")
			}
			if _, err := a.Locale(e); err != nil {
				t.Fatalf("Open accepted an entry whose data cannot be read: %v", err)
			}
			a.Item(e, LCCtype, CodesetItem)
			a.Item(e, LCIdentification, TitleItem)
		}
	})
}

// FuzzItem feeds arbitrary category files to the item reader.
func FuzzItem(f *testing.F) {
	f.Add(category(LCCtype, make([]string, CodesetItem+1)...), CodesetItem)
	f.Add(category(LCIdentification, "title"), 0)
	f.Fuzz(func(t *testing.T, data []byte, idx int) {
		if idx < 0 || idx > 1000 {
			return
		}
		Item(data, LCCtype, idx)
		Item(data, LCIdentification, idx)
	})
}

// TestLocaledefReadsBuild is the oracle: glibc's own localedef lists what
// Build wrote.
func TestLocaledefReadsBuild(t *testing.T) {
	testfix.NeedTool(t, "localedef")
	data, err := Build([]*Locale{testLocale("zz_ZZ.utf8", "UTF-8", true), testLocale("aa_AA", "ISO-8859-1", false, "aa_AA.iso88591")})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "locale-archive")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("localedef", "--list-archive", p).CombinedOutput()
	if err != nil {
		t.Fatalf("localedef --list-archive: %v\n%s", err, out)
	}
	if got, want := string(out), "aa_AA\naa_AA.iso88591\nzz_ZZ.utf8\n"; got != want {
		t.Errorf("localedef --list-archive = %q, want %q", got, want)
	}
	// The verbose listing walks the sum table and every record.
	out, err = exec.Command("localedef", "--list-archive", "--verbose", p).CombinedOutput()
	if err != nil {
		t.Fatalf("localedef --list-archive --verbose: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "zz_ZZ.utf8/LC_"); n != NumCategories-1 {
		t.Errorf("verbose listing shows %d categories of zz_ZZ.utf8, want %d:\n%s", n, NumCategories-1, out)
	}
}
