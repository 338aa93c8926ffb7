package nixref

import (
	"fmt"
	"io"
	"math/bits"
	"sort"
)

// filterBits is the number of bits of a hash part's first four characters
// that the prefilter indexes.
const filterBits = 20

// Set is an immutable set of candidate hash parts to look for. It is safe
// for concurrent use; each stream is scanned by its own Scanner.
type Set struct {
	hashes []string
	index  map[string]int32
	filter []uint64
}

// NewSet returns the set of candidate hash parts. Each must be a valid hash
// part (see ValidHash); duplicates are kept once.
func NewSet(hashes []string) (*Set, error) {
	s := &Set{index: make(map[string]int32, len(hashes)), filter: make([]uint64, 1<<filterBits/64)}
	for _, h := range hashes {
		if !ValidHash(h) {
			return nil, fmt.Errorf("building reference set: %q is not a store path hash part", h)
		}
		if _, dup := s.index[h]; dup {
			continue
		}
		s.index[h] = int32(len(s.hashes))
		s.hashes = append(s.hashes, h)
		k := prefixKey(h[0], h[1], h[2], h[3])
		s.filter[k/64] |= 1 << (k % 64)
	}
	return s, nil
}

func prefixKey(a, b, c, d byte) uint32 {
	return base32Val[a]<<15 | base32Val[b]<<10 | base32Val[c]<<5 | base32Val[d]
}

// Len returns the number of candidates.
func (s *Set) Len() int { return len(s.hashes) }

// Hashes returns the candidates in the order they were first given.
func (s *Set) Hashes() []string { return append([]string(nil), s.hashes...) }

// Contains reports whether h is a candidate.
func (s *Set) Contains(h string) bool {
	_, ok := s.index[h]
	return ok
}

// NewScanner returns a Scanner for one stream.
func (s *Set) NewScanner() *Scanner {
	return &Scanner{set: s, found: make([]uint64, (len(s.hashes)+63)/64)}
}

// Find returns the candidates that occur in b, sorted.
func (s *Set) Find(b []byte) []string {
	sc := s.NewScanner()
	sc.Write(b)
	return sc.Found()
}

// FindString returns the candidates that occur in str (a symlink target or
// a file name), sorted.
func (s *Set) FindString(str string) []string {
	return s.Find([]byte(str))
}

// ScanBufferSize is the read size Scan uses.
const ScanBufferSize = 64 << 10

// Scan reads r to its end and returns the candidates that occur in it,
// sorted.
func (s *Set) Scan(r io.Reader) ([]string, error) {
	sc := s.NewScanner()
	if _, err := sc.ReadFrom(r); err != nil {
		return nil, err
	}
	return sc.Found(), nil
}

// Scanner finds the candidates of a Set in a stream written to it in
// pieces of any size: a hash part split across two writes is still found,
// because the last HashLen-1 bytes of the stream are kept.
type Scanner struct {
	set     *Set
	found   []uint64
	nfound  int
	tail    [HashLen - 1]byte
	tailLen int
	buf     []byte

	// occ is set by TrackOccurrences (occurrences.go).
	occ *occurrences
}

// Write scans p; it never fails.
func (sc *Scanner) Write(p []byte) (int, error) {
	if sc.occ != nil {
		sc.occ.extend(p)
	} else if sc.nfound == len(sc.set.hashes) {
		return len(p), nil
	}
	if sc.tailLen > 0 {
		var joint [2*HashLen - 2]byte
		n := copy(joint[:], sc.tail[:sc.tailLen])
		n += copy(joint[n:], p[:min(len(p), HashLen-1)])
		sc.search(joint[:n], p, -sc.tailLen)
	}
	sc.search(p, p, 0)
	// Keep the last HashLen-1 bytes of tail+p.
	if len(p) >= HashLen-1 {
		sc.tailLen = copy(sc.tail[:], p[len(p)-(HashLen-1):])
	} else {
		keep := min(sc.tailLen, HashLen-1-len(p))
		copy(sc.tail[:], sc.tail[sc.tailLen-keep:sc.tailLen])
		sc.tailLen = keep + copy(sc.tail[keep:], p)
	}
	return len(p), nil
}

// ReadFrom scans r to its end, reading ScanBufferSize bytes at a time, and
// returns the number of bytes scanned.
func (sc *Scanner) ReadFrom(r io.Reader) (int64, error) {
	if sc.buf == nil {
		sc.buf = make([]byte, ScanBufferSize)
	}
	var total int64
	for {
		n, err := r.Read(sc.buf)
		sc.Write(sc.buf[:n])
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, fmt.Errorf("scanning for store references: %w", err)
		}
	}
}

// EndStream forgets the kept tail, so that the next Write starts a new
// stream: a hash part split across the two streams is not found, as Nix
// does not find one split across two files. What was found is kept.
func (sc *Scanner) EndStream() {
	sc.tailLen = 0
	if sc.occ != nil {
		sc.occ.end()
	}
}

// Found returns the candidates seen so far, sorted.
func (sc *Scanner) Found() []string {
	out := make([]string, 0, sc.nfound)
	for w, word := range sc.found {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &^= 1 << b
			out = append(out, sc.set.hashes[w*64+b])
		}
	}
	sort.Strings(out)
	return out
}

// Reset forgets everything found and the kept tail.
func (sc *Scanner) Reset() {
	clear(sc.found)
	sc.nfound = 0
	sc.tailLen = 0
	if sc.occ != nil {
		sc.occ.reset()
	}
}

// search looks for candidates in b, which starts at offset base of the
// stream's current write p (negative for the bytes kept from the write
// before). Like Nix, it checks the last character
// of each 32-byte window first and jumps past any character that is not
// base-32; it also remembers how far the current run of base-32 characters
// has been checked, so no byte is tested twice.
func (sc *Scanner) search(b, p []byte, base int) {
	n := len(b)
	i, known := 0, 0 // b[i:known] are known to be base-32
	for i+HashLen <= n {
		if !isBase32[b[i+HashLen-1]] {
			i += HashLen
			known = i
			continue
		}
		j := i + HashLen - 2
		for j >= known && isBase32[b[j]] {
			j--
		}
		if j >= known {
			known = i + HashLen
			i = j + 1
			continue
		}
		// b[i:i+HashLen] is all base-32: every window in the run is a
		// possible hash part.
		key := prefixKey(b[i], b[i+1], b[i+2], b[i+3])
		sc.check(key, b[i:i+HashLen], p, base+i+HashLen)
		for i+HashLen < n && isBase32[b[i+HashLen]] {
			key = (key<<5 | base32Val[b[i+4]]) & (1<<filterBits - 1)
			i++
			sc.check(key, b[i:i+HashLen], p, base+i+HashLen)
		}
		i += HashLen + 1
		known = i
	}
}

// check looks up the window w, whose first four characters give key and
// which ends at offset after of the current write p.
func (sc *Scanner) check(key uint32, w, p []byte, after int) {
	s := sc.set
	if s.filter[key/64]&(1<<(key%64)) == 0 {
		return
	}
	idx, ok := s.index[string(w)]
	if !ok {
		return
	}
	if sc.occ != nil {
		sc.occ.start(s.hashes[idx], p, after)
	}
	if sc.found[idx/64]&(1<<(idx%64)) == 0 {
		sc.found[idx/64] |= 1 << (idx % 64)
		sc.nfound++
	}
}
