package demo

import (
	"crypto/sha256"
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
)

// The demo is never run, so file bodies are filler of realistic sizes:
// pseudo-random bytes seeded by a key (usually the file's path), so that
// every file is the same on every run whatever order the demo is built in.

// newRand returns a generator seeded by key.
func newRand(key string) *rand.Rand {
	return rand.New(rand.NewChaCha8(sha256.Sum256([]byte(key))))
}

// machineCode returns n bytes that look like compiled code: random bytes
// with a quarter of the 64-byte blocks zeroed (alignment padding, tables).
func machineCode(key string, n int) []byte {
	b := make([]byte, n)
	c := rand.NewChaCha8(sha256.Sum256([]byte("code " + key)))
	_, _ = c.Read(b) // ChaCha8.Read never fails
	for off := 0; off < n; off += 64 {
		if b[off] < 64 {
			clear(b[off:min(off+64, n)])
		}
	}
	return b
}

// randomBytes returns n random bytes (compressed or encrypted data).
func randomBytes(key string, n int) []byte {
	b := make([]byte, n)
	c := rand.NewChaCha8(sha256.Sum256([]byte("data " + key)))
	_, _ = c.Read(b)
	return b
}

// fillerWords are the words of generated prose.
var fillerWords = []string{
	"the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "with", "be", "by", "on",
	"not", "this", "are", "or", "from", "at", "which", "an", "if", "when", "will", "can",
	"value", "return", "file", "buffer", "string", "function", "option", "default", "error",
	"list", "object", "module", "call", "argument", "type", "name", "data", "result", "set",
	"number", "size", "time", "zone", "locale", "socket", "certificate", "library", "path",
	"read", "write", "open", "close", "handle", "stream", "encoding", "character", "format",
	"used", "given", "each", "only", "must", "should", "may", "see", "also", "new", "first",
}

// prose returns exactly n bytes of word salad in lines of at most 72
// characters, each line prefixed by prefix ("# " for comments).
func prose(key, prefix string, n int) []byte {
	r := newRand("prose " + key)
	b := make([]byte, 0, n+80)
	line := 0
	for len(b) < n {
		if line == 0 {
			b = append(b, prefix...)
			line = len(prefix)
		}
		w := fillerWords[r.IntN(len(fillerWords))]
		b = append(b, w...)
		line += len(w)
		switch {
		case line > 64:
			b = append(b, '.', '\n')
			line = 0
		default:
			b = append(b, ' ')
			line++
		}
	}
	b = b[:n]
	if n > 0 {
		b[n-1] = '\n'
	}
	return b
}

// padTo appends filler to head up to n bytes (head is returned whole when
// it is already longer). fill makes the filler.
func padTo(head []byte, n int, fill func(int) []byte) []byte {
	if len(head) >= n {
		return head
	}
	return append(head, fill(n-len(head))...)
}

// gzipStored wraps data in a gzip member of stored (uncompressed) deflate
// blocks: a valid .gz file whose bytes do not depend on a compressor's
// version.
func gzipStored(data []byte) []byte {
	out := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3} // no name, no time, Unix
	for first := true; first || len(data) > 0; first = false {
		n := min(len(data), 0xffff)
		final := byte(0)
		if n == len(data) {
			final = 1
		}
		out = append(out, final)
		out = binary.LittleEndian.AppendUint16(out, uint16(n))
		out = binary.LittleEndian.AppendUint16(out, ^uint16(n))
		out = append(out, data[:n]...)
		data = data[n:]
	}
	return out
}

// gzipFile is gzipStored with the gzip trailer (CRC-32 and length).
func gzipFile(data []byte) []byte {
	out := gzipStored(data)
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(data))
	return binary.LittleEndian.AppendUint32(out, uint32(len(data)))
}
