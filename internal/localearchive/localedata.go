package localearchive

import (
	"bytes"
	"fmt"
	"io"
)

// Items of the category files used here, as glibc's <langinfo.h> numbers
// them within their category.
const (
	// CodesetItem is _NL_CTYPE_CODESET_NAME (nl_langinfo(CODESET)).
	CodesetItem = 14
	// TitleItem is _NL_IDENTIFICATION_TITLE.
	TitleItem = 0
)

// CategoryMagic is the first word of a compiled category file, glibc's
// LIMAGIC(category).
func CategoryMagic(cat int) uint32 {
	switch cat {
	case LCCollate:
		return 0x20051014 ^ uint32(cat)
	case LCCtype:
		return 0x20090720 ^ uint32(cat)
	default:
		return 0x20031115 ^ uint32(cat)
	}
}

// maxItem bounds a string item read from a category (codeset names and
// titles are a few dozen bytes).
const maxItem = 1024

// Item returns string item idx of a category file held in memory.
func Item(data []byte, cat, idx int) (string, error) {
	return readItem(bytes.NewReader(data), int64(len(data)), cat, idx)
}

// readItem reads string item idx of the category file in r (size bytes):
// the file starts with {magic, nstrings, strindex[nstrings]} and each
// index is the offset of the item within the file.
func readItem(r io.ReaderAt, size int64, cat, idx int) (string, error) {
	name := "category"
	if cat >= 0 && cat < NumCategories {
		name = CategoryNames[cat]
	}
	var hb [8]byte
	if size < 8 {
		return "", fmt.Errorf("%s data of %d bytes is too short", name, size)
	}
	if _, err := r.ReadAt(hb[:], 0); err != nil {
		return "", fmt.Errorf("reading %s: %w", name, err)
	}
	if m := le.Uint32(hb[:]); m != CategoryMagic(cat) {
		return "", fmt.Errorf("%s data has magic %#x, want %#x", name, m, CategoryMagic(cat))
	}
	n := le.Uint32(hb[4:])
	if uint64(idx) >= uint64(n) || 8+4*uint64(n) > uint64(size) {
		return "", fmt.Errorf("%s data has no item %d", name, idx)
	}
	var ib [4]byte
	if _, err := r.ReadAt(ib[:], 8+4*int64(idx)); err != nil {
		return "", fmt.Errorf("reading %s: %w", name, err)
	}
	off := int64(le.Uint32(ib[:]))
	if off >= size {
		return "", fmt.Errorf("%s item %d at %d is past the end", name, idx, off)
	}
	buf := make([]byte, min(maxItem, size-off))
	if _, err := r.ReadAt(buf, off); err != nil && err != io.EOF {
		return "", fmt.Errorf("reading %s: %w", name, err)
	}
	end := bytes.IndexByte(buf, 0)
	if end < 0 {
		return "", fmt.Errorf("%s item %d is not terminated", name, idx)
	}
	return string(buf[:end]), nil
}
