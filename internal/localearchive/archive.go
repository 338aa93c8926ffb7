// Package localearchive reads and writes glibc's locale-archive, the single
// file (usually /usr/lib/locale/locale-archive) in which localedef stores
// compiled locales.
//
// The format, as glibc's locale/locarchive.h defines it, in host byte order
// (little-endian on every platform images are built for here):
//
//	header     magic 0xde020109, serial, then (offset, used, size) for the
//	           name hash table, the string table, the locale record table
//	           and the MD5 sum hash table
//	namehash   open-addressed table of {hashval, name_offset, locrec_offset};
//	           probe start hval%size, step 1+hval%(size-2)
//	strings    NUL-terminated locale names
//	locrectab  {refs, {offset, len} × 13 categories}; several names (aliases)
//	           may share a record
//	sumhash    {md5[16], file_offset}: the data blocks already stored, for
//	           deduplication by localedef
//	data       the category files, 16-byte aligned; categories smaller than
//	           two pages together are packed into one block that the LC_ALL
//	           slot of the record describes
//
// Offsets are absolute file offsets. Reader checks every offset against
// the file size, so a corrupt archive gives an error, never a panic.
package localearchive

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Magic is AR_MAGIC, the first word of a locale-archive.
const Magic = 0xde020109

// Category numbers, as glibc's <locale.h> numbers LC_* on Linux. LCAll is
// not a category of its own: in an archive record it describes the block
// that holds the small categories together.
const (
	LCCtype          = 0
	LCNumeric        = 1
	LCTime           = 2
	LCCollate        = 3
	LCMonetary       = 4
	LCMessages       = 5
	LCAll            = 6
	LCPaper          = 7
	LCName           = 8
	LCAddress        = 9
	LCTelephone      = 10
	LCMeasurement    = 11
	LCIdentification = 12
	// NumCategories is __LC_LAST: the number of record slots.
	NumCategories = 13
)

// CategoryNames are the file names of the categories in a locale directory
// (index LCAll is "LC_ALL", which has no file).
var CategoryNames = [NumCategories]string{
	"LC_CTYPE", "LC_NUMERIC", "LC_TIME", "LC_COLLATE", "LC_MONETARY", "LC_MESSAGES",
	"LC_ALL", "LC_PAPER", "LC_NAME", "LC_ADDRESS", "LC_TELEPHONE", "LC_MEASUREMENT", "LC_IDENTIFICATION",
}

const (
	headerSize   = 14 * 4
	nameEntSize  = 3 * 4
	locrecSize   = 4 + NumCategories*8
	sumEntSize   = 16 + 4
	maxTableSize = 1 << 24 // entries; far above any real archive
)

var le = binary.LittleEndian

// Record locates one category's data in the archive.
type Record struct {
	Offset uint32
	Len    uint32
}

// Entry is one locale of an archive: its names (the first is the one it was
// added under, the rest are aliases pointing at the same record, in the
// order they were added) and where its categories are.
type Entry struct {
	Names   []string
	Records [NumCategories]Record
	// locrec is the record's offset, which identifies the entry.
	locrec uint32
}

// Name is the entry's primary name.
func (e *Entry) Name() string { return e.Names[0] }

// Size is the number of bytes of category data the locale uses (shared
// blocks counted once per locale).
func (e *Entry) Size() int64 {
	var n int64
	for c, r := range e.Records {
		if c != LCAll {
			n += int64(r.Len)
		}
	}
	return n
}

// Archive is an opened locale-archive.
type Archive struct {
	r       io.ReaderAt
	size    int64
	Serial  uint32
	entries []Entry
}

type header struct {
	magic, serial               uint32
	nameOff, nameUsed, nameSize uint32
	strOff, strUsed, strSize    uint32
	locOff, locUsed, locSize    uint32
	sumOff, sumUsed, sumSize    uint32
}

// ErrNotArchive is returned for a file that does not start with Magic.
var ErrNotArchive = errors.New("not a glibc locale-archive (bad magic)")

