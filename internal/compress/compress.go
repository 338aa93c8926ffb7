// Package compress is whittle's one decompression opener: it tells gzip,
// zstd and plain streams apart by their magic bytes and undoes the
// compression, with the zstd window capped so that a hostile frame header
// cannot make a reader allocate gigabytes. Every reader of image bytes
// (layers, archives, root file system tarballs) goes through it. It never
// reads more than the caller asks for and never touches the file system.
package compress

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Kind names how a stream is stored.
type Kind string

// Stream compressions.
const (
	None Kind = "none"
	Gzip Kind = "gzip"
	Zstd Kind = "zstd"
)

// MaxZstdWindow bounds the window a zstd stream may ask for (zstd --long=27
// uses 128 MiB).
const MaxZstdWindow = 128 << 20

// BufferSize is the read buffer every opener uses (256 KiB).
const BufferSize = 256 << 10

// Sniff tells a stream's compression from its first bytes (at least 4 for
// zstd, 2 for gzip); anything else is None.
func Sniff(magic []byte) Kind {
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		return Gzip
	case len(magic) >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd:
		return Zstd
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
// decoder goroutine) or none. Errors say which header could not be read.
func Open(br *bufio.Reader) (*Reader, error) {
	magic, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading stream header: %w", err)
	}
	switch Sniff(magic) {
	case Gzip:
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("reading gzip header: %w", err)
		}
		return &Reader{Reader: gz, Kind: Gzip, close: func() { gz.Close() }}, nil
	case Zstd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(MaxZstdWindow))
		if err != nil {
			return nil, fmt.Errorf("reading zstd header: %w", err)
		}
		return &Reader{Reader: zr, Kind: Zstd, close: zr.Close}, nil
	}
	return &Reader{Reader: br, Kind: None}, nil
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
