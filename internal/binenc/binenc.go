// Package binenc is the compact binary encoding of whittle's caches:
// unsigned and zig-zag varints (encoding/binary's), fixed little-endian
// words, and length-prefixed strings, written by appending to a byte
// slice and read back by a Decoder whose first error sticks. A Decoder
// slices every string out of one copy of its input, so decoding a cache
// file of many names costs one allocation for the text. It knows nothing
// of what is encoded; checksums and versions are its callers'.
package binenc

import (
	"encoding/binary"
	"errors"
	"maps"
	"slices"
	"unsafe"
)

// ErrCorrupt is the error a Decoder reports for input that ends early or
// holds a malformed varint or an impossible length.
var ErrCorrupt = errors.New("corrupt cache file")

// AppendUvarint appends v as an unsigned varint.
func AppendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

// AppendVarint appends v as a zig-zag varint.
func AppendVarint(b []byte, v int64) []byte { return binary.AppendVarint(b, v) }

// AppendUint64 appends v as 8 little-endian bytes.
func AppendUint64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

// AppendString appends s's length as an unsigned varint, then s.
func AppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// AppendStrings appends the number of strings, then each string.
func AppendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = AppendString(b, s)
	}
	return b
}

// Decoder reads what the Append functions wrote, in the same order. After
// the first error every read returns the zero value and Err reports
// ErrCorrupt.
type Decoder struct {
	b   []byte
	s   string // b as a string, which strings are sliced from
	off int
	err error
}

// NewDecoder returns a Decoder reading b from its start. The strings it
// returns share one copy of b, so b may be reused afterwards.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b, s: string(b)} }

// NewDecoderOwned is NewDecoder without the copy: the strings it returns
// are b's own bytes, so the caller hands b over and must never modify it
// (a buffer just read from a file and dropped after decoding). It saves
// touching a second copy of a large input.
func NewDecoderOwned(b []byte) *Decoder {
	return &Decoder{b: b, s: unsafe.String(unsafe.SliceData(b), len(b))}
}

// Err returns ErrCorrupt after a failed read, else nil.
func (d *Decoder) Err() error { return d.err }

// Fail marks the input corrupt: for a value the caller finds impossible
// (an unknown tag, a duplicate key).
func (d *Decoder) Fail() { d.err = ErrCorrupt }

// Rest returns the bytes not read yet.
func (d *Decoder) Rest() []byte { return d.b[d.off:] }

// Done returns the first error, or ErrCorrupt when bytes are left over:
// the check after the last read.
func (d *Decoder) Done() error {
	if d.err == nil && d.off != len(d.b) {
		d.err = ErrCorrupt
	}
	return d.err
}

// Skip passes over n bytes (read through Rest).
func (d *Decoder) Skip(n int) {
	if d.err != nil || n < 0 || n > len(d.b)-d.off {
		d.err = ErrCorrupt
		return
	}
	d.off += n
}

// Uvarint reads an unsigned varint.
func (d *Decoder) Uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.err = ErrCorrupt
		return 0
	}
	d.off += n
	return v
}

// Varint reads a zig-zag varint.
func (d *Decoder) Varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.err = ErrCorrupt
		return 0
	}
	d.off += n
	return v
}

// Count reads a number of items that follow, each at least one byte
// long: a count larger than the bytes left is corrupt, so a hostile
// count cannot make the caller allocate more than the input's size.
func (d *Decoder) Count() int {
	n := d.Uvarint()
	if n > uint64(len(d.b)-d.off) {
		d.err = ErrCorrupt
		return 0
	}
	return int(n)
}

// Byte reads one byte.
func (d *Decoder) Byte() byte {
	if d.err != nil || d.off >= len(d.b) {
		d.err = ErrCorrupt
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

// Uint64 reads 8 little-endian bytes.
func (d *Decoder) Uint64() uint64 {
	if d.err != nil || d.off+8 > len(d.b) {
		d.err = ErrCorrupt
		return 0
	}
	d.off += 8
	return binary.LittleEndian.Uint64(d.b[d.off-8:])
}

// String reads a length-prefixed string.
func (d *Decoder) String() string {
	n := d.Uvarint()
	if d.err != nil || n > uint64(len(d.b)-d.off) {
		d.err = ErrCorrupt
		return ""
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}

// Strings reads what AppendStrings wrote; nil for none.
func (d *Decoder) Strings() []string {
	n := d.Count()
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.String()
	}
	if d.err != nil {
		return nil
	}
	return ss
}

// AppendMap appends the number of entries, then each key (in sorted
// order, so equal maps encode equally) followed by its value as val
// appends it.
func AppendMap[V any](b []byte, m map[string]V, val func([]byte, V) []byte) []byte {
	b = AppendUvarint(b, uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b = AppendString(b, k)
		b = val(b, m[k])
	}
	return b
}

// DecodeMap reads what AppendMap wrote, each value with val; an empty
// map for none, nil after an error.
func DecodeMap[V any](d *Decoder, val func(*Decoder) V) map[string]V {
	n := d.Count()
	m := make(map[string]V, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		k := d.String()
		m[k] = val(d)
	}
	if d.Err() != nil {
		return nil
	}
	return m
}
