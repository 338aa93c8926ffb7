// Package compress is whittle's one decompression opener: it tells gzip,
// zstd, xz, bzip2 and plain streams apart by their magic bytes and undoes
// the compression (Docker reads all five), with the zstd window and the
// xz dictionary capped so that a hostile header cannot make a reader
// allocate gigabytes. A stream compressed twice (gzip inside gzip) is an
// error that says so, not a tar that reads as garbage. Every reader of image bytes
// (layers, archives, root file system tarballs) goes through it. It never
// reads more than the caller asks for and never touches the file system.
package compress

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Kind names how a stream is stored.
type Kind string

// Stream compressions.
const (
	None  Kind = "none"
	Gzip  Kind = "gzip"
	Zstd  Kind = "zstd"
	Xz    Kind = "xz"
	Bzip2 Kind = "bzip2"
)

// MagicLen is how many first bytes Sniff needs to tell every kind: a
// bzip2 stream is told by its "BZh" header and the magic of its first
// block (or of its end, when empty), so that a plain tar whose first file
// is named "BZh9…" is not taken for one.
const MagicLen = 10

// MaxXzDictionary bounds the dictionary an xz stream may ask for (xz -9
// uses 64 MiB).
const MaxXzDictionary = 128 << 20

// MaxZstdWindow bounds the window a zstd stream may ask for (zstd --long=27
// uses 128 MiB).
const MaxZstdWindow = 128 << 20

// BufferSize is the read buffer every opener uses (256 KiB).
const BufferSize = 256 << 10

// Sniff tells a stream's compression from its first bytes (10 for bzip2,
// 6 for xz, 4 for zstd, 2 for gzip); anything else is None.
func Sniff(magic []byte) Kind {
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		return Gzip
	case len(magic) >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd:
		return Zstd
	case len(magic) >= 6 && bytes.Equal(magic[:6], []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return Xz
	case len(magic) >= 10 && magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h' && magic[3] >= '1' && magic[3] <= '9' &&
		(bytes.Equal(magic[4:10], []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59}) || bytes.Equal(magic[4:10], []byte{0x17, 0x72, 0x45, 0x38, 0x50, 0x90})):
		return Bzip2
	}
	return None
}

// Reader is a decompressed stream. Close releases the decoder; it does not
// close the underlying reader.
type Reader struct {
	io.Reader
	Kind  Kind
	close func()
}

// Close releases the decoder's resources. It is safe to call twice.
func (r *Reader) Close() error {
	if r.close != nil {
		r.close()
		r.close = nil
	}
	return nil
}

// Open peeks at br's first bytes and returns the stream with its
// compression undone: gzip, zstd (window at most MaxZstdWindow, one
// decoder goroutine), xz (dictionary at most MaxXzDictionary), bzip2 or
// none. Errors say which header could not be read, or that the
// decompressed stream is compressed again.
func Open(br *bufio.Reader) (*Reader, error) {
	magic, err := br.Peek(MagicLen)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading stream header: %w", err)
	}
	var r *Reader
	switch kind := Sniff(magic); kind {
	case Gzip:
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("reading gzip header: %w", err)
		}
		r = &Reader{Reader: gz, Kind: Gzip, close: func() { gz.Close() }}
	case Zstd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(MaxZstdWindow))
		if err != nil {
			return nil, fmt.Errorf("reading zstd header: %w", err)
		}
		r = &Reader{Reader: zr, Kind: Zstd, close: zr.Close}
	case Xz:
		xr, err := xz.NewReader(&capXzDict{r: br})
		if err != nil {
			return nil, fmt.Errorf("reading xz header: %w", err)
		}
		r = &Reader{Reader: xr, Kind: Xz}
	case Bzip2:
		r = &Reader{Reader: bzip2.NewReader(br), Kind: Bzip2}
	default:
		return &Reader{Reader: br, Kind: None}, nil
	}
	// A layer compressed twice decompresses to another compressed stream:
	// say so, rather than let the tar reader call it truncated.
	head := make([]byte, MagicLen)
	n, err := io.ReadFull(r.Reader, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		r.Close()
		return nil, fmt.Errorf("reading %s data: %w", r.Kind, DescribeReadError(err))
	}
	if inner := Sniff(head[:n]); inner != None {
		r.Close()
		return nil, fmt.Errorf("%s data inside %s data: the stream is compressed twice (%w)", inner, r.Kind, ErrDoubleCompressed)
	}
	r.Reader = io.MultiReader(bytes.NewReader(head[:n]), r.Reader)
	return r, nil
}

// ErrDoubleCompressed is the error of a stream whose decompressed bytes
// are compressed again.
var ErrDoubleCompressed = errors.New("not a tar archive")

// capXzDict passes an xz stream through to the decoder, refusing it
// when the first block's LZMA2 filter asks for a dictionary over
// MaxXzDictionary, before the decoder allocates that much (the xz
// library allocates whatever a block header asks, up to 4 GiB). It reads
// the usual block header (one LZMA2 filter, no optional sizes), as xz and
// every other writer make it; xz's multi-threaded streams repeat the
// same filter in each block. (A stream crafted to ask more in a later
// block is not caught here.)
type capXzDict struct {
	r      io.Reader
	seen   int64
	header [64]byte
	err    error
}

func (c *capXzDict) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	// The stream header is 12 bytes; the first block header follows: its
	// size byte, flags, then (no sizes in the usual case) the filter
	// flags: ID 0x21 (LZMA2), property size 1, the dictionary byte.
	for i := 0; i < n && c.seen < int64(len(c.header)); i++ {
		c.header[c.seen] = p[i]
		c.seen++
	}
	if c.seen >= 18 && c.err == nil {
		if dict, ok := lzma2Dict(c.header[:c.seen]); ok && dict > MaxXzDictionary {
			c.err = fmt.Errorf("xz stream asks for a %d MiB dictionary, more than the %d MiB allowed", dict>>20, MaxXzDictionary>>20)
			return 0, c.err
		}
	}
	return n, err
}

// lzma2Dict finds the dictionary size of the first block's LZMA2 filter
// in the first bytes of an xz stream, when the block header is the usual
// one (one filter, LZMA2, no optional sizes).
func lzma2Dict(b []byte) (int64, bool) {
	const blockStart = 12
	if len(b) < blockStart+6 {
		return 0, false
	}
	flags := b[blockStart+1]
	if flags&0x03 != 0 || flags&0xc0 != 0 { // more than one filter, or sizes present
		return 0, false
	}
	if b[blockStart+2] != 0x21 || b[blockStart+3] != 1 {
		return 0, false
	}
	bits := b[blockStart+4] & 0x3f
	if bits > 40 {
		return 0, false
	}
	if bits == 40 {
		return 1<<32 - 1, true
	}
	return int64(2|(bits&1)) << (bits/2 + 11), true
}

// NewReader is Open over a fresh BufferSize buffer around r.
func NewReader(r io.Reader) (*Reader, error) {
	return Open(bufio.NewReaderSize(r, BufferSize))
}

// DescribeReadError says in words what a failed read of a (compressed) tar
// stream means: truncated, not a tar, corrupt gzip. The original error
// stays wrapped; other errors are returned unchanged.
func DescribeReadError(err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("layer is truncated (%w)", err)
	case errors.Is(err, tar.ErrHeader):
		return fmt.Errorf("not a valid tar stream (%w)", err)
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return fmt.Errorf("corrupt gzip data (%w)", err)
	}
	return err
}
