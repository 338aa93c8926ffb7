// Package names finds the absolute paths a file's bytes name: runs of
// path characters that begin with '/', in a text file (a script, a
// configuration or data file), with the line of each, or among an ELF
// object's strings, both NUL-terminated C strings and Go's strings, which
// a Go binary packs one after the other with nothing between them. A run
// ends at a character no path of an image is likely to hold where it is
// named: white space, quotes, '=', ':' (so that a PATH-like list gives
// each of its entries), ',', ';', brackets, '$', '#'. It knows nothing of
// any image: the closure resolves each run against the image's tree (a
// packed run may name several paths, one after the other).
package names

import (
	"bytes"
	"strings"
)

// Name is one run that may name an absolute path.
type Name struct {
	// Text is the run, beginning with '/'.
	Text string
	// Line is the 1-based line of a text file the run is on; 0 in a
	// binary.
	Line int
	// Packed marks a binary's run that did not start at a string's
	// beginning (a character of another string came before its '/'): a
	// Go string packed after another one, or a relative name's tail.
	Packed bool
	// Exact marks a name made from a relative one by a rule (nginx's
	// load_module below each prefix nginx may have): it names a path
	// only when all of it exists.
	Exact bool
}

// Limits on what one file gives, so that a large binary or a generated
// file cannot hold much memory.
const (
	// MaxNames bounds the runs kept per file.
	MaxNames = 1024
	// MaxBytes bounds the bytes of the runs kept per file.
	MaxBytes = 64 << 10
	// MaxRun is the longest run kept (a longer one is cut).
	MaxRun = 1024
	// maxPerPrefix bounds a binary's runs that share their first two
	// components (a Go binary's thousand source file names under
	// /usr/local/go/src), so that they cannot crowd out the rest.
	maxPerPrefix = 16
)

// pathChar reports whether c may be part of a named path: printable
// ASCII but the separators.
func pathChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	switch c {
	case '"', '\'', '`', '=', ':', ';', ',', '(', ')', '[', ']', '{', '}', '<', '>', '|', '&', '$', '\\', '#', '!', '^':
		return false
	}
	return true
}

// IsText reports whether data reads as text: no NUL byte.
func IsText(data []byte) bool { return bytes.IndexByte(data, 0) < 0 }

// collector dedupes runs and applies the limits.
type collector struct {
	out      []Name
	seen     map[string]bool
	bytes    int
	prefixes map[string]int
}

func (c *collector) full() bool { return len(c.out) >= MaxNames || c.bytes >= MaxBytes }

func (c *collector) add(run []byte, line int, packed, binary bool) {
	if len(run) > MaxRun {
		run = run[:MaxRun]
	}
	// A run must name something below the root: "/" or "//host" (a
	// URL's authority) is no path.
	if len(run) < 2 || run[1] == '/' {
		return
	}
	if c.seen == nil {
		c.seen, c.prefixes = map[string]bool{}, map[string]int{}
	}
	if c.seen[string(run)] {
		return
	}
	if binary {
		k := prefix2(run)
		if c.prefixes[k] >= maxPerPrefix {
			return
		}
		c.prefixes[k]++
	}
	s := string(run)
	c.seen[s] = true
	c.bytes += len(s)
	c.out = append(c.out, Name{Text: s, Line: line, Packed: packed})
}

// prefix2 is a run's first two components ("/usr/local").
func prefix2(run []byte) string {
	n := 0
	for i := 1; i < len(run); i++ {
		if run[i] == '/' {
			if n++; n == 2 {
				return string(run[:i])
			}
		}
	}
	return string(run)
}

// Text returns the runs of a text file, in order, each once (at its first
// line). Lines that are comments in most configuration languages (their
// first non-blank character '#' or ';', or "//") name nothing.
func Text(data []byte) []Name {
	var c collector
	line, lineStart := 1, 0 // the line of data[lineStart:], counted lazily
	for i := 0; i < len(data) && !c.full(); {
		j := bytes.IndexByte(data[i:], '/')
		if j < 0 {
			break
		}
		i += j
		if i > 0 && pathChar(data[i-1]) {
			// Inside a relative name or a word: skip the rest of it.
			i = runEnd(data, i)
			continue
		}
		end := runEnd(data, i)
		line += bytes.Count(data[lineStart:i], []byte{'\n'})
		lineStart = i
		if !commentLine(data, i) {
			c.add(data[i:end], line, false, false)
		}
		i = end
	}
	nginxModules(&c, data)
	return c.out
}

