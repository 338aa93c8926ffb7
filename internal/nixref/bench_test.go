package nixref

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// benchContent generates 8 MiB of one kind of file content with a few
// store references sprinkled in.
func benchContent(kind string, hashes []string) []byte {
	r := rand.New(rand.NewPCG(7, 7))
	const size = 8 << 20
	b := make([]byte, 0, size+256)
	words := strings.Fields("the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her she there been if all would will we when their one has more can out so what some up about into them than then these its time only could new other")
	for len(b) < size {
		if r.IntN(20000) == 0 {
			b = append(b, "/nix/store/"+hashes[r.IntN(len(hashes))]+"-lib/lib/libfoo.so"...)
		}
		switch kind {
		case "binary":
			for range 64 {
				b = append(b, byte(r.Uint32()))
			}
		case "elf":
			// Zero runs, small integers, instruction-like bytes and symbol names.
			switch r.IntN(4) {
			case 0:
				b = append(b, make([]byte, r.IntN(64))...)
			case 1:
				for range 32 {
					b = append(b, byte(r.IntN(16)))
				}
			case 2:
				for range 48 {
					b = append(b, byte(r.Uint32()))
				}
			case 3:
				b = append(b, "_ZN"...)
				b = append(b, words[r.IntN(len(words))]...)
				b = append(b, '_', 0)
			}
		case "text":
			b = append(b, words[r.IntN(len(words))]...)
			b = append(b, ' ')
			if r.IntN(12) == 0 {
				b = append(b, ".\n"...)
			}
		case "base32":
			// The worst case: nothing but base-32 characters.
			for range 64 {
				b = append(b, Alphabet[r.IntN(32)])
			}
		}
	}
	return b
}

func BenchmarkScan(b *testing.B) {
	hashes := randomHashes(rand.New(rand.NewPCG(3, 3)), 1000)
	set := mustSet(b, hashes...)
	for _, kind := range []string{"binary", "elf", "text", "base32"} {
		data := benchContent(kind, hashes)
		b.Run(kind, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			sc := set.NewScanner()
			for b.Loop() {
				sc.Reset()
				for off := 0; off < len(data); off += ScanBufferSize {
					sc.Write(data[off:min(off+ScanBufferSize, len(data))])
				}
			}
		})
	}
}

// BenchmarkRunScan is BenchmarkScan for the RunScanner a Learner runs
// over every store file (no candidate set; the "base32" input overflows).
func BenchmarkRunScan(b *testing.B) {
	hashes := randomHashes(rand.New(rand.NewPCG(3, 3)), 1000)
	for _, kind := range []string{"binary", "elf", "text", "base32"} {
		data := benchContent(kind, hashes)
		b.Run(kind, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			rs := NewRunScanner()
			for b.Loop() {
				rs.Reset()
				for off := 0; off < len(data); off += ScanBufferSize {
					rs.Write(data[off:min(off+ScanBufferSize, len(data))])
				}
				rs.Runs()
			}
		})
	}
}

// BenchmarkScanFile scans the file named by $NIXREF_BENCH_FILE as
// ScanTree scans a regular file (64 KiB reads); bench/nixref.sh sets it.
func BenchmarkScanFile(b *testing.B) {
	name := os.Getenv("NIXREF_BENCH_FILE")
	if name == "" {
		b.Skip("NIXREF_BENCH_FILE not set")
	}
	info, err := os.Stat(name)
	if err != nil {
		b.Fatal(err)
	}
	set := mustSet(b, randomHashes(rand.New(rand.NewPCG(3, 3)), 1000)...)
	b.SetBytes(info.Size())
	for b.Loop() {
		f, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := set.Scan(f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
