// Package buildid names the code of the running program: the Go build ID
// of its executable (the ELF note .note.go.buildid the go command writes),
// which the go command derives from every input of the build, so it
// changes whenever the code does. Caches of computed results, as opposed
// to facts read from bytes, key on it: a rebuilt whittle never trusts a
// result an older one computed.
package buildid

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"sync"
)

var (
	once sync.Once
	self string
)

// Self returns the running executable's Go build ID ("actionID/contentID"
// hashes, as `go tool buildid` prints), or "" when it cannot be read (the
// executable is gone, not ELF, or has no build ID note): callers then
// compute instead of caching. It reads the file once per process.
func Self() string {
	once.Do(func() {
		exe, err := os.Executable()
		if err != nil {
			return
		}
		self = Read(exe)
	})
	return self
}

// Read returns the Go build ID of the ELF executable at path, or "" when
// it has none or cannot be read.
func Read(path string) string {
	f, err := elf.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sec := f.Section(".note.go.buildid")
	if sec == nil {
		return ""
	}
	data, err := sec.Data()
	if err != nil {
		return ""
	}
	return parseNote(data)
}

// parseNote reads one ELF note of type 4 named "Go": name size, desc size
// and type as 32-bit little-endian words, then the name padded to four
// bytes, then the build ID.
func parseNote(b []byte) string {
	if len(b) < 16 {
		return ""
	}
	namesz := binary.LittleEndian.Uint32(b)
	descsz := binary.LittleEndian.Uint32(b[4:])
	typ := binary.LittleEndian.Uint32(b[8:])
	if namesz != 4 || typ != 4 || !bytes.Equal(b[12:16], []byte("Go\x00\x00")) || uint64(descsz) > uint64(len(b)-16) {
		return ""
	}
	return string(b[16 : 16+descsz])
}