// nginxPrefixes are the prefixes nginx is built with (Debian's, the
// official image's and nginx's own default), which a relative
// load_module path is relative to.
var nginxPrefixes = []string{"/usr/share/nginx", "/etc/nginx", "/usr/local/nginx"}

var loadModule = []byte("load_module")

// nginxModules adds, for each nginx `load_module RELATIVE;` directive,
// the path below each of nginxPrefixes, Exact.
func nginxModules(c *collector, data []byte) {
	for off := 0; !c.full(); {
		j := bytes.Index(data[off:], loadModule)
		if j < 0 {
			return
		}
		i := off + j
		off = i + len(loadModule)
		start := bytes.LastIndexByte(data[:i], '\n') + 1
		if len(bytes.TrimLeft(data[start:i], " \t")) > 0 || off >= len(data) || (data[off] != ' ' && data[off] != '\t') {
			continue // not a directive at a line's start
		}
		rest := data[off:]
		if k := bytes.IndexAny(rest, ";\n"); k >= 0 {
			rest = rest[:k]
		}
		rel := bytes.Trim(bytes.TrimSpace(rest), `"'`)
		if len(rel) == 0 || rel[0] == '/' || bytes.ContainsAny(rel, " \t$") {
			continue
		}
		line := 1 + bytes.Count(data[:i], []byte{'\n'})
		for _, pre := range nginxPrefixes {
			c.addExact(pre+"/"+string(rel), line)
		}
	}
}

func (c *collector) addExact(p string, line int) {
	if c.seen == nil {
		c.seen, c.prefixes = map[string]bool{}, map[string]int{}
	}
	if len(p) > MaxRun || c.seen[p] {
		return
	}
	c.seen[p] = true
	c.bytes += len(p)
	c.out = append(c.out, Name{Text: p, Line: line, Exact: true})
}

func runEnd(data []byte, i int) int {
	for i < len(data) && pathChar(data[i]) {
		i++
	}
	return i
}

// commentLine reports whether the line holding data[i] is a comment.
func commentLine(data []byte, i int) bool {
	start := bytes.LastIndexByte(data[:i], '\n') + 1
	lead := bytes.TrimLeft(data[start:i+1], " \t")
	return len(lead) > 0 && (lead[0] == '#' || lead[0] == ';') || bytes.HasPrefix(lead, []byte("//"))
}

// Binary returns the runs among a binary's bytes, each once, up to the
// limits: for every maximal run of path characters that holds a '/', the
// run from its first '/' (Packed when a path character came before it).
func Binary(data []byte) []Name {
	var c collector
	for i := 0; i < len(data) && !c.full(); {
		j := bytes.IndexByte(data[i:], '/')
		if j < 0 {
			break
		}
		i += j
		start := i
		for start > 0 && pathChar(data[start-1]) && i-start < MaxRun {
			start--
		}
		end := runEnd(data, i)
		if packed := start < i; plausible(data[i:end]) && (!packed || topLevel(data[i:end])) {
			c.add(data[i:end], 0, packed, true)
		}
		i = end
	}
	return c.out
}

// plausible reports whether a binary's run may be a path: its first
// component starts with a letter, a digit, '.' or '_' (machine code
// holds many a '/' followed by noise), and it is at least five bytes
// long (noise is short; a four-byte name such as "/bin" is a directory
// every image shares).
func plausible(run []byte) bool {
	if len(run) < 5 {
		return false
	}
	for _, c := range run[1:3] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// topDirs are the top-level directories a packed run must begin with to
// be kept: most packed runs are the tails of relative names (Go's
// "crypto/x509"), and the tails that begin at a real top-level directory
// are the paths a Go program names.
var topDirs = []string{"etc", "usr", "lib", "lib32", "lib64", "libx32", "bin", "sbin", "opt", "var", "srv", "nix", "app", "home", "root", "tmp", "data", "gnu"}

// topLevel reports whether a run's first component is one of topDirs.
func topLevel(run []byte) bool {
	first := run[1:]
	if i := bytes.IndexByte(first, '/'); i >= 0 {
		first = first[:i]
	}
	for _, d := range topDirs {
		if string(first) == d {
			return true
		}
	}
	return false
}

// HasGlob reports whether a name holds a glob's metacharacters ('*' or
// '?'), as a configuration's include does.
func HasGlob(s string) bool { return strings.ContainsAny(s, "*?") }
