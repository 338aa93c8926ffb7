package text

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

const hex = "0123456789abcdef"

// Escape returns s in a form safe to write to a terminal, and unambiguous:
// two different strings never escape to the same text. The scheme is Go's
// string-literal escaping, without the quotes and leaving '"' alone:
//
//   - a backslash becomes \\ ;
//   - \a \b \f \n \r \t \v stand for those control characters;
//   - other C0 control bytes and DEL become \xHH (\x1b for ESC);
//   - a byte that is not part of valid UTF-8 becomes \xHH (\xe9), two
//     lowercase hex digits;
//   - a valid rune that is not printable (C1 controls U+0080–U+009F,
//     format characters such as the bidirectional overrides, line and
//     paragraph separators, private use, other spaces than U+0020) becomes
//     \uHHHH, or \UHHHHHHHH above U+FFFF;
//   - everything else, printable Unicode included, is kept as it is.
//
// "Printable" is strconv.IsPrint. A string that needs no escape is
// returned unchanged, without allocating.
func Escape(s string) string { return escape(s, false) }

// EscapeGlobs is Escape for text whose backslashes are already escapes:
// plan globs (glob.Quote doubles a path's own backslashes), and advice
// that quotes them ("plan drop: /usr/bin/\["). Control and unprintable
// characters are escaped as Escape does; backslashes are left as they
// are, so a glob prints as a plan holds it.
func EscapeGlobs(s string) string { return escape(s, true) }

func escape(s string, keepBackslash bool) string {
	i := firstUnsafe(s)
	if keepBackslash {
		for i < len(s) && s[i] == '\\' {
			i += 1 + firstUnsafe(s[i+1:])
		}
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != 0x7f {
			if c == '\\' && !keepBackslash {
				b.WriteString(`\\`)
			} else {
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			writeHex(&b, 'x', uint32(c), 2)
		case r < utf8.RuneSelf:
			switch r {
			case '\a':
				b.WriteString(`\a`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			case '\v':
				b.WriteString(`\v`)
			default:
				writeHex(&b, 'x', uint32(r), 2)
			}
		case strconv.IsPrint(r):
			b.WriteString(s[i : i+n])
		case r <= 0xffff:
			writeHex(&b, 'u', uint32(r), 4)
		default:
			writeHex(&b, 'U', uint32(r), 8)
		}
		i += n
	}
	return b.String()
}

// Safe reports whether s holds nothing a terminal would act on and
// nothing Escape would change other than backslashes: no control
// character, no invalid UTF-8, no unprintable rune. Text in a syntax of
// its own (YAML) that is Safe can be printed as it is.
func Safe(s string) bool {
	for i := firstUnsafe(s); i < len(s); i = i + 1 + firstUnsafe(s[i+1:]) {
		if s[i] != '\\' {
			return false
		}
	}
	return true
}

// firstUnsafe returns the index of the first byte of s that Escape would
// change, or len(s).
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || c == '\\' {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !strconv.IsPrint(r) {
			return i
		}
		i += n
	}
	return len(s)
}

func writeHex(b *strings.Builder, kind byte, v uint32, digits int) {
	b.WriteByte('\\')
	b.WriteByte(kind)
	for shift := 4 * (digits - 1); shift >= 0; shift -= 4 {
		b.WriteByte(hex[v>>uint(shift)&0xf])
	}
}

// DOT returns a Graphviz double-quoted string whose label shows the given
// lines, one under the other. Each line is escaped as Escape does, so the
// DOT source is terminal-safe too; then backslashes and double quotes are
// escaped for DOT, so the rendered label shows exactly Escape(line), and
// the lines are joined with DOT's \n (a centred line break).
func DOT(lines ...string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, l := range lines {
		if i > 0 {
			b.WriteString(`\n`)
		}
		for _, c := range []byte(Escape(l)) {
			if c == '\\' || c == '"' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// JSONString is the string a JSON field holds for a name: the name itself
// when it is valid UTF-8 (encoding/json escapes its control characters
// losslessly), and Escape(name) when it is not, so that two different
// invalid names stay different instead of both turning into U+FFFD. A
// field holding the escaped form comes with a <field>_bytes sibling
// holding the raw bytes (see NonUTF8).
func JSONString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return Escape(s)
}

// NonUTF8 returns the bytes of s when s is not valid UTF-8, and nil when
// it is. In a struct field `json:"<field>_bytes,omitempty"` it encodes as
// base64 of the raw name only for the names JSON cannot hold as they are.
func NonUTF8(s string) []byte {
	if utf8.ValidString(s) {
		return nil
	}
	return []byte(s)
}

// NonUTF8List is NonUTF8 for a list of names: nil when every name is
// valid UTF-8, and otherwise the bytes of every name, in order, so that
// index i of the list and of its _bytes sibling name the same thing.
func NonUTF8List(ss []string) [][]byte {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			out := make([][]byte, len(ss))
			for i, s := range ss {
				out[i] = []byte(s)
			}
			return out
		}
	}
	return nil
}

// JSONStrings is JSONString for every name of a list. It returns ss
// itself when no name needs a change.
func JSONStrings(ss []string) []string {
	for i, s := range ss {
		if !utf8.ValidString(s) {
			out := make([]string, len(ss))
			copy(out, ss[:i])
			for j := i; j < len(ss); j++ {
				out[j] = JSONString(ss[j])
			}
			return out
		}
	}
	return ss
}

// Count says how many of a noun there are, the noun made plural but for
// one: Count(1, "file") is "1 file", Count(3, "file") "3 files".
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
