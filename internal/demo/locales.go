package demo

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/whittle-dev/whittle/internal/localearchive"
)

// demoLocale is one locale of the demo's locale-archive. Categories whose
// data glibc would compile identically (LC_CTYPE of every UTF-8 locale
// built from i18n, LC_COLLATE of the locales that copy iso14651_t1) share
// a key, so the archive stores them once, as localedef does.
type demoLocale struct {
	name     string   // as localedef stores it (normalized codeset)
	aliases  []string // further names for the same data
	codeset  string   // nl_langinfo(CODESET)
	title    string   // LC_IDENTIFICATION title
	language string
	ctype    string // LC_CTYPE data key
	ctypeN   int    // its size
	collate  string // LC_COLLATE data key
	collateN int
	metric   bool // A4 and metric (else Letter and US units)
}

// demoLocales are the locales of the archive, in the order localedef
// lists them.
var demoLocales = []demoLocale{
	{"C.utf8", nil, "UTF-8", "C locale", "", "C/UTF-8", 353_616, "C/UTF-8", 1_406, true},
	{"de_DE.iso88591", []string{"de_DE"}, "ISO-8859-1", "German locale for Germany", "German", "i18n/ISO-8859-1", 209_920, "iso14651_t1/ISO-8859-1", 25_012, true},
	{"de_DE.utf8", nil, "UTF-8", "German locale for Germany", "German", "i18n/UTF-8", 346_132, "iso14651_t1/UTF-8", 1_206_262, true},
	{"en_US.iso88591", []string{"en_US"}, "ISO-8859-1", "English locale for the USA", "American English", "i18n/ISO-8859-1", 209_920, "iso14651_t1/ISO-8859-1", 25_012, false},
	{"en_US.utf8", nil, "UTF-8", "English locale for the USA", "American English", "i18n/UTF-8", 346_132, "iso14651_t1/UTF-8", 1_206_262, false},
	{"ja_JP.eucjp", []string{"ja_JP"}, "EUC-JP", "Japanese language locale for Japan", "Japanese", "ja_JP/EUC-JP", 255_532, "ja_JP/EUC-JP", 96_388, true},
	{"ja_JP.utf8", nil, "UTF-8", "Japanese language locale for Japan", "Japanese", "ja_JP/UTF-8", 358_976, "ja_JP/UTF-8", 1_263_902, true},
	{"lv_LV.utf8", nil, "UTF-8", "Latvian locale for Latvia", "Latvian", "i18n/UTF-8", 346_132, "lv_LV/UTF-8", 1_212_558, true},
}

// categoryItems is the number of items (nl_langinfo values) glibc 2.39
// stores in each category's file.
var categoryItems = [localearchive.NumCategories]int{
	localearchive.LCCtype: 86, localearchive.LCNumeric: 6, localearchive.LCTime: 159,
	localearchive.LCCollate: 19, localearchive.LCMonetary: 46, localearchive.LCMessages: 5,
	localearchive.LCPaper: 3, localearchive.LCName: 7, localearchive.LCAddress: 13,
	localearchive.LCTelephone: 5, localearchive.LCMeasurement: 2, localearchive.LCIdentification: 16,
}

// smallSizes are the sizes of the small categories' files.
var smallSizes = [localearchive.NumCategories]int{
	localearchive.LCNumeric: 54, localearchive.LCTime: 3_360, localearchive.LCMonetary: 286,
	localearchive.LCMessages: 57, localearchive.LCPaper: 34, localearchive.LCName: 77,
	localearchive.LCAddress: 167, localearchive.LCTelephone: 59, localearchive.LCMeasurement: 23,
}

// localeArchive returns the demo's locale-archive.
func localeArchive() ([]byte, error) {
	var locs []*localearchive.Locale
	for _, d := range demoLocales {
		l := &localearchive.Locale{Name: d.name, Aliases: d.aliases}
		for c := range localearchive.NumCategories {
			l.Categories[c] = d.category(c)
		}
		locs = append(locs, l)
	}
	return localearchive.Build(locs)
}

// category returns the locale's data for category c.
func (d demoLocale) category(c int) []byte {
	key, size := d.name+"/"+localearchive.CategoryNames[c], smallSizes[c]
	named := map[int]string{}
	switch c {
	case localearchive.LCAll:
		return nil
	case localearchive.LCCtype:
		key, size = "ctype "+d.ctype, d.ctypeN
		named[localearchive.CodesetItem] = d.codeset
	case localearchive.LCCollate:
		key, size = "collate "+d.collate, d.collateN
	case localearchive.LCPaper:
		key = "paper A4"
		if !d.metric {
			key = "paper letter"
		}
	case localearchive.LCMeasurement:
		key = "measurement metric"
		if !d.metric {
			key = "measurement US"
		}
	case localearchive.LCIdentification:
		for i, v := range []string{d.title, "Free Software Foundation, Inc.", "https://www.gnu.org/software/libc/",
			"", "bug-glibc-locales@gnu.org", "", "", d.language, "", "", "", "", "1.0", "2000-06-24",
			"i18n:2012", "i18n:2012"} {
			named[i] = v
		}
		size = 0
	}
	return categoryFile(c, key, size, named)
}

// categoryFile lays out a compiled category file as localedef writes
// one: {magic, nstrings, index[nstrings]}, then the items. Named items
// are NUL-terminated strings; the others share the remaining size as
// pseudo-random tables seeded by key.
func categoryFile(c int, key string, size int, named map[int]string) []byte {
	n := categoryItems[c]
	head := 8 + 4*n
	rest := size - head
	for _, s := range named {
		rest -= (len(s) + 1 + 3) &^ 3
	}
	unnamed := n - len(named)
	chunk := 0
	if unnamed > 0 && rest > 0 {
		chunk = rest / unnamed &^ 3
	}
	fill := randomBytes("locale "+key, max(rest, 0))
	out := make([]byte, head, max(size, head))
	le := binary.LittleEndian
	le.PutUint32(out, localearchive.CategoryMagic(c))
	le.PutUint32(out[4:], uint32(n))
	for i := range n {
		le.PutUint32(out[8+4*i:], uint32(len(out)))
		if s, ok := named[i]; ok {
			out = append(out, s...)
			out = append(out, make([]byte, ((len(s)+1+3)&^3)-len(s))...)
			continue
		}
		m := min(chunk, len(fill))
		out = append(out, fill[:m]...)
		fill = fill[m:]
	}
	// What the even split left over ends the last table.
	if len(out) < size {
		m := min(size-len(out), len(fill))
		out = append(out, fill[:m]...)
	}
	if len(out) < size {
		out = append(out, make([]byte, size-len(out))...)
	}
	return out
}

// glibcLocales writes the glibc-locales store path: the locale-archive
// alone, as nixpkgs' glibcLocales holds it.
func glibcLocales(t *tree, s store) error {
	a, err := localeArchive()
	if err != nil {
		return fmt.Errorf("building the locale-archive: %w", err)
	}
	t.in(s.path("glibc-locales")).file("lib/locale/locale-archive", a)
	return nil
}

// localeNames lists the archive's names (locales and aliases) as
// `localedef --list-archive` prints them.
func localeNames() []string {
	var out []string
	for _, d := range demoLocales {
		out = append(out, d.name)
		out = append(out, d.aliases...)
	}
	sort.Strings(out)
	return out
}
