package compress_test

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/internal/compress"
)

// compressWith runs a real compressor (xz, bzip2) over b.
func compressWith(t *testing.T, b []byte, cmd string, args ...string) []byte {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: not running %s", cmd)
	}
	c := exec.Command(cmd, args...)
	c.Stdin = bytes.NewReader(b)
	out, err := c.Output()
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return out
}

// TestOpenXzBzip2: streams written by the xz and bzip2 tools (as Docker
// reads them in layers) decompress to what was written, single- and
// multi-threaded xz alike.
func TestOpenXzBzip2(t *testing.T) {
	data := []byte(strings.Repeat("whittle keeps what the app needs\n", 50000))
	tests := []struct {
		name   string
		stream []byte
		kind   compress.Kind
	}{
		{"xz", compressWith(t, data, "xz", "-c", "-6"), compress.Xz},
		{"xz multi-threaded", compressWith(t, data, "xz", "-c", "-T2", "--block-size=100000"), compress.Xz},
		{"bzip2", compressWith(t, data, "bzip2", "-c", "-9"), compress.Bzip2},
	}
	for _, tt := range tests {
		if got := compress.Sniff(tt.stream[:compress.MagicLen]); got != tt.kind {
			t.Errorf("%s: Sniff = %s, want %s", tt.name, got, tt.kind)
		}
		r, err := compress.NewReader(bytes.NewReader(tt.stream))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, data) || r.Kind != tt.kind {
			t.Errorf("%s: %d bytes of %d back, kind %s, error %v", tt.name, len(got), len(data), r.Kind, err)
		}
	}
}

// TestDoubleCompressed: a stream compressed twice is refused when opened,
// with an error naming both compressions, not read as a corrupt tar.
func TestDoubleCompressed(t *testing.T) {
	data := []byte(strings.Repeat("x", 4096))
	tests := []struct {
		name   string
		stream []byte
		want   string
	}{
		{"gzip in gzip", gzipped(t, gzipped(t, data)), "gzip data inside gzip data: the stream is compressed twice"},
		{"zstd in gzip", gzipped(t, zstded(t, data)), "zstd data inside gzip data: the stream is compressed twice"},
		{"gzip in xz", compressWith(t, gzipped(t, data), "xz", "-c"), "gzip data inside xz data: the stream is compressed twice"},
	}
	for _, tt := range tests {
		r, err := compress.NewReader(bytes.NewReader(tt.stream))
		if err == nil {
			r.Close()
			t.Errorf("%s: opened", tt.name)
			continue
		}
		if !strings.HasPrefix(err.Error(), tt.want) || !errors.Is(err, compress.ErrDoubleCompressed) {
			t.Errorf("%s: error %q, want %q", tt.name, err, tt.want)
		}
	}
}

// TestXzDictionaryCap: an xz stream whose block header asks for a 4 GiB
// dictionary is refused before the decoder allocates it; the same
// stream with its own dictionary reads.
func TestXzDictionaryCap(t *testing.T) {
	stream := compressWith(t, []byte("hello\n"), "xz", "-c", "--check=crc32")
	// Stream header (12 bytes), then the block header: size, flags, the
	// LZMA2 filter ID 0x21, its property size 1, the dictionary byte.
	if !bytes.Equal(stream[14:16], []byte{0x21, 0x01}) {
		t.Fatalf("xz wrote an unusual block header: % x", stream[12:24])
	}
	if r, err := compress.NewReader(bytes.NewReader(stream)); err != nil {
		t.Fatal(err)
	} else if b, err := io.ReadAll(r); err != nil || string(b) != "hello\n" {
		t.Fatalf("read %q, %v", b, err)
	}
	big := bytes.Clone(stream)
	big[16] = 40 // 4 GiB - 1
	r, err := compress.NewReader(bytes.NewReader(big))
	if err == nil {
		_, err = io.ReadAll(r)
		r.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "dictionary") {
		t.Errorf("a 4 GiB dictionary: error %v, want one about the dictionary", err)
	}
}

// TestSniffBzip2Name: a plain tar whose first file is named like a
// bzip2 header is plain; real bzip2 streams, empty or not, are bzip2.
func TestSniffBzip2Name(t *testing.T) {
	tests := []struct {
		name  string
		magic []byte
		want  compress.Kind
	}{
		{"tar of BZh9notes", append([]byte("BZh9notes.txt"), make([]byte, 20)...), compress.None},
		{"bzip2 block", []byte{'B', 'Z', 'h', '9', 0x31, 0x41, 0x59, 0x26, 0x53, 0x59}, compress.Bzip2},
		{"empty bzip2", []byte{'B', 'Z', 'h', '9', 0x17, 0x72, 0x45, 0x38, 0x50, 0x90}, compress.Bzip2},
		{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0x00, 0, 0}, compress.Xz},
		{"five xz bytes", []byte{0xfd, '7', 'z', 'X', 'Z'}, compress.None},
	}
	for _, tt := range tests {
		if got := compress.Sniff(tt.magic); got != tt.want {
			t.Errorf("%s: Sniff = %s, want %s", tt.name, got, tt.want)
		}
	}
	if !testing.Short() {
		if got := compress.Sniff(compressWith(t, nil, "bzip2", "-c")); got != compress.Bzip2 {
			t.Errorf("bzip2 of nothing: Sniff = %s", got)
		}
	}
}
