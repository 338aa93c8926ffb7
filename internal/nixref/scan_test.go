package nixref

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/iotest"
)

// naiveFind is the reference: every candidate tested at every offset.
func naiveFind(hashes []string, b []byte) []string {
	var out []string
	for _, h := range hashes {
		if bytes.Contains(b, []byte(h)) {
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return dedup(out)
}

func dedup(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func mustSet(t testing.TB, hashes ...string) *Set {
	t.Helper()
	s, err := NewSet(hashes)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewSetRejectsInvalid(t *testing.T) {
	if _, err := NewSet([]string{h1, "not-a-hash"}); err == nil {
		t.Error("NewSet accepted an invalid hash part")
	}
	s := mustSet(t, h1, h2, h1)
	if s.Len() != 2 || !reflect.DeepEqual(s.Hashes(), []string{h1, h2}) || !s.Contains(h2) || s.Contains(h3) {
		t.Errorf("set = %v", s.Hashes())
	}
}

func TestFind(t *testing.T) {
	set := mustSet(t, h1, h2, h3)
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"exact", h1, []string{h1}},
		{"in path", "/nix/store/" + h2 + "-bash/bin/sh", []string{h2}},
		{"two", h3 + "x" + h1, []string{h1, h3}},
		{"adjacent", h3 + h1, []string{h1, h3}},
		{"inside base32 run", "0000" + h2 + "zzzz", []string{h2}},
		{"overlapping run", h1[1:] + h1 + h2, []string{h1, h2}},
		{"one char short", h1[:31], nil},
		{"broken by e", h1[:16] + "e" + h1[17:], nil},
		{"upper case", strings.ToUpper(h1), nil},
		{"repeated", h1 + h1 + h1, []string{h1}},
		{"binary around", "\x00\xff" + h3 + "\x00", []string{h3}},
	}
	for _, tt := range tests {
		if got := set.FindString(tt.in); !reflect.DeepEqual(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			t.Errorf("%s: FindString = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestSplitAcrossWrites puts a hash at every position relative to every
// write boundary and requires it found.
func TestSplitAcrossWrites(t *testing.T) {
	set := mustSet(t, h1)
	for pad := 0; pad < 40; pad++ {
		data := []byte(strings.Repeat(" ", pad) + h1 + "  ")
		for cut := 0; cut <= len(data); cut++ {
			for cut2 := cut; cut2 <= len(data); cut2 += 7 {
				sc := set.NewScanner()
				sc.Write(data[:cut])
				sc.Write(data[cut:cut2])
				sc.Write(data[cut2:])
				if got := sc.Found(); !reflect.DeepEqual(got, []string{h1}) {
					t.Fatalf("pad %d cuts %d,%d: found %v", pad, cut, cut2, got)
				}
			}
		}
	}
}

func TestOneByteReads(t *testing.T) {
	set := mustSet(t, h1, h2, h3)
	data := []byte("x/nix/store/" + h2 + "-a\x00" + h1[:20] + "-" + h3)
	got, err := set.Scan(iotest.OneByteReader(bytes.NewReader(data)))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{h3, h2}; !reflect.DeepEqual(got, want) {
		t.Errorf("Scan = %v, want %v", got, want)
	}
}

func TestHashAt64KiBBoundary(t *testing.T) {
	set := mustSet(t, h1)
	for shift := -31; shift <= 0; shift++ {
		data := bytes.Repeat([]byte{' '}, ScanBufferSize+64)
		copy(data[ScanBufferSize+shift:], h1)
		got, err := set.Scan(bytes.NewReader(data))
		if err != nil || !reflect.DeepEqual(got, []string{h1}) {
			t.Errorf("hash at 64 KiB%+d: found %v, %v", shift, got, err)
		}
	}
}

func TestEndStream(t *testing.T) {
	set := mustSet(t, h1)
	sc := set.NewScanner()
	sc.Write([]byte(h1[:10]))
	sc.EndStream()
	sc.Write([]byte(h1[10:]))
	if got := sc.Found(); len(got) != 0 {
		t.Errorf("hash split across two streams found: %v", got)
	}
	sc.Write([]byte(h1))
	sc.Reset()
	if got := sc.Found(); len(got) != 0 {
		t.Errorf("after Reset: %v", got)
	}
}

func TestScanReadError(t *testing.T) {
	set := mustSet(t, h1)
	boom := errors.New("boom")
	_, err := set.Scan(iotest.ErrReader(boom))
	if !errors.Is(err, boom) {
		t.Errorf("Scan error = %v, want wrapping boom", err)
	}
}

// TestRandomAgainstNaive compares with the naive scanner on random data
// dense in base-32 characters and candidate fragments, in random pieces.
func TestRandomAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	hashes := randomHashes(r, 50)
	set := mustSet(t, hashes...)
	for iter := 0; iter < 2000; iter++ {
		data := randomContent(r, hashes, r.IntN(3000))
		want := naiveFind(hashes, data)
		sc := set.NewScanner()
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1+r.IntN(80))
			sc.Write(rest[:n])
			rest = rest[n:]
		}
		if got := sc.Found(); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("iteration %d: found %v, want %v", iter, got, want)
		}
	}
}

func randomHashes(r *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		b := make([]byte, HashLen)
		for j := range b {
			b[j] = Alphabet[r.IntN(32)]
		}
		out[i] = string(b)
	}
	return out
}

// randomContent mixes base-32 noise, other bytes, whole candidates and
// candidate fragments.
func randomContent(r *rand.Rand, hashes []string, n int) []byte {
	var b []byte
	for len(b) < n {
		switch r.IntN(5) {
		case 0:
			b = append(b, Alphabet[r.IntN(32)])
		case 1:
			b = append(b, byte(r.IntN(256)))
		case 2:
			h := hashes[r.IntN(len(hashes))]
			b = append(b, h[r.IntN(HashLen):]...)
		case 3:
			h := hashes[r.IntN(len(hashes))]
			b = append(b, h[:r.IntN(HashLen+1)]...)
		case 4:
			if r.IntN(10) == 0 {
				b = append(b, hashes[r.IntN(len(hashes))]...)
			}
		}
	}
	return b
}

func FuzzScanner(f *testing.F) {
	f.Add([]byte("/nix/store/"+h1+"-x"), uint8(7))
	f.Add([]byte(h2[:20]+h2+h3[5:]), uint8(1))
	f.Add([]byte{}, uint8(0))
	hashes := []string{h1, h2, h3, strings.Repeat("0", 32)}
	set, err := NewSet(hashes)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		want := naiveFind(hashes, data)
		sc := set.NewScanner()
		step := int(chunk) + 1
		for rest := data; len(rest) > 0; {
			n := min(len(rest), step)
			sc.Write(rest[:n])
			rest = rest[n:]
		}
		got := sc.Found()
		if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("found %v, want %v", got, want)
		}
	})
}

var _ io.ReaderFrom = (*Scanner)(nil)
var _ io.Writer = (*Scanner)(nil)
