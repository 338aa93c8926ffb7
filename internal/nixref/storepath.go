// Package nixref finds Nix store path references the way Nix does when it
// registers a build output: by scanning bytes for the 32-character base-32
// hash parts of candidate store paths. It also parses store paths, scans
// whole store paths (contents, symlink targets and file names, as Nix scans
// their NAR serialisation), computes NAR sizes, and reads what `nix
// path-info --json` reports.
package nixref

import (
	"fmt"
	"strings"
)

// HashLen is the length of a store path's hash part.
const HashLen = 32

// MaxNameLen is the longest name Nix accepts after the hash and dash.
const MaxNameLen = 211

// Alphabet is Nix's base-32 alphabet: digits and lower-case letters
// without e, o, u and t.
const Alphabet = "0123456789abcdfghijklmnpqrsvwxyz"

// DefaultStoreDir is the store directory of almost every Nix installation.
const DefaultStoreDir = "/nix/store"

var (
	isBase32   [256]bool
	base32Val  [256]uint32
	isNameChar [256]bool
)

func init() {
	for i := 0; i < len(Alphabet); i++ {
		isBase32[Alphabet[i]] = true
		base32Val[Alphabet[i]] = uint32(i)
	}
	for c := 0; c < 256; c++ {
		b := byte(c)
		isNameChar[c] = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
			strings.IndexByte("+-._?=", b) >= 0
	}
}

// IsBase32 reports whether c is in Nix's base-32 alphabet.
func IsBase32(c byte) bool { return isBase32[c] }

// ValidHash reports whether s is a valid store path hash part: exactly
// HashLen characters of Alphabet.
func ValidHash(s string) bool {
	if len(s) != HashLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isBase32[s[i]] {
			return false
		}
	}
	return true
}

// ValidName reports whether s is a valid store path name (the part after
// "<hash>-"), by Nix's rules: 1 to MaxNameLen characters of [A-Za-z0-9+-._?=],
// and not ".", "..", nor starting with ".-" or "..-".
func ValidName(s string) bool {
	if s == "" || len(s) > MaxNameLen || s == "." || s == ".." ||
		strings.HasPrefix(s, ".-") || strings.HasPrefix(s, "..-") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameChar[s[i]] {
			return false
		}
	}
	return true
}

// StorePath is a parsed store path: StoreDir + "/" + Hash + "-" + Name.
type StorePath struct {
	StoreDir string
	Hash     string
	Name     string
}

// String returns the full store path.
func (p StorePath) String() string {
	return p.StoreDir + "/" + p.Hash + "-" + p.Name
}

// Base returns the store path's last component, "<hash>-<name>".
func (p StorePath) Base() string { return p.Hash + "-" + p.Name }

// ParseStorePath parses exactly one store path directly inside storeDir,
// such as "/nix/store/<hash>-bash-5.2"; a path inside a store path (with
// further components) is an error: use SplitStorePath for those.
func ParseStorePath(storeDir, p string) (StorePath, error) {
	sp, rest, err := SplitStorePath(storeDir, p)
	if err != nil {
		return StorePath{}, err
	}
	if rest != "" {
		return StorePath{}, fmt.Errorf("parsing store path %q: has components after the store path", p)
	}
	return sp, nil
}

// SplitStorePath splits a path inside the store into the store path it is in
// and the rest: "/nix/store/<hash>-bash/bin/sh" gives the store path and
// "/bin/sh".
func SplitStorePath(storeDir, p string) (StorePath, string, error) {
	storeDir = strings.TrimRight(storeDir, "/")
	prefix := storeDir + "/"
	if !strings.HasPrefix(p, prefix) {
		return StorePath{}, "", fmt.Errorf("parsing store path %q: not in store directory %s", p, storeDir)
	}
	base, rest := p[len(prefix):], ""
	if i := strings.IndexByte(base, '/'); i >= 0 {
		base, rest = base[:i], base[i:]
		if strings.Trim(rest, "/") == "" {
			rest = ""
		}
	}
	sp, err := ParseBase(base)
	if err != nil {
		return StorePath{}, "", fmt.Errorf("parsing store path %q: %w", p, err)
	}
	sp.StoreDir = storeDir
	return sp, rest, nil
}

// ParseBase parses a store path's last component, "<hash>-<name>"; the
// result has an empty StoreDir.
func ParseBase(base string) (StorePath, error) {
	if len(base) < HashLen+2 || base[HashLen] != '-' {
		return StorePath{}, fmt.Errorf("%q is not of the form <hash>-<name>", base)
	}
	hash, name := base[:HashLen], base[HashLen+1:]
	if !ValidHash(hash) {
		return StorePath{}, fmt.Errorf("%q has an invalid hash part", base)
	}
	if !ValidName(name) {
		return StorePath{}, fmt.Errorf("%q has an invalid name", base)
	}
	return StorePath{Hash: hash, Name: name}, nil
}

// FindStorePaths returns the store paths named in s, such as a symlink
// target, a file name or a line of text: every occurrence of storeDir + "/"
// followed by a hash part, a dash and a valid name (which ends at the first
// character a name cannot hold, such as "/"). Each path is returned once, in
// order of first occurrence.
func FindStorePaths(storeDir, s string) []StorePath {
	storeDir = strings.TrimRight(storeDir, "/")
	prefix := storeDir + "/"
	var out []StorePath
	seen := map[string]bool{}
	for from := 0; ; {
		i := strings.Index(s[from:], prefix)
		if i < 0 {
			return out
		}
		start := from + i + len(prefix)
		from += i + 1
		if len(s)-start < HashLen+2 || s[start+HashLen] != '-' || !ValidHash(s[start:start+HashLen]) {
			continue
		}
		end := start + HashLen + 1
		for end < len(s) && end-start-HashLen-1 < MaxNameLen && isNameChar[s[end]] {
			end++
		}
		sp, err := ParseBase(s[start:end])
		if err != nil {
			continue
		}
		sp.StoreDir = storeDir
		if !seen[sp.Hash] {
			seen[sp.Hash] = true
			out = append(out, sp)
		}
		from = end
	}
}
