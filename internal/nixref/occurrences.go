package nixref

import (
	"sort"
	"strings"
)

// MaxTail bounds the text kept after a hash part by TrackOccurrences: a
// longer path is cut there.
const MaxTail = 1024

// MaxOccurrences bounds the distinct occurrences a tracking Scanner keeps
// of one hash part; beyond it the hash part is kept once more with no text
// after it, which stands for the whole store path.
const MaxOccurrences = 256

// isTailChar holds the bytes a path named in text may hold after a hash
// part: a store path name's characters, "/" and a few more that file names
// use. Anything else (a quote, a space, ":" in a PATH list, NUL in a
// binary) ends it.
var isTailChar [256]bool

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		isTailChar[c] = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
			strings.IndexByte("+-._?=/@,~", b) >= 0
	}
}

// occurrences is what a tracking Scanner keeps: each distinct hash part
// with the path text after it, and the occurrences whose text continues
// past the last write.
type occurrences struct {
	seen  map[string]bool // hash + tail
	count map[string]int  // per hash part
	open  []openTail
}

type openTail struct {
	hash string
	tail []byte
}

// TrackOccurrences makes the scanner keep, besides which candidates occur,
// the text that follows each occurrence of a hash part up to the first
// byte a path cannot hold (at most MaxTail bytes), so that
// "/nix/store/HASH-name/sub/file" is known to name sub/file. Occurrences
// returns them. It must be called before the first Write.
func (sc *Scanner) TrackOccurrences() {
	sc.occ = &occurrences{seen: map[string]bool{}, count: map[string]int{}}
}

// Occurrences returns, for a scanner made to TrackOccurrences, every
// distinct occurrence seen since the last Reset as the hash part followed
// by the text after it ("HASH-name/sub/file", "HASH" alone when nothing
// path-like follows), sorted. The text of an occurrence still open at
// the end of the stream is included as far as it was seen.
func (sc *Scanner) Occurrences() []string {
	if sc.occ == nil {
		return nil
	}
	o := sc.occ
	for _, t := range o.open {
		o.add(t.hash, string(t.tail))
	}
	o.open = o.open[:0]
	out := make([]string, 0, len(o.seen))
	for k := range o.seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// start records an occurrence of hash whose text begins at p[at:].
func (o *occurrences) start(hash string, p []byte, at int) {
	n := 0
	for at+n < len(p) && n < MaxTail && isTailChar[p[at+n]] {
		n++
	}
	if at+n == len(p) && n < MaxTail {
		o.open = append(o.open, openTail{hash: hash, tail: append([]byte(nil), p[at:]...)})
		return
	}
	o.add(hash, string(p[at:at+n]))
}

// extend continues the open occurrences' text with the start of p.
func (o *occurrences) extend(p []byte) {
	if len(o.open) == 0 {
		return
	}
	keep := o.open[:0]
	for _, t := range o.open {
		n := 0
		for n < len(p) && len(t.tail)+n < MaxTail && isTailChar[p[n]] {
			n++
		}
		t.tail = append(t.tail, p[:n]...)
		if n == len(p) && len(t.tail) < MaxTail {
			keep = append(keep, t)
			continue
		}
		o.add(t.hash, string(t.tail))
	}
	o.open = keep
}

// end closes the open occurrences at the end of a stream.
func (o *occurrences) end() {
	for _, t := range o.open {
		o.add(t.hash, string(t.tail))
	}
	o.open = o.open[:0]
}

func (o *occurrences) reset() {
	clear(o.seen)
	clear(o.count)
	o.open = o.open[:0]
}

func (o *occurrences) add(hash, tail string) {
	k := hash + tail
	if o.seen[k] {
		return
	}
	if o.count[hash] >= MaxOccurrences {
		o.seen[hash] = true // too many: the whole store path
		return
	}
	o.count[hash]++
	o.seen[k] = true
}
