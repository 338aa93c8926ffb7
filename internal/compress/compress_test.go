package compress_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/whittle-dev/whittle/internal/compress"
)

func TestSniff(t *testing.T) {
	tests := []struct {
		name  string
		magic []byte
		want  compress.Kind
	}{
		{"gzip", []byte{0x1f, 0x8b, 0x08, 0x00}, compress.Gzip},
		{"gzip, two bytes", []byte{0x1f, 0x8b}, compress.Gzip},
		{"zstd", []byte{0x28, 0xb5, 0x2f, 0xfd}, compress.Zstd},
		{"zstd with more", []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x90}, compress.Zstd},
		{"plain tar", []byte("etc/\x00\x00\x00"), compress.None},
		{"plain text", []byte("hello"), compress.None},
		{"empty", nil, compress.None},
		{"one gzip byte", []byte{0x1f}, compress.None},
		{"three zstd bytes", []byte{0x28, 0xb5, 0x2f}, compress.None},
		{"zstd skippable frame", []byte{0x50, 0x2a, 0x4d, 0x18}, compress.None},
	}
	for _, tt := range tests {
		if got := compress.Sniff(tt.magic); got != tt.want {
			t.Errorf("%s: Sniff(% x) = %s, want %s", tt.name, tt.magic, got, tt.want)
		}
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstded(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestOpenRoundTrip(t *testing.T) {
	data := []byte(strings.Repeat("whittle keeps what the app needs\n", 20000))
	tests := []struct {
		name   string
		stream []byte
		want   []byte
		kind   compress.Kind
	}{
		{"gzip", gzipped(t, data), data, compress.Gzip},
		{"zstd", zstded(t, data), data, compress.Zstd},
		{"plain", data, data, compress.None},
		{"empty", nil, nil, compress.None},
		{"gzip of nothing", gzipped(t, nil), nil, compress.Gzip},
		{"zstd of nothing", zstded(t, nil), nil, compress.Zstd},
		{"shorter than a magic", []byte{0x1f}, []byte{0x1f}, compress.None},
	}
	for _, tt := range tests {
		r, err := compress.NewReader(bytes.NewReader(tt.stream))
		if err != nil {
			t.Errorf("%s: NewReader: %v", tt.name, err)
			continue
		}
		got, err := io.ReadAll(r)
		r.Close()
		r.Close() // safe twice
		if err != nil {
			t.Errorf("%s: reading: %v", tt.name, err)
			continue
		}
		if r.Kind != tt.kind {
			t.Errorf("%s: Kind = %s, want %s", tt.name, r.Kind, tt.kind)
		}
		if !bytes.Equal(got, tt.want) {
			t.Errorf("%s: got %d bytes, want %d bytes back", tt.name, len(got), len(tt.want))
		}
	}
}

// bigWindowFrame is a zstd frame whose header asks for a 256 MiB window:
// magic, a frame header descriptor with no single-segment flag (so a
// window descriptor follows), window descriptor exponent 18 (1<<(10+18)),
// mantissa 0, then one empty raw block marked last.
var bigWindowFrame = []byte{
	0x28, 0xb5, 0x2f, 0xfd, // magic
	0x00,             // frame header descriptor
	18 << 3,          // window descriptor: 256 MiB
	0x01, 0x00, 0x00, // last block, raw, size 0
}

func TestZstdWindowCap(t *testing.T) {
	if compress.MaxZstdWindow >= 256<<20 {
		t.Fatalf("MaxZstdWindow = %d; the test frame no longer exceeds it", compress.MaxZstdWindow)
	}
	// The reference decoder accepts the frame when allowed the window, so
	// the frame itself is well formed.
	dec, err := zstd.NewReader(nil, zstd.WithDecoderMaxWindow(512<<20), zstd.WithDecoderLowmem(true))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := dec.DecodeAll(bigWindowFrame, nil); err != nil || len(out) != 0 {
		t.Fatalf("hand-written frame does not decode with a large limit: %q, %v", out, err)
	}
	dec.Close()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, err := compress.NewReader(bytes.NewReader(bigWindowFrame))
	if err == nil {
		_, err = io.ReadAll(r)
		r.Close()
	}
	runtime.ReadMemStats(&after)
	if !errors.Is(err, zstd.ErrWindowSizeExceeded) {
		t.Fatalf("reading a frame asking for a 256 MiB window: err = %v, want %v", err, zstd.ErrWindowSizeExceeded)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
		t.Errorf("rejecting the frame allocated %d bytes; the window must not be allocated", grew)
	}
}

func TestDescribeReadError(t *testing.T) {
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	body := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	if err := tw.WriteHeader(&tar.Header{Name: "etc/big", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write(body)
	tw.Close()
	gz := gzipped(t, tarBuf.Bytes())
	zs := zstded(t, tarBuf.Bytes())

	// readTar reads a (compressed) tar stream to its end, and the stream
	// past the end-of-archive marker (where a gzip trailer is checked),
	// and returns the described error.
	readTar := func(stream []byte) error {
		r, err := compress.Open(bufio.NewReader(bytes.NewReader(stream)))
		if err != nil {
			return compress.DescribeReadError(err)
		}
		defer r.Close()
		tr := tar.NewReader(r)
		for {
			_, err := tr.Next()
			if err == io.EOF {
				_, err = io.Copy(io.Discard, r)
				return compress.DescribeReadError(err)
			}
			if err == nil {
				_, err = io.Copy(io.Discard, tr)
			}
			if err != nil {
				return compress.DescribeReadError(err)
			}
		}
	}
	corrupt := bytes.Clone(gz)
	corrupt[len(corrupt)-6] ^= 0xff // the CRC-32 in the trailer

	tests := []struct {
		name   string
		stream []byte
		want   string // substring of the error; "" means no error
		is     error
	}{
		{"whole gzip", gz, "", nil},
		{"whole zstd", zs, "", nil},
		{"truncated gzip", gz[:len(gz)/2], "truncated", io.ErrUnexpectedEOF},
		{"gzip without its trailer", gz[:len(gz)-4], "truncated", io.ErrUnexpectedEOF},
		{"truncated plain tar", tarBuf.Bytes()[:1000], "truncated", io.ErrUnexpectedEOF},
		{"gzip with a bad checksum", corrupt, "corrupt gzip", gzip.ErrChecksum},
		{"not a tar", gzipped(t, bytes.Repeat([]byte("x"), 1024)), "not a valid tar", tar.ErrHeader},
	}
	for _, tt := range tests {
		err := readTar(tt.stream)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: err = %v, want it to say %q", tt.name, err, tt.want)
		case tt.is != nil && !errors.Is(err, tt.is):
			t.Errorf("%s: err = %v does not wrap %v", tt.name, err, tt.is)
		}
	}
	if other := errors.New("other"); compress.DescribeReadError(other) != other {
		t.Error("DescribeReadError changed an unrelated error")
	}
}
