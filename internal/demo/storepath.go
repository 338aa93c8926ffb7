package demo

import (
	"crypto/sha256"
	"sort"
)

// StoreDir is the Nix store directory of the demo image.
const StoreDir = "/nix/store"

// nixBase32 is Nix's base-32 alphabet (no e, o, u, t).
const nixBase32 = "0123456789abcdfghijklmnpqrsvwxyz"

// pkg is one store path of the demo: a short name that code and tests use
// ("python3"), the Nix name and version, and the store paths its files are
// meant to reference (short names, without itself).
type pkg struct {
	short   string
	name    string
	version string
	refs    []string
}

// path is the store path, /nix/store/<hash>-<name>-<version> (or
// /nix/store/<hash>-<name> without a version).
func (p pkg) path() string {
	full := p.name
	if p.version != "" {
		full += "-" + p.version
	}
	return StoreDir + "/" + storeHash(full) + "-" + full
}

// storeHash is the 32-character hash part of the demo's store path named
// full: the SHA-256 of the name folded to 160 bits as Nix folds its hashes
// (compressHash) and printed in Nix's base 32. Real store paths hash the
// derivation; the demo has none, so the name stands in.
func storeHash(full string) string {
	sum := sha256.Sum256([]byte("whittle demo store path " + full))
	var short [20]byte
	for i, b := range sum {
		short[i%len(short)] ^= b
	}
	return printHash32(short[:])
}

// printHash32 is Nix's printHash32: base 32, least significant 5 bits
// last, over the hash read as a little-endian number.
func printHash32(h []byte) string {
	n := (len(h)*8 + 4) / 5
	out := make([]byte, 0, n)
	for i := n - 1; i >= 0; i-- {
		b := uint(i * 5)
		j, k := b/8, b%8
		c := uint(h[j]) >> k
		if int(j)+1 < len(h) {
			c |= uint(h[j+1]) << (8 - k)
		}
		out = append(out, nixBase32[c&0x1f])
	}
	return string(out)
}

// store is the set of store paths of one demo, by short name.
type store map[string]pkg

func newStore(pkgs []pkg) store {
	s := make(store, len(pkgs))
	for _, p := range pkgs {
		s[p.short] = p
	}
	return s
}

// path returns the store path of short; an unknown name panics, as it is
// a mistake in the demo's own tables.
func (s store) path(short string) string {
	p, ok := s[short]
	if !ok {
		panic("demo: no store path " + short)
	}
	return p.path()
}

// shorts returns the short names, sorted.
func (s store) shorts() []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