// Open reads the tables of the archive held in r (size bytes). Category
// data is read later, on demand, through r.
func Open(r io.ReaderAt, size int64) (*Archive, error) {
	if size < headerSize {
		return nil, fmt.Errorf("locale-archive of %d bytes is shorter than its header", size)
	}
	if size > 1<<32 {
		return nil, fmt.Errorf("locale-archive of %d bytes is larger than its 32-bit offsets allow", size)
	}
	var hb [headerSize]byte
	if _, err := r.ReadAt(hb[:], 0); err != nil {
		return nil, fmt.Errorf("reading locale-archive header: %w", err)
	}
	var h header
	f := []*uint32{&h.magic, &h.serial, &h.nameOff, &h.nameUsed, &h.nameSize, &h.strOff, &h.strUsed, &h.strSize,
		&h.locOff, &h.locUsed, &h.locSize, &h.sumOff, &h.sumUsed, &h.sumSize}
	for i, p := range f {
		*p = le.Uint32(hb[i*4:])
	}
	if h.magic != Magic {
		if h.magic == 0x0901_02de {
			return nil, errors.New("locale-archive is big-endian; only little-endian archives are supported")
		}
		return nil, ErrNotArchive
	}
	a := &Archive{r: r, size: size, Serial: h.serial}
	if h.nameSize == 0 {
		// localedef's view of a missing archive: empty.
		return a, nil
	}
	if h.nameSize < 3 || h.nameSize > maxTableSize || h.nameUsed > h.nameSize {
		return nil, fmt.Errorf("locale-archive: bad name table size %d (used %d)", h.nameSize, h.nameUsed)
	}
	if h.locUsed > maxTableSize {
		return nil, fmt.Errorf("locale-archive: bad record table size %d", h.locUsed)
	}
	// The head region, as glibc's loader computes it: everything up to the
	// end of the name table, the used strings and the used records.
	nameEnd := uint64(h.nameOff) + uint64(h.nameSize)*nameEntSize
	strEnd := uint64(h.strOff) + uint64(h.strUsed)
	locEnd := uint64(h.locOff) + uint64(h.locUsed)*locrecSize
	headEnd := max(nameEnd, strEnd, locEnd)
	if headEnd > uint64(size) {
		return nil, fmt.Errorf("locale-archive: tables end at %d, past the end of the %d-byte file", headEnd, size)
	}
	head := make([]byte, headEnd)
	if _, err := r.ReadAt(head, 0); err != nil {
		return nil, fmt.Errorf("reading locale-archive tables: %w", err)
	}
	type named struct {
		name    string
		nameOff uint32
		locrec  uint32
	}
	var names []named
	for i := uint32(0); i < h.nameSize; i++ {
		e := head[uint64(h.nameOff)+uint64(i)*nameEntSize:]
		nameOff := le.Uint32(e[4:])
		locrec := le.Uint32(e[8:])
		if nameOff == 0 || locrec == 0 {
			continue // empty or deleted
		}
		if uint64(nameOff) >= headEnd {
			return nil, fmt.Errorf("locale-archive: name offset %d outside the tables", nameOff)
		}
		end := bytes.IndexByte(head[nameOff:], 0)
		if end < 0 {
			return nil, fmt.Errorf("locale-archive: name at %d is not terminated", nameOff)
		}
		if uint64(locrec)+locrecSize > headEnd {
			return nil, fmt.Errorf("locale-archive: record offset %d outside the tables", locrec)
		}
		names = append(names, named{string(head[nameOff : int(nameOff)+end]), nameOff, locrec})
	}
	if len(names) > int(h.nameUsed) && h.nameUsed != 0 {
		return nil, fmt.Errorf("locale-archive: %d names in a table that says %d are used", len(names), h.nameUsed)
	}
	sort.Slice(names, func(i, j int) bool { return names[i].nameOff < names[j].nameOff })
	byRec := map[uint32]int{}
	for _, n := range names {
		if i, ok := byRec[n.locrec]; ok {
			a.entries[i].Names = append(a.entries[i].Names, n.name)
			continue
		}
		rec := head[n.locrec:]
		e := Entry{Names: []string{n.name}, locrec: n.locrec}
		for c := 0; c < NumCategories; c++ {
			off := le.Uint32(rec[4+c*8:])
			ln := le.Uint32(rec[8+c*8:])
			if uint64(off)+uint64(ln) > uint64(size) {
				return nil, fmt.Errorf("locale-archive: %s of %s (%d bytes at %d) runs past the end of the file", CategoryNames[c], n.name, ln, off)
			}
			e.Records[c] = Record{off, ln}
		}
		byRec[n.locrec] = len(a.entries)
		a.entries = append(a.entries, e)
	}
	sort.Slice(a.entries, func(i, j int) bool { return a.entries[i].Names[0] < a.entries[j].Names[0] })
	return a, nil
}

// Entries returns the archive's locales, sorted by primary name.
func (a *Archive) Entries() []Entry { return a.entries }

// Names returns every name in the archive (primary names and aliases),
// sorted, as `localedef --list-archive` prints them.
func (a *Archive) Names() []string {
	var out []string
	for _, e := range a.entries {
		out = append(out, e.Names...)
	}
	sort.Strings(out)
	return out
}

// Lookup finds a locale by name as glibc does: exactly, or after
// normalizing the codeset part ("de_DE.UTF-8" finds "de_DE.utf8").
func (a *Archive) Lookup(name string) (Entry, bool) {
	norm := NormalizeName(name)
	for _, e := range a.entries {
		for _, n := range e.Names {
			if n == name || n == norm {
				return e, true
			}
		}
	}
	return Entry{}, false
}

// maxCategory bounds one category's data (the largest real ones, LC_CTYPE
// and LC_COLLATE of CJK locales, are a few MB).
const maxCategory = 64 << 20

// Category reads the data of one category of e.
func (a *Archive) Category(e Entry, cat int) ([]byte, error) {
	if cat < 0 || cat >= NumCategories || cat == LCAll {
		return nil, fmt.Errorf("locale-archive: no category %d", cat)
	}
	r := e.Records[cat]
	if r.Len > maxCategory {
		return nil, fmt.Errorf("locale-archive: %s of %s is %d bytes, too large", CategoryNames[cat], e.Names[0], r.Len)
	}
	b := make([]byte, r.Len)
	if _, err := a.r.ReadAt(b, int64(r.Offset)); err != nil {
		return nil, fmt.Errorf("reading %s of %s: %w", CategoryNames[cat], e.Names[0], err)
	}
	return b, nil
}

// Locale reads every category of e.
func (a *Archive) Locale(e Entry) (*Locale, error) {
	l := &Locale{Name: e.Names[0], Aliases: append([]string(nil), e.Names[1:]...)}
	for c := 0; c < NumCategories; c++ {
		if c == LCAll {
			continue
		}
		b, err := a.Category(e, c)
		if err != nil {
			return nil, err
		}
		l.Categories[c] = b
	}
	return l, nil
}

// Item reads string item idx of category cat of e (for example
// CodesetItem of LC_CTYPE) without reading the whole category.
func (a *Archive) Item(e Entry, cat, idx int) (string, error) {
	r := e.Records[cat]
	sec := io.NewSectionReader(a.r, int64(r.Offset), int64(r.Len))
	return readItem(sec, int64(r.Len), cat, idx)
}

// Locale is a compiled locale: one data file per category.
type Locale struct {
	// Name is the name the locale is stored under; Aliases are further
	// names for the same data.
	Name    string
	Aliases []string
	// Categories holds each category's file, indexed by LC_* number; the
	// LCAll slot is unused.
	Categories [NumCategories][]byte
}

// Size is the sum of the category files' sizes.
func (l *Locale) Size() int64 {
	var n int64
	for c, b := range l.Categories {
		if c != LCAll {
			n += int64(len(b))
		}
	}
	return n
}

// NormalizeCodeset normalizes a codeset name as glibc's
// _nl_normalize_codeset does: letters lower-cased, digits kept, everything
// else dropped, and "iso" prefixed when only digits remain ("UTF-8" →
// "utf8", "ISO-8859-1" → "iso88591", "8859-1" → "iso88591").
func NormalizeCodeset(cs string) string {
	var b strings.Builder
	digitsOnly := true
	for i := 0; i < len(cs); i++ {
		c := cs[i]
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteByte(c)
			digitsOnly = false
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
			digitsOnly = false
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		}
	}
	if digitsOnly {
		return "iso" + b.String()
	}
	return b.String()
}

// NormalizeName normalizes the codeset part of a locale name
// ("en_US.UTF-8@euro" → "en_US.utf8@euro"); names without one are
// returned as they are.
func NormalizeName(name string) string {
	dot := strings.IndexByte(name, '.')
	if dot < 0 || dot+1 >= len(name) || name[dot+1] == '@' {
		return name
	}
	rest := name[dot+1:]
	mod := ""
	if at := strings.IndexByte(rest, '@'); at >= 0 {
		rest, mod = rest[:at], rest[at:]
	}
	return name[:dot+1] + NormalizeCodeset(rest) + mod
}

// HashName is glibc's compute_hashval over s, the hash of the name and sum
// tables.
func HashName(s []byte) uint32 {
	h := uint32(len(s))
	for _, c := range s {
		h = h<<9 | h>>(32-9)
		h += uint32(c)
	}
	if h == 0 {
		return ^uint32(0)
	}
	return h
}
